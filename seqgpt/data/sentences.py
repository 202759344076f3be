"""Cutting running text into sentences: Chinese corpora annotated per document, and the
contexts of reading comprehension.

Sentences end at 。！？!?… (with any closing quotes or brackets that follow). By default line
breaks and full stops are no sentence end, because the corpora that need this (Chinese PDF
extractions) are wrapped mid-word and write decimals and abbreviations with dots; ``prose=True``
also ends a sentence at a full stop before white space and at a line break.
"""

from __future__ import annotations

import re
from typing import Protocol

from seqgpt.types import Span

_SENTENCE_END = re.compile(r"[。！？!?…]+[”’\"』」）)]*")
_PROSE_SENTENCE_END = re.compile(r"[。！？!?…]+[”’\"』」）)]*|\.[”’\")]*(?=\s)|\n+")
# a comma inside a number (1,000) divides nothing
_CLAUSE_BREAK = re.compile(r"(?<!\d),|,(?!\d)|[;:，；：]|\bbut\b", re.IGNORECASE)


def language_of(text: str) -> str:
    """``"zh"`` where at least a fifth of the non-space characters are CJK ideographs, else
    ``"en"``: which language's defaults (question forms, relation names) a text gets."""
    chars = [c for c in text if not c.isspace()]
    cjk = sum("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in chars)
    return "zh" if chars and cjk * 5 >= len(chars) else "en"


class Located(Protocol):
    """Anything with character offsets (a mention)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def unwrap(raw: str) -> tuple[str, list[int]]:
    """Remove every line break; ``position[i]`` is where character ``i`` of ``raw`` (or the next
    kept one) lands in the result."""
    kept: list[str] = []
    position: list[int] = []
    for char in raw:
        position.append(len(kept))
        if char not in "\r\n":
            kept.append(char)
    position.append(len(kept))
    return "".join(kept), position


def sentence_bounds(text: str, prose: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-blank sentence, surrounding white space excluded."""
    cuts, at = [], 0
    for match in (_PROSE_SENTENCE_END if prose else _SENTENCE_END).finditer(text):
        cuts.append((at, match.end()))
        at = match.end()
    cuts.append((at, len(text)))
    return [bound for start, end in cuts for bound in _trimmed(text, start, end)]


def clause_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause of prose: its sentences (``prose=True``) cut at commas,
    semicolons and colons (either script) and before an English "but", white space and the
    break itself excluded."""
    bounds = []
    for start, end in sentence_bounds(text, prose=True):
        at = start
        for match in _CLAUSE_BREAK.finditer(text, start, end):
            bounds += _trimmed(text, at, match.start())
            at = match.end() if match.group().lower() != "but" else match.start()
        bounds += _trimmed(text, at, end)
    return bounds


def stripped_span(label: str, text: str, start: int, end: int, score: float) -> Span | None:
    """``text[start:end]`` as a span of ``label`` without white space at either end (a
    reader's token carries the space before its word), its score rounded to 4 places;
    ``None`` where the range holds only white space."""
    bounds = _trimmed(text, start, end)
    if not bounds:
        return None
    (first, last), = bounds
    return Span(label, text[first:last], first, last, round(score, 4))


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[(start, end)]`` narrowed to leave out white space at either end, or ``[]`` where
    the range holds only white space."""
    piece = text[start:end]
    if not piece.strip():
        return []
    first = start + len(piece) - len(piece.lstrip())
    return [(first, start + len(piece.rstrip()))]


def sentence_of(mention: Located, bounds: list[tuple[int, int]]) -> int | None:
    """The sentence holding the whole mention; ``None`` for one that crosses a boundary."""
    first, last = sentence_span(mention, bounds)
    return first if first == last else None


def sentence_span(mention: Located, bounds: list[tuple[int, int]]) -> tuple[int, int]:
    """Indices of the first and last sentence the mention touches."""
    touched = [n for n, (s, e) in enumerate(bounds) if s < mention.end and mention.start < e]
    if not touched:
        raise ValueError(f"mention {mention} lies outside every sentence")
    return touched[0], touched[-1]
