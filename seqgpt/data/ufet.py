"""Ultra-fine entity typing (UFET, Choi et al. 2018) -> one extract instance per typed mention.

Format: JSON Lines ``{"annot_id", "left_context_token": [...], "mention_span": "...",
"right_context_token": [...], "y_str": [types]}``; the sentence is the left tokens, the mention
and the right tokens. The text joins them with single spaces (the tokens keep no original
spacing, and a plain join makes the mention's offsets exact); the labels are the mention's
types in user words (``readkit.vocabulary``: underscores as spaces), and the spans are the
mention once under each of its types.

Partial annotation: only this one mention of the sentence is typed, so every other span is
unknown, not a negative, and the instance says so with ``meta["partial"] = True`` (see
``seqgpt.data.instance``). Negative labels for the mention come later, from the dataset's
type vocabulary (``mixture.add_negatives``). A type missing from the vocabulary file is a
format error; a mention without types (29 in train) carries no signal and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import json_lines, need, report_skips, vocabulary
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import extract
from seqgpt.types import Span


def read_ufet(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    types = vocabulary(spec, root)
    for name in spec.files[split]:
        path = root / name
        untyped = 0
        for line_no, record in json_lines(path):
            left, mention, right = _pieces(record, path, line_no)
            labels = _types(record, types, path, line_no)
            if not labels:
                untyped += 1
                continue
            start = len(" ".join(left)) + (1 if left else 0)
            text = " ".join([*left, mention, *right])
            spans = [Span(label, mention, start, start + len(mention)) for label in labels]
            meta = {"id": need(record, "annot_id", path, line_no), "source": f"{name}:{line_no}",
                    "partial": True}
            yield extract(spec, split, text, labels, spans, meta)
        report_skips(spec, split, path, {"mentions without types": untyped})


def _pieces(record: dict[str, Any], path: Path,
            line: int) -> tuple[list[str], str, list[str]]:
    """Left tokens, the mention, right tokens; a blank mention or token is a format error."""
    left = need(record, "left_context_token", path, line, list)
    right = need(record, "right_context_token", path, line, list)
    mention = need(record, "mention_span", path, line)
    if not mention.strip() or mention != mention.strip():
        raise DataFormatError(path, line, f"mention_span {mention!r} should be non-blank "
                                          "without surrounding spaces")
    for token in (*left, *right):
        if not isinstance(token, str) or not token.strip():
            raise DataFormatError(path, line, f"context tokens should be non-blank strings, "
                                              f"got {token!r}")
    return left, mention, right


def _types(record: dict[str, Any], types: dict[str, str], path: Path, line: int) -> list[str]:
    """The mention's types in user words, in file order, each once."""
    words: dict[str, None] = {}
    for tag in need(record, "y_str", path, line, list):
        if tag not in types:
            raise DataFormatError(path, line, f"type {tag!r} is not in the vocabulary file")
        words[types[tag]] = None
    return list(words)
