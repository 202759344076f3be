"""Small helpers the classification / NLI / RE / MRC readers share: decoding files, numbered
lines, label lookup through a dataset's label table, and counted (never silent) skips."""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec

log = logging.getLogger("seqgpt.data")

BOM = "\ufeff"


def split_paths(spec: DatasetSpec, root: Path, split: str) -> list[Path]:
    return [root / name for name in spec.files[split]]


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A whole file as text, stray BOM removed; undecodable bytes are a DataFormatError."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DataFormatError(path, None, f"cannot read the file ({err.strerror})") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise DataFormatError(path, line, f"bytes are not valid {encoding}") from None
    return text.lstrip(BOM)


def numbered_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, str]]:
    """``(line_no, line)`` without the line ending; only ``\\n`` and ``\\r\\n`` end a line, so a
    Latin-1 NEL byte (0x85) or a form feed inside a sentence stays part of it."""
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataFormatError(path, None, f"cannot read the file ({err.strerror})") from None
    with handle:
        for line_no, raw in enumerate(handle, 1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                raise DataFormatError(path, line_no, f"bytes are not valid {encoding}") from None
            if line_no == 1:
                line = line.lstrip(BOM)
            yield line_no, line.rstrip("\r\n")


def load_json(path: Path) -> Any:
    """One JSON document (a BOM is tolerated)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, err.lineno, f"invalid JSON ({err.msg})") from None


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_no, object)`` for every non-blank line of a JSON Lines file."""
    for line_no, line in numbered_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(path, line_no, f"not valid JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise DataFormatError(path, line_no, "expected a JSON object on each line")
        yield line_no, record


def need(record: dict[str, Any], key: str, path: Path, line: int | None,
         kind: type | tuple[type, ...] = str, where: str = "") -> Any:
    """``record[key]``, which must exist and be of ``kind``; ``where`` names the record when
    the file has no useful line number (one JSON document)."""
    prefix = f"{where}: " if where else ""
    if key not in record:
        raise DataFormatError(path, line, f"{prefix}missing field {key!r}")
    value = record[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataFormatError(path, line, f"{prefix}field {key!r} should be {want}, got {value!r}")
    return value


# csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE: the values csv.reader takes.
Quoting = Literal[0, 1, 2, 3]


def csv_rows(path: Path, encoding: str = "utf-8", delimiter: str = ",",
             quoting: Quoting = csv.QUOTE_MINIMAL) -> Iterator[tuple[int, list[str]]]:
    """``(line_no, fields)`` of a CSV/TSV file, streamed; the header is the first row."""
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataFormatError(path, None, f"cannot read the file ({err.strerror})") from None
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    with io.TextIOWrapper(handle, encoding=codec, newline="") as text:
        rows = csv.reader(text, delimiter=delimiter, quoting=quoting)
        try:
            for row in rows:
                yield rows.line_num, row
        except UnicodeDecodeError:
            raise DataFormatError(path, rows.line_num + 1,
                                  f"bytes are not valid {encoding}") from None
        except csv.Error as err:
            raise DataFormatError(path, rows.line_num, f"bad CSV ({err})") from None


def facet_tags(spec: DatasetSpec, facet: str = "label") -> tuple[str, ...]:
    """The raw tags of one label set of a dataset: ``options["facets"][facet]`` when the dataset
    has several (entity types and relations; a product category and a sentiment), else every
    key of its label table."""
    facets = spec.options.get("facets")
    if isinstance(facets, dict):
        if facet not in facets:
            raise KeyError(f"{spec.name} has no label facet {facet!r}")
        return tuple(facets[facet])
    return tuple(spec.label_names)


class LabelSet:
    """One label set of a dataset: the user words shown to the model (table order, no repeats)
    and the lookup from raw tag to user word; an unknown raw tag is a format error."""

    def __init__(self, spec: DatasetSpec, facet: str = "label") -> None:
        self.spec = spec
        self.facet = facet
        self.words_of = {tag: spec.label(tag) for tag in facet_tags(spec, facet)}
        self.words = list(dict.fromkeys(self.words_of.values()))

    def word(self, tag: str, path: Path, line: int | None) -> str:
        try:
            return self.words_of[tag]
        except KeyError:
            tags = list(self.words_of)
            known = ", ".join(tags[:20]) + (f", ... ({len(tags)} in all)" if len(tags) > 20 else "")
            problem = f"unknown {self.facet} {tag!r} for {self.spec.name}; expected one of {known}"
            raise DataFormatError(path, line, problem) from None


def vocabulary(spec: DatasetSpec, root: Path) -> dict[str, str]:
    """Raw type -> user words of a dataset whose labels come from an open vocabulary file
    (``options["vocabulary"]``, one raw type a line; UFET's 10k types) instead of a label
    table: far too many to list in the catalogue, and the file is the dataset's own definition
    of which types exist. A type's words are its label-table entry, else the type with
    underscores as spaces ("football_player" -> "football player")."""
    name = spec.options.get("vocabulary")
    if not isinstance(name, str):
        raise KeyError(f"{spec.name} has no vocabulary file (options['vocabulary'])")
    return {tag: spec.label_names.get(tag, tag.replace("_", " ").strip())
            for tag in _vocabulary_file(root / name)}


@functools.lru_cache(maxsize=8)
def _vocabulary_file(path: Path) -> tuple[str, ...]:
    tags: dict[str, None] = {}
    for line_no, line in numbered_lines(path):
        tag = line.strip()
        if not tag:
            continue
        if tag.replace("_", " ").strip() == "" or any(c in tag for c in ",，"):
            raise DataFormatError(path, line_no, f"type {tag!r} cannot be a label")
        tags[tag] = None
    if not tags:
        raise DataFormatError(path, None, "the vocabulary file lists no types")
    return tuple(tags)


def report_skips(spec: DatasetSpec, split: str, path: Path, counts: dict[str, int]) -> None:
    """Log every kind of record a reader dropped on purpose (documented in the catalogue)."""
    for reason, count in counts.items():
        if count:
            log.info("%s/%s: skipped %d record(s) of %s: %s", spec.name, split, count, path, reason)


def seeded(spec: DatasetSpec, split: str, key: object) -> random.Random:
    """A generator that gives the same sample on every run and machine for one record."""
    return random.Random(f"{spec.name}|{split}|{key}")


def classify(spec: DatasetSpec, split: str, text: str, labels: list[str], gold: list[str],
             meta: dict[str, Any] | None = None, multi_label: bool = False) -> AtomicInstance:
    """A classify instance with its own copy of ``labels`` (readers share one label list per
    split; a consumer that edits an instance's labels must not edit its neighbours')."""
    return AtomicInstance(text=text, task="classify", labels=list(labels), dataset=spec.name,
                          split=split, language=spec.language, gold=gold,
                          multi_label=multi_label, meta=meta or {})
