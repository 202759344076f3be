"""The model-option flags every task command shares (``seqgpt extract``, ``classify`` and the
composite tasks): the options the Python API takes per call."""

from __future__ import annotations

import argparse
from typing import Any


def add_option_arguments(parser: argparse.ArgumentParser, *, nested: bool = True,
                         multi_label: bool = True) -> None:
    """``--threshold``, ``--nested``, ``--symbol-spans``, ``--multi-label``: the model options
    of the Python API (compact models; a generative model refuses them). Unset flags leave the
    model's default."""
    parser.add_argument("--threshold", type=unit_float, default=None, metavar="T",
                        help="lowest score a span or label needs, in [0, 1] (default: the "
                             "model's, 0.1 for the embedded one; 0.5 is more precise)")
    if nested:
        parser.add_argument("--nested", action="store_true", default=None,
                            help="allow spans inside other spans (default: they never overlap)")
        parser.add_argument("--symbol-spans", action="store_true", default=None,
                            help="also return spans with no letter or digit, such as '@' or "
                                 "an emoji (default: dropped)")
    if multi_label:
        parser.add_argument("--multi-label", action="store_true", default=None,
                            help="classification: every label over the threshold, not only "
                                 "the best one")


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of :func:`add_option_arguments` the user gave."""
    names = ("threshold", "nested", "symbol_spans", "multi_label")
    given = {name: getattr(args, name, None) for name in names}
    return {name: value for name, value in given.items() if value is not None}


def unit_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1], got {value!r}")
    return number
