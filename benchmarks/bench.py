"""``seqgpt bench`` without the command-line entry point (same options):

    python benchmarks/bench.py [--quick] [--json] [--model FOLDER] [--seed N] [--threads N]
"""

from __future__ import annotations

import argparse
import sys

from seqgpt import bench
from seqgpt.types import SeqGPTError

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py")
    bench.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", *sys.argv[1:]])
    try:
        sys.exit(bench.run(args))
    except SeqGPTError as error:
        sys.exit(f"bench: error: {error}")
