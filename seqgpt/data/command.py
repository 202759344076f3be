"""``seqgpt data``: build the training mixture (``build``), derive question-extraction instances
from its relation pairs (``questions``) and name-part rows from complete person annotation
(``name-parts``), and count the datasets (``stats``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from seqgpt.data import mixture, name_parts, questions, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.registry import DatasetSpec
from seqgpt.errors import DataArgumentError
from seqgpt.evaluate.runner import read_jsonl

_BUILD_EPILOG = """examples:
  seqgpt data build --stage pretrain -o pretrain.jsonl
  seqgpt data build --stage finetune --format prompt --seed 1 -o finetune.prompt.jsonl
  seqgpt data build --stage finetune --data conll2003,cluener2020 -o small.jsonl

Default quotas: pretrain {pt}; finetune {ft}. Zero-shot dev datasets are refused.""".format(
    pt=", ".join(f"{k} {v}" for k, v in vars(mixture.STAGES["pretrain"]).items()),
    ft=", ".join(f"{k} {v}" for k, v in vars(mixture.STAGES["finetune"]).items()))


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "data", help="build the training mixture or count the datasets",
        description="Build the SeqGPT training mixture from the shared datasets, derive "
                    "question-extraction instances from its relation pairs, or count them.")
    commands = parser.add_subparsers(dest="data_command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build", help="write a training mixture as JSON Lines",
        description="Write one training stage as JSON Lines: atomic instances, or upstream "
                    "prompt/answer pairs with --format prompt. Same seed, same file.",
        epilog=_BUILD_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--stage", choices=tuple(mixture.STAGES), required=True)
    build.add_argument("-o", "--output", required=True, type=Path, help="the JSONL file to write")
    build.add_argument("--data", default=None,
                       help="comma-separated datasets (default: every trainable dataset)")
    build.add_argument("--format", choices=("atomic", "prompt"), default="atomic",
                       help="atomic: AtomicInstance records (default); prompt: "
                            '{"prompt", "answer"} pairs, extraction label sets chunked')
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--per-dataset", type=int, default=None,
                       help="max instances per dataset and task (default: the stage's)")
    build.add_argument("--per-label", type=int, default=None,
                       help="max instances per dataset, task and primary label")
    build.add_argument("--max-negatives", type=int, default=None,
                       help="max negative labels added to an instance")
    build.set_defaults(func=run_build)

    ask = commands.add_parser(
        "questions", help="turn the relation pairs of mixture files into questions",
        description="Read mixture files (seqgpt data build, atomic format) and write one "
                    "extraction instance per (sentence, head, relation) of their relation "
                    "pairs: the question names the head ('What does HEAD RELATION?', "
                    "'HEAD的RELATION是什么？') and its answers are the tails; a share of "
                    "unanswerable questions (a relation the head does not hold there) is "
                    "added. Same files and seed, same output.",
        epilog="example:\n  seqgpt data build --stage finetune -o ft.jsonl\n"
               "  seqgpt data questions ft.jsonl -o questions.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ask.add_argument("inputs", nargs="+", type=Path, help="mixture files (JSON Lines)")
    ask.add_argument("-o", "--output", required=True, type=Path, help="the JSONL file to write")
    ask.add_argument("--unanswerable", type=float, default=0.3,
                     help="chance of adding an unanswerable question per answerable one "
                          "(default 0.3)")
    ask.add_argument("--seed", type=int, default=7)
    ask.set_defaults(func=run_questions)

    parts = commands.add_parser(
        "name-parts", help="rows asking for first and last names, from person annotation",
        description="Read the training splits of datasets whose every person is annotated "
                    "and write extraction rows asking for 'first name' / 'last name' (or "
                    "'given name' / 'surname', 'forename' / 'family name'): the first and "
                    "last word of each person of two or three capitalised words. Sentences "
                    "with any other person mention are skipped. Same data and seed, same "
                    "output.",
        epilog="example:\n  seqgpt data name-parts -o name_parts.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parts.add_argument("-o", "--output", required=True, type=Path, help="the JSONL file to write")
    parts.add_argument("--data", default=",".join(name_parts.DATASETS),
                       help="comma-separated datasets whose people are all annotated with the "
                            f"label 'person' (default: {','.join(name_parts.DATASETS)})")
    parts.add_argument("--seed", type=int, default=7)
    parts.set_defaults(func=run_name_parts)

    stats = commands.add_parser(
        "stats", help="count instances and labels of every dataset split",
        description="Stream every split of the datasets and count instances and distinct "
                    "labels per task. 'use' says what the project does with the split: train, "
                    "eval, zero-shot (never trained on), train+eval 90/10 (a single split "
                    "partitioned by a hash of the text), - (neither).",
        epilog="example:\n  seqgpt data stats --data conll2003,ocnli",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    stats.add_argument("--data", default=None, help="comma-separated datasets (default: all)")
    stats.add_argument("--json", action="store_true", help="print one JSON object per row")
    stats.set_defaults(func=run_stats)
    return parser


def _specs(data: str | None) -> list[DatasetSpec]:
    if data is None:
        return [registry.get(name) for name in registry.names()]
    names = list(dict.fromkeys(part.strip() for part in data.split(",") if part.strip()))
    if not names:
        raise DataArgumentError("--data is empty; give dataset names, comma-separated")
    return [registry.get(name) for name in names]


def run_build(args: argparse.Namespace) -> int:
    base = mixture.STAGES[args.stage]
    quotas = mixture.Quotas(
        per_dataset=base.per_dataset if args.per_dataset is None else args.per_dataset,
        per_label=base.per_label if args.per_label is None else args.per_label,
        max_negatives=base.max_negatives if args.max_negatives is None else args.max_negatives)
    for name, value in vars(quotas).items():
        if value < (0 if name == "max_negatives" else 1):
            raise DataArgumentError(f"--{name.replace('_', '-')} must be "
                                    f"{'>= 0' if name == 'max_negatives' else '>= 1'}, got {value}")
    specs = _specs(args.data)
    if args.data is None:
        skipped = [spec.name for spec in specs if spec.zero_shot_dev]
        specs = [spec for spec in specs if not spec.zero_shot_dev]
        print(f"not used (zero-shot dev): {', '.join(skipped)}", file=sys.stderr)
    if not args.output.parent.is_dir():
        raise DataArgumentError(f"-o: the folder {str(args.output.parent)!r} does not exist")
    started = time.perf_counter()
    built = mixture.build(specs, args.stage, seed=args.seed, quotas=quotas)
    lines = mixture.write(built, args.output, args.format)
    rows = [("dataset", "task", "splits", "read", "kept", "labels")]
    rows += [(s.dataset, s.task, _splits(s.splits), str(s.read), str(s.kept), str(s.labels))
             for s in built.selections]
    print(_table(rows), file=sys.stderr)
    print(f"{len(built.instances)} instances, {lines} lines -> {args.output} "
          f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


def run_questions(args: argparse.Namespace) -> int:
    if not 0 <= args.unanswerable <= 1:
        raise DataArgumentError(f"--unanswerable must be in [0, 1], got {args.unanswerable}")
    if not args.output.parent.is_dir():
        raise DataArgumentError(f"-o: the folder {str(args.output.parent)!r} does not exist")
    instances: list[AtomicInstance] = []
    for path in args.inputs:
        if not path.is_file():
            raise DataArgumentError(f"{str(path)!r}: no such file")
        instances += read_jsonl(path)  # a bad line is a DataFormatError naming file and line
    try:
        derived = questions.relation_questions(instances, unanswerable=args.unanswerable,
                                               seed=args.seed)
    except (ValueError, KeyError, TypeError) as error:  # a pair whose meta does not fit its text
        raise DataArgumentError(f"a relation pair's head/tail in its meta is unusable: {error}; "
                                "write the files with `seqgpt data build`") from None
    _write_jsonl(derived, args.output)
    unanswerable = sum(not i.spans for i in derived)
    print(f"{len(derived)} questions ({unanswerable} unanswerable) from {len(instances)} "
          f"instances -> {args.output}", file=sys.stderr)
    return 0


def run_name_parts(args: argparse.Namespace) -> int:
    specs = _specs(args.data)
    mixture.refuse_zero_shot(specs)
    if not args.output.parent.is_dir():
        raise DataArgumentError(f"-o: the folder {str(args.output.parent)!r} does not exist")
    instances = [i for spec in specs for i in mixture.training_instances(spec)]
    derived = name_parts.name_part_instances(instances, seed=args.seed)
    _write_jsonl(derived, args.output)
    print(f"{len(derived)} name-part rows from {len(instances)} instances -> {args.output}",
          file=sys.stderr)
    return 0


def _write_jsonl(instances: list[AtomicInstance], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for instance in instances:
            out.write(json.dumps(instance.to_dict(), ensure_ascii=False) + "\n")


def run_stats(args: argparse.Namespace) -> int:
    rows = [("dataset", "language", "task", "split", "instances", "labels", "use")]
    started = time.perf_counter()
    for spec in _specs(args.data):
        trains = [] if spec.zero_shot_dev else mixture.training_splits(spec)
        try:
            held = mixture.evaluation_split(spec)
        except mixture.MixtureError:
            held = None
        for split in spec.splits:
            counts: dict[str, int] = {}
            labels: dict[str, set[str]] = {}
            for instance in registry.read(spec.name, split):
                counts[instance.task] = counts.get(instance.task, 0) + 1
                labels.setdefault(instance.task, set()).update(instance.labels)
            use = ("zero-shot" if spec.zero_shot_dev
                   else f"train+eval {100 - mixture.HELD_OUT_PERCENT}/{mixture.HELD_OUT_PERCENT}"
                   if mixture.single_split(spec)
                   else "train" if split in trains else "eval" if split == held else "-")
            for task in sorted(counts):
                row = (spec.name, spec.language, task, split, str(counts[task]),
                       str(len(labels[task])), use)
                if args.json:
                    print(json.dumps(dict(zip(rows[0], row, strict=True)), ensure_ascii=False))
                else:
                    rows.append(row)
    if not args.json:
        print(_table(rows))
    print(f"counted in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def _splits(splits: list[str]) -> str:
    return ",".join(splits) if len(splits) <= 3 else f"{splits[0]}..{splits[-1]} ({len(splits)})"


def _table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) if cell.isdigit() else cell.ljust(w)
                               for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)
