"""Helpers the extraction readers share: joining tokens into text, decoding BIO-style tag
sequences, checking character spans, and locating string values in a text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import need
from seqgpt.data.registry import DatasetSpec
from seqgpt.types import Span

# English detokenisation: a user writes "Paris, France." and "don't", not "Paris , France ." .
_NO_SPACE_BEFORE = frozenset({",", ".", "?", "!", ";", ":", ")", "]", "}", "%",
                              "'s", "'m", "'re", "'ve", "'ll", "'d", "n't"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{"})

#: Tag prefixes each scheme allows; "io" tags carry the bare type (Few-NERD).
SCHEMES: dict[str, frozenset[str]] = {
    "bio": frozenset("BI"), "iob1": frozenset("BI"), "bioes": frozenset("BIES"),
    "bmes": frozenset("BMES"), "io": frozenset(),
}


def join_tokens(tokens: Sequence[str], language: str) -> tuple[str, list[int]]:
    """The text a user would have written and the start offset of every token in it.

    Chinese tokens (characters) are concatenated; English tokens are joined by single spaces,
    except before closing punctuation and clitics and after opening brackets."""
    starts: list[int] = []
    parts: list[str] = []
    length = 0
    previous = ""
    for i, token in enumerate(tokens):
        if i and language != "zh" and token.lower() not in _NO_SPACE_BEFORE \
                and previous not in _NO_SPACE_AFTER:
            parts.append(" ")
            length += 1
        starts.append(length)
        parts.append(token)
        length += len(token)
        previous = token
    return "".join(parts), starts


def decode_tags(tags: Sequence[str], scheme: str, tag_sep: str, path: Path,
                lines: Sequence[int]) -> list[tuple[str, int, int]]:
    """``(type, first_token, end_token)`` for every entity of one tagged sentence.

    Decoding is lenient the way conlleval is: a continuation tag (I-/M-/E-) that does not
    continue an entity of its type opens a new one, and an entity still open at the end of
    the sentence ends there. IOB1 and BIO therefore decode alike. A tag that has no known
    prefix is a format error naming its line."""
    allowed = SCHEMES[scheme]
    entities: list[tuple[str, int, int]] = []
    current: str | None = None
    begin = 0

    def close(end: int) -> None:
        nonlocal current
        if current is not None:
            entities.append((current, begin, end))
        current = None

    for i, tag in enumerate(tags):
        if tag == "O":
            close(i)
            continue
        if not allowed:  # io: the tag is the type; adjacent tokens of one type are one entity
            if tag != current:
                close(i)
                current, begin = tag, i
            continue
        prefix, sep, kind = tag.partition(tag_sep)
        if not sep or prefix not in allowed or not kind:
            want = "/".join(sorted(allowed))
            raise DataFormatError(path, lines[i], f"tag {tag!r}: expected O or "
                                  f"{want}{tag_sep}<type> ({scheme.upper()} scheme)")
        continues = current == kind and prefix in "IME"
        if not continues:
            close(i)
            current, begin = kind, i
        if prefix in "ES":
            close(i + 1)
    close(len(tags))
    return entities


def make_span(text: str, label: str, start: object, end: object, path: Path,
              line: int | None, where: str = "") -> Span:
    """A checked span; surrounding whitespace inside the offsets is trimmed off (annotators
    sometimes include a trailing space), an empty or out-of-range span is a format error.
    ``start`` and ``end`` are taken as the file gives them: anything but two ints is one too."""
    prefix = f"{where}: " if where else ""
    if not (isinstance(start, int) and isinstance(end, int)) or not 0 <= start < end <= len(text):
        raise DataFormatError(path, line, f"{prefix}span [{start}, {end}) of {label!r} is not "
                              f"inside the {len(text)}-character text")
    mention = text[start:end]
    stripped = mention.strip()
    if not stripped:
        raise DataFormatError(path, line, f"{prefix}span [{start}, {end}) of {label!r} is blank")
    start += len(mention) - len(mention.lstrip())
    return Span(label, stripped, start, start + len(stripped))


def expect_mention(span: Span, mention: str, path: Path, line: int | None,
                   where: str = "") -> None:
    """The file states both offsets and the mention: they must agree."""
    if span.text != mention.strip():
        prefix = f"{where}: " if where else ""
        raise DataFormatError(path, line, f"{prefix}offsets [{span.start}, {span.end}) give "
                              f"{span.text!r}, but the file says {mention!r}")


def _cuts_number(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` starts or ends inside a number."""
    def numeric(i: int) -> bool:
        return 0 <= i < len(text) and (text[i].isdigit() or text[i] == ".")
    return (text[start].isdigit() and numeric(start - 1)) or \
        (text[end - 1].isdigit() and numeric(end))


