"""``seqgpt eval-tasks``: the composite-task scores of :mod:`seqgpt.evaluate.tasks` on the
command line (also ``python -m seqgpt.evaluate.tasks_command``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

import seqgpt
from seqgpt.data import registry
from seqgpt.errors import SeqGPTError, TaskEvaluationError
from seqgpt.evaluate import tasks
from seqgpt.evaluate.task_result import format_table
from seqgpt.evaluate.tasks import DATASETS, evaluate_dataset

#: The command's description: the scoring module's, without its last paragraph (how to run it).
_DESCRIPTION = (tasks.__doc__ or "").rsplit("\n\n", 1)[0]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "eval-tasks", help="score the composite tasks (relations, events, answers, NLI, slots)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  seqgpt eval-tasks --limit 100 --json scores.json\n  seqgpt "
               "eval-tasks --task relations --data conll04_re --limit 50")
    _arguments(parser)
    parser.set_defaults(func=run)
    return parser


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", default=None,
                        help=f"comma-separated tasks among {', '.join(DATASETS)} (default: all)")
    parser.add_argument("--data", default=None,
                        help="comma-separated dataset names (default: every dataset of the tasks)")
    parser.add_argument("--split", default=None, help="split (default: the evaluation split)")
    parser.add_argument("--limit", type=int, default=None,
                        help="seeded random sample of N examples per dataset")
    parser.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                             "default model)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="compact models: the score a span needs (default: the model's own, "
                             "0.5 for the default model)")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the scores (with P and R) as JSON to PATH")


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise TaskEvaluationError(f"--limit must be a positive number, got {args.limit}")
    tasks = [t.strip() for t in (args.task or ",".join(DATASETS)).split(",") if t.strip()]
    unknown = [t for t in tasks if t not in DATASETS]
    if unknown:
        raise TaskEvaluationError(f"--task: unknown task {unknown[0]!r}; expected one of "
                                  f"{', '.join(DATASETS)}")
    names = ([n.strip() for n in args.data.split(",") if n.strip()] if args.data
             else [n for t in tasks for n in DATASETS[t]])
    for name in names:
        registry.get(name)  # an unknown name fails before the model loads
    options = {} if args.threshold is None else {"threshold": args.threshold}
    model = seqgpt.load(args.model, **options)
    started = time.perf_counter()
    results = []
    for name in names:
        results.append(evaluate_dataset(model, name, split=args.split, limit=args.limit,
                                        seed=args.seed))
        print(f"{name}: {results[-1].n} examples in {results[-1].seconds:.0f} s",
              file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    print(format_table(results))
    print(f"{sum(r.n for r in results)} examples in {seconds:.0f} s; scores in %",
          file=sys.stderr)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"model": args.model or "default", "options": options,
                       "limit": args.limit, "seed": args.seed,
                       "seconds": round(seconds, 1), "results": [r.to_dict() for r in results]},
                      out, ensure_ascii=False, indent=1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqgpt.evaluate.tasks",
                                     description=_DESCRIPTION)
    _arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except SeqGPTError as error:
        print(f"seqgpt eval-tasks: error: {error}", file=sys.stderr)
        return 2



if __name__ == "__main__":
    sys.exit(main())
