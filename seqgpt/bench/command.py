"""The ``seqgpt bench`` command."""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

from seqgpt.bench import subject
from seqgpt.bench.coldstart import cold_start
from seqgpt.bench.report import format_report
from seqgpt.bench.samples import BATCH, EXTRACT_LABELS, make_samples
from seqgpt.bench.suite import FULL, QUICK, measure
from seqgpt.errors import SeqGPTError

_DESCRIPTION = """Measure speed and memory of a compact model on the same texts, batch 32: extract
and classify with 5 and 20 labels, the bare encoder (the floor), a random DeBERTa-v3-base
(GLiNER-M's encoder), the same in bfloat16 (our option; DeBERTa under autocast), a random
BLOOM-560M generating upstream answers (SeqGPT-560M's architecture), the cold start of a fresh
process (median of three) and peak memory. Prints a table and the ratios with their targets."""

_EPILOG = """examples:
  seqgpt bench                  # the default model (2-3 minutes on 2 idle cores)
  seqgpt bench --untrained      # its architecture with untrained heads
  seqgpt bench --quick --json   # a short run, numbers as JSON
  seqgpt bench --model path/to/compact-model"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench", help="speed/memory benchmark against the encoder floor, DeBERTa and BLOOM",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="a compact model folder (default: $SEQGPT_MODEL, else the embedded "
                             "default, else its architecture with untrained heads)")
    parser.add_argument("--untrained", action="store_true",
                        help="measure the default architecture with untrained heads instead")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and one BLOOM text (about a minute)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the texts (default 0)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="torch threads (default: the cores available)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise SeqGPTError(f"--threads must be a positive integer, got {args.threads}")
    if args.untrained and args.model:
        raise SeqGPTError("give either --model or --untrained, not both")
    torch.set_num_threads(args.threads)
    # The cold start first, before this process loads anything: here a parent holding a
    # loaded model slowed its child's start from 2.0-2.3 s to 2.8-4.0 s.
    expected = subject.load_code(args.model, args.untrained)
    text = make_samples(BATCH, args.seed)[0].text
    try:
        cold = cold_start(expected, text, EXTRACT_LABELS,
                          (QUICK if args.quick else FULL).cold_starts)
    except SeqGPTError:  # e.g. the default model is missing: load_model falls back
        cold = None
    nlu, name, code = subject.load_model(args.model, args.untrained)
    if code != expected:
        cold = None
    if not args.json:
        print(f"measuring {name} ...", file=sys.stderr)
    result = measure(nlu, quick=args.quick, seed=args.seed, model_name=name, load_code=code,
                     cold=cold)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0