def taken_by(spans: Iterable[Span], label: str) -> list[tuple[int, int]]:
    """The offsets of the located spans of ``label``: where ``find_value`` must not look."""
    return [(s.start, s.end) for s in spans
            if s.label == label and s.start is not None and s.end is not None]


def find_value(text: str, value: str, taken: Iterable[tuple[int, int]],
               whole_numbers: bool = True) -> int | None:
    """Start of the first occurrence of ``value`` in ``text`` that overlaps no taken span and,
    with ``whole_numbers``, does not cut a number ("5分" inside "4.5分", "0" inside "010-...");
    ``None`` if there is none."""
    taken = list(taken)
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        if not (whole_numbers and _cuts_number(text, start, end)) \
                and all(end <= a or start >= b for a, b in taken):
            return start
        start = text.find(value, start + 1)
    return None


def occurrences(text: str, phrase: str, whole_words: bool = False) -> list[int]:
    """Starts of the non-overlapping occurrences of ``phrase``, left to right. With
    ``whole_words`` an occurrence must not continue a word of the text on either side where
    the phrase itself begins or ends with a letter or digit ("US" is not in "USB" or "MUST",
    "U.S." still is in "U.S.-based")."""
    starts: list[int] = []
    at = text.find(phrase) if phrase else -1
    while at != -1:
        end = at + len(phrase)
        if not whole_words or not (_joins(text, at - 1, phrase[0])
                                   or _joins(text, end, phrase[-1])):
            starts.append(at)
            at = text.find(phrase, end)
        else:
            at = text.find(phrase, at + 1)
    return starts


def _joins(text: str, i: int, edge: str) -> bool:
    """Whether ``text[i]`` (beside a phrase whose edge character is ``edge``) would make the
    phrase part of a longer word."""
    return 0 <= i < len(text) and edge.isalnum() and text[i].isalnum()


def object_list(record: Any, key: str, path: Path, line: int | None, where: str = "",
                optional: bool = False) -> list[dict[str, Any]]:
    """``record[key]``, which must be a list of JSON objects (``[]`` if ``optional`` and absent)."""
    prefix = f"{where}: " if where else ""
    if not isinstance(record, dict):
        raise DataFormatError(path, line, f"{prefix}expected a JSON object, got {record!r}"[:200])
    items = [] if optional and key not in record else need(record, key, path, line, list, where)
    for item in items:
        if not isinstance(item, dict):
            raise DataFormatError(path, line, f"{prefix}{key!r} should hold JSON objects, got "
                                  f"{item!r}"[:200])
    return items


def unique_spans(spans: Iterable[Span]) -> list[Span]:
    """Spans in text order, each (label, start, end) once."""
    seen: dict[tuple[str, int | None, int | None], Span] = {}
    for span in spans:
        seen.setdefault((span.label, span.start, span.end), span)
    return sorted(seen.values(), key=lambda s: (s.start or 0, s.end or 0, s.label))


def extract(spec: DatasetSpec, split: str, text: str, labels: list[str], spans: Iterable[Span],
            meta: dict[str, Any] | None = None) -> AtomicInstance:
    return AtomicInstance(text=text, task="extract", labels=labels, dataset=spec.name,
                          split=split, language=spec.language, spans=unique_spans(spans),
                          meta=meta or {})
