"""``seqgpt eval``: score a model on registered datasets or on a user's JSONL file."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import EvalArgumentError
from seqgpt.evaluate.runner import PROTOCOL_SAMPLE_SIZE, NLUModel, evaluate, read_jsonl, sample

_DESCRIPTION = """Score a model on datasets: span micro-P/R/F1 (extraction), accuracy and
micro-F1 (classification), ROUGE-1/2/L of the answer text and upstream's combined score
mean(F1, mean(ROUGE)). One row per dataset, split and task, then the unweighted average."""

_EPILOG = """examples:
  seqgpt eval --data conll2003 --limit 100 --model path/to/model
  seqgpt eval --data cluener2020,sst2_sentence --protocol seqgpt --json
  seqgpt eval --data my_test.jsonl

--data takes registered dataset names (see `seqgpt data stats`) or paths to JSONL files:
  extraction: {"text": ..., "spans": [{"label", "start", "end"}], "labels": [label set]}
  classification: {"text": ..., "labels": [gold labels], "label_set": [label set]}
The default split is the one the project evaluates on: test, else dev/devel/valid; a
dataset with a single split (no official split) is scored on its held-out 10 %, the part
`seqgpt data build` never trains on."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "eval", help="score a model on datasets or a JSONL file (F1, accuracy, ROUGE)",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True,
                        help="comma-separated dataset names and/or JSONL file paths")
    parser.add_argument("--split", default=None,
                        help="split of every registered dataset (default: test, else dev)")
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                             "default model)")
    parser.add_argument("--limit", type=int, default=None,
                        help="score a seeded random sample of N instances per dataset and task")
    parser.add_argument("--protocol", choices=("full", "seqgpt"), default="full",
                        help=f"full: every instance (default); seqgpt: upstream's protocol, "
                             f"{PROTOCOL_SAMPLE_SIZE} random instances per dataset and task "
                             "(seeded)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    parser.add_argument("--batch-size", type=int, default=16,
                        help="texts per model call (default 16)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise EvalArgumentError(f"--limit must be a positive number, got {args.limit}")
    if args.limit is not None and args.protocol == "seqgpt":
        raise EvalArgumentError(f"--protocol seqgpt samples {PROTOCOL_SAMPLE_SIZE} instances per "
                                "dataset; drop --limit (or use --limit without --protocol)")
    if args.batch_size < 1:
        raise EvalArgumentError(f"--batch-size must be at least 1, got {args.batch_size}")
    size = PROTOCOL_SAMPLE_SIZE if args.protocol == "seqgpt" else args.limit
    datasets = [(name, load_instances(name, args.split)) for name in _names(args.data)]
    model = load_model(args.model)
    instances: list[AtomicInstance] = []
    for name, found in datasets:
        for task in ("extract", "classify"):
            group = [instance for instance in found if instance.task == task]
            instances += group if size is None else sample(group, size, args.seed,
                                                           f"{name}:{task}")
    started = time.perf_counter()
    report = evaluate(model, instances, batch_size=args.batch_size,
                      progress=_progress(len(instances)))
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({"model": args.model, "protocol": args.protocol, "seed": args.seed,
                          "limit": args.limit, "seconds": round(seconds, 2), **report.to_dict()},
                         ensure_ascii=False))
    else:
        print(report.format_table())
        print(f"{len(instances)} instances in {seconds:.1f} s; scores in %", file=sys.stderr)
    return 0


def load_model(name: str | None) -> NLUModel:
    import seqgpt

    return seqgpt.load(name)


def load_instances(name: str, split: str | None) -> list[AtomicInstance]:
    """All instances of a registered dataset's split (default: its evaluation split; for a
    dataset with a single split, its held-out part) or of a user's JSONL file."""
    path = Path(name).expanduser()
    if path.is_file():
        if split is not None:
            print(f"seqgpt eval: --split does not apply to the file {name}; ignored",
                  file=sys.stderr)
        return read_jsonl(path)
    if name.endswith((".jsonl", ".json")):
        raise EvalArgumentError(f"--data: no such file {name!r}")
    from seqgpt.data import mixture, registry

    spec = registry.get(name)
    split = split or mixture.evaluation_split(spec)
    instances = list(registry.read(name, split))
    if mixture.single_split(spec):
        # The rest of the only split is training data (see seqgpt.data.mixture).
        instances = [replace(i, split=f"{split}:held-out") for i in instances
                     if mixture.held_out(i)]
    if not instances:
        raise EvalArgumentError(f"--data: dataset {name!r} has no instances in split {split!r}")
    return instances


def _names(data: str) -> list[str]:
    names = [part.strip() for part in data.split(",") if part.strip()]
    if not names:
        raise EvalArgumentError("--data is empty; give dataset names or JSONL paths, "
                                "comma-separated")
    return list(dict.fromkeys(names))


def _progress(total: int) -> Callable[[int], None] | None:
    """A one-line counter on an interactive terminal; nothing in logs and pipes."""
    if not sys.stderr.isatty():
        return None

    def report(done: int) -> None:
        print(f"\r{done}/{total} instances", end="" if done < total else "\n",
              file=sys.stderr, flush=True)

    return report
