"""``seqgpt train``: train a compact model on a mixture file, resumable, with dev checkpoints."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.types import SeqGPTError

_EPILOG = """examples:
  seqgpt data build --stage finetune -o mix.jsonl
  seqgpt train --data mix.jsonl --out runs/default --steps 2000 --dev wnut17,trec
  seqgpt train --data mix.jsonl --out runs/default --steps 2000 --dev wnut17,trec   # resumes

Re-running the same command continues from the run folder's last checkpoint."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from seqgpt.train.compact import TrainingArgs

    parser = subparsers.add_parser(
        "train", help="train a compact model on atomic instances (JSONL)",
        description="Train the compact extractor + classifier on a JSONL file of atomic "
                    "instances (as written by `seqgpt data build`), with checkpoints, progress "
                    "and resume.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, action="append",
                        help="JSONL of atomic instances; repeat to concatenate files")
    parser.add_argument("--out", required=True, type=Path, help="run folder (created)")
    parser.add_argument("--from", dest="start", default=None,
                        help="compact model folder to continue from (default: fresh heads on "
                             "the base encoder)")
    parser.add_argument("--base", default="multilingual-e5-small", help="base encoder")
    parser.add_argument("--encoder-layers", type=int, default=6,
                        help="keep only the first N encoder layers (speed)")
    parser.add_argument("--dev", default="",
                        help="zero-shot dev datasets to pick the best checkpoint on "
                             "(comma-separated registry names)")
    parser.add_argument("--dev-limit", type=int, default=100, help="instances per dev set")
    defaults = TrainingArgs()
    for f in fields(TrainingArgs):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(getattr(defaults, f.name)),
                            default=getattr(defaults, f.name))
    parser.set_defaults(func=run)
    return parser


def read_instances(paths: list[str]) -> list[AtomicInstance]:
    instances = []
    for path in paths:
        try:
            handle = open(path, encoding="utf-8")
        except OSError as error:
            raise SeqGPTError(f"--data {path}: cannot read ({error.strerror})") from None
        with handle:
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    instances.append(AtomicInstance.from_dict(json.loads(line)))
                except (ValueError, KeyError, TypeError) as error:
                    raise DataFormatError(path, line_no, f"not an atomic instance ({error})") \
                        from None
    if not instances:
        raise SeqGPTError(f"--data {', '.join(paths)}: no instances")
    return instances


def run(args: argparse.Namespace) -> int:
    from seqgpt.backends import compact
    from seqgpt.model.spans import SpanModelConfig
    from seqgpt.train.compact import Trainer, TrainingArgs
    from seqgpt.train.devset import dev_scorer

    instances = read_instances(args.data)
    training = TrainingArgs(**{f.name: getattr(args, f.name) for f in fields(TrainingArgs)})
    if args.start:
        model = compact.CompactBackend.from_folder(Path(args.start)).model
    else:
        model = compact.build(SpanModelConfig(base_encoder=args.base,
                                              encoder_layers=args.encoder_layers))
    names = [n.strip() for n in args.dev.split(",") if n.strip()]
    dev = dev_scorer(names, args.dev_limit, training.seed) if names else None
    print(f"training on {len(instances)} instances -> {args.out}", file=sys.stderr)
    best = Trainer(model, instances, args.out, training, dev=dev).run()
    print(f"best model: {best}")
    return 0
