"""``seqgpt annotate``: annotate a whole corpus, resumably."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from seqgpt.annotate.job import DEFAULT_CHUNK, AnnotateError, Job

_DESCRIPTION = """Annotate every record of IN and write OUT: JSON Lines, one line per input
record (in input order) with the result added under --output-field. Kill it at any point
(Ctrl-C, kill -9) and re-run the same command: it goes on where it stopped, with no record lost
or written twice. A changed model, task, labels or input is refused. Bad records (invalid JSON,
missing field, not UTF-8, empty text) go to OUT.errors.jsonl with their line numbers."""

_EPILOG = """examples:
  seqgpt annotate news.jsonl -o news.ner.jsonl --task extract --labels person,city,company
  seqgpt annotate reviews.csv --text-column body -o reviews.out.jsonl --task classify \\
      --labels positive,negative --workers 2
  cat texts.txt | seqgpt annotate - -o out.jsonl --task extract --labels 人物,地点
  seqgpt annotate corpus.parquet -o out.parquet --task classify --labels a,b --engine ray

IN: JSON Lines (.jsonl, the text in --text-field), CSV/TSV with a header (--text-column), plain
text (.txt or stdin, one text per line), Parquet (--engine ray). --option KEY=VALUE passes a
model option to every call (threshold=0.3, nested=true, multi_label=true); its value is read as
JSON when it parses, else as a string.

Composite tasks: ner, sentiment, topic take labels like extract; slots takes the slot names
(intents: --option 'intents=["book","cancel"]'); relations the relation names or a JSON object
{"name": ["head type", "tail type"]} (entity types: --option 'entity_types=["person"]');
events a JSON schema {"type": ["role", ...]}; extract-json a JSON schema; answer a JSON list of
questions asked of every text."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from seqgpt.annotate.tasks import TASKS

    parser = subparsers.add_parser(
        "annotate", help="annotate a corpus file (resumable; workers; Ray)",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", metavar="IN", help="input file, or '-' for stdin")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output JSON Lines file (.parquet with --engine ray)")
    parser.add_argument("--task", default="extract", choices=list(TASKS),
                        help="what to do with each text (default extract)")
    parser.add_argument("--labels", required=True,
                        help="labels separated by ',' or '，', a JSON value, or @file.json")
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                             "default model)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a model option for every call, e.g. threshold=0.3 (repeatable)")
    parser.add_argument("--input-format", choices=("jsonl", "csv", "tsv", "text", "parquet"),
                        help="format of IN (default: from its name; stdin: text)")
    parser.add_argument("--text-field", "--text-column", dest="text_field", default="text",
                        help="JSON field or CSV/Parquet column holding the text (default text)")
    parser.add_argument("--output-field", default="result",
                        help="field the result is stored under (default result; replaces an "
                             "input field of that name)")
    parser.add_argument("--errors", help="errors file (default OUT.errors.jsonl)")
    parser.add_argument("--batch-size", type=int, help="texts per model forward pass")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK,
                        help=f"records per unit of work and per checkpoint (default "
                             f"{DEFAULT_CHUNK})")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes, each with its own model (default 1); with --engine "
                             "ray, the number of model actors")
    parser.add_argument("--overwrite", action="store_true",
                        help="start over, discarding OUT, its errors file and its checkpoint")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local processes (default), or Ray Data (pip install -e '.[ray]')")
    parser.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"),
                        help="Ray cluster to use, e.g. ray://head:10001 (default: $RAY_ADDRESS, "
                             "else a local Ray)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar, even on a terminal")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from seqgpt.annotate.tasks import parse_labels

    job = Job(input=args.input, output=args.output, task=args.task,
              labels=parse_labels(args.labels), model=args.model,
              options=parse_options(args.option), input_format=args.input_format,
              text_field=args.text_field, output_field=args.output_field,
              batch_size=args.batch_size, chunk_size=args.chunk_size, workers=args.workers,
              errors=args.errors, overwrite=args.overwrite,
              progress=False if args.no_progress else None)
    if args.engine == "ray":
        from seqgpt.annotate.ray_engine import run as run_ray

        summary = run_ray(job, address=args.ray_address)
    else:
        from seqgpt.annotate.job import run as run_local

        summary = run_local(job)
    print(summary.line(), file=sys.stderr)
    return 0


def parse_options(items: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise AnnotateError(f"--option {item!r}: expected KEY=VALUE, e.g. threshold=0.3")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options
