"""The ``seqgpt`` command. Every sub-command's help starts with what it does and an example."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from seqgpt import textcheck
from seqgpt.cli_options import add_option_arguments, model_options
from seqgpt.types import SeqGPTError

_EPILOG = """examples:
  seqgpt extract "Tim Cook visited Beijing." --labels person,city
  echo "I loved it" | seqgpt classify --labels positive,negative --json
  seqgpt extract "Tim Cook visited Beijing." --labels person,city --model DAMO-NLP/SeqGPT-560M
      (a hub model: downloaded on first use, so it needs the network once)
  seqgpt eval --data conll2003 --split test --limit 100 --model path/to/model

The model comes from --model, else $SEQGPT_MODEL, else the embedded default (offline)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqgpt", epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Open-domain NLU: extract spans or classify texts for any label set.")
    from seqgpt import __version__

    parser.add_argument("--version", action="version", version=f"seqgpt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for task, summary, example in (
        ("extract", "find the spans of TEXT that answer each label",
         'seqgpt extract "Tim Cook visited Beijing." --labels person,city'),
        ("classify", "choose the labels that apply to TEXT",
         'seqgpt classify "I loved it" --labels positive,negative --json'),
    ):
        sub = commands.add_parser(
            task, help=summary, description=f"{summary[0].upper()}{summary[1:]}.",
            epilog=f"example:\n  {example}\n\nWithout --json the output is the upstream SeqGPT "
                   "answer text (one blank line between texts).",
            formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("text", nargs="?", default="-",
                         help="the text; omit it or give '-' to read texts from stdin, "
                              "one per line (blank lines are skipped)")
        sub.add_argument("--labels", required=True,
                         help="labels separated by ',' or '，', e.g. person,city")
        _add_model_argument(sub)
        add_option_arguments(sub, nested=task == "extract", multi_label=task == "classify")
        sub.add_argument("--json", action="store_true",
                         help="print one JSON object per text instead of the upstream answer")
        sub.set_defaults(func=_run_task, task=task)
    for module in ("seqgpt.tasks.command", "seqgpt.evaluate.tasks_command",
                   "seqgpt.annotate.command", "seqgpt.serve.command", "seqgpt.evaluate.command",
                   "seqgpt.data.command", "seqgpt.train.command", "seqgpt.bench"):
        _optional_commands(module, commands)
    return parser


def _add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                             "default model)")


def _optional_commands(module: str, commands: argparse._SubParsersAction) -> None:
    import importlib

    try:
        importlib.import_module(module).add_parser(commands)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise


def _run_task(args: argparse.Namespace) -> int:
    import seqgpt
    from seqgpt import inputs, prompt

    labels = prompt.check_labels(prompt.split_labels(textcheck.check(args.labels, "--labels")))
    given = inputs.read(args.text)
    for item in given:
        prompt.check_text(item.text, item.where)
    nlu = seqgpt.load(args.model)
    run = nlu.extract if args.task == "extract" else nlu.classify
    results: list[Any] = run([item.text for item in given], labels, **model_options(args))
    for i, result in enumerate(results):
        if args.json:
            print(result.to_json())
        else:
            print(("\n" if i else "") + result.to_seqgpt())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        return int(args.func(args) or 0)
    except SeqGPTError as error:
        print(f"seqgpt: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqgpt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
