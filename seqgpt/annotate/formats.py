"""Input records for ``seqgpt annotate``: JSONL, CSV/TSV, plain text and Parquet, read from a
byte stream so the job knows exactly how many bytes (and which bytes) each record used.

Every input record becomes a :class:`Record`: either a text to annotate with its source fields,
or an error (bad JSON, missing field, not UTF-8, empty text) with the line it starts on. A bad
record never stops the reader; a bad *file* (a CSV header without the text column) does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seqgpt.errors import InputFormatError

FORMATS = ("jsonl", "csv", "tsv", "text", "parquet")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
             ".tsv": "tsv", ".txt": "text", ".text": "text", ".parquet": "parquet"}
_BOM = b"\xef\xbb\xbf"


@dataclass
class Record:
    """One input record. ``line`` is where it starts (1-based; the row number for Parquet).
    Exactly one of ``text`` (with its source ``fields``) and ``error`` is set."""

    line: int
    fields: dict[str, Any] | None = None
    text: str | None = None
    error: str | None = None


def guess_format(path: str, given: str | None) -> str:
    """``given`` if set, else the format the file name says; stdin (``-``) defaults to text."""
    if given:
        if given not in FORMATS:
            raise InputFormatError(f"--input-format must be one of {', '.join(FORMATS)}, "
                                   f"got {given!r}")
        return given
    if path == "-":
        return "text"
    name = path.lower()
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    raise InputFormatError(f"cannot tell the format of {path!r} from its name; pass "
                           f"--input-format ({', '.join(FORMATS)})")


class Source:
    """A binary input that counts and hashes every byte handed to the reader, so the job can
    checkpoint "the first N bytes, whose SHA-256 is H" at any record boundary."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.offset = 0
        self.hasher = hashlib.sha256()

    def lines(self) -> Iterator[bytes]:
        for raw in self.handle:
            self.offset += len(raw)
            self.hasher.update(raw)
            yield raw


def read_records(source: Source, fmt: str, text_field: str,
                 name: str = "input") -> Iterator[Record]:
    """Stream the records of ``source`` (called ``name`` in errors). Lines end at ``\\n`` only
    (``\\r\\n`` is stripped)."""
    if fmt == "jsonl":
        records = _jsonl(source, text_field)
    elif fmt == "text":
        records = _text(source, text_field)
    elif fmt in ("csv", "tsv"):
        records = _csv(source, text_field, "," if fmt == "csv" else "\t")
    else:
        raise InputFormatError(f"{name}: {fmt} input is read only by --engine ray")
    try:
        yield from records
    except InputFormatError as err:
        raise InputFormatError(f"{name}: {err}") from None


def _decoded(source: Source) -> Iterator[tuple[int, str | None]]:
    """``(line_no, line)`` with the line ending removed; ``None`` for a line that is not UTF-8."""
    for line_no, raw in enumerate(source.lines(), 1):
        if line_no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        try:
            line: str | None = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            line = None
        yield line_no, line


def _text(source: Source, text_field: str) -> Iterator[Record]:
    for line_no, line in _decoded(source):
        yield _with_text(line_no, {text_field: line} if line is not None else None, text_field)


def _jsonl(source: Source, text_field: str) -> Iterator[Record]:
    for line_no, line in _decoded(source):
        if line is None:
            yield Record(line_no, error="bytes are not valid UTF-8")
            continue
        if not line.strip():
            yield Record(line_no, error="blank line; expected a JSON object")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            yield Record(line_no, error=f"not valid JSON ({err.msg} at column {err.colno})")
            continue
        if not isinstance(value, dict):
            yield Record(line_no, error=f"expected a JSON object, got {type(value).__name__}")
            continue
        yield _with_text(line_no, value, text_field)


def _with_text(line_no: int, fields: dict[str, Any] | None, text_field: str) -> Record:
    if fields is None:
        return Record(line_no, error="bytes are not valid UTF-8")
    if text_field not in fields:
        return Record(line_no, error=f"missing field {text_field!r}")
    text = fields[text_field]
    if not isinstance(text, str):
        return Record(line_no, error=f"field {text_field!r} should be a string, "
                                     f"got {type(text).__name__}")
    if not text.strip():
        return Record(line_no, error=f"field {text_field!r} is empty")
    return Record(line_no, fields=fields, text=text)


def _csv(source: Source, text_field: str, delimiter: str) -> Iterator[Record]:
    # csv.reader pulls one physical line at a time and never reads ahead of the row it returns,
    # so after each row the source has consumed exactly that row's bytes (quoted newlines too).
    bad_lines: list[int] = []
    consumed = [0]  # physical lines handed to the csv reader so far

    def lines() -> Iterator[str]:
        for line_no, line in _decoded(source):
            consumed[0] = line_no
            if line is None:
                bad_lines.append(line_no)
            yield (line or "") + "\n"

    rows = csv.reader(lines(), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        return
    except csv.Error as err:
        raise InputFormatError(f"line 1: bad CSV header ({err})") from None
    if bad_lines:
        raise InputFormatError("line 1: the header is not valid UTF-8")
    if text_field not in header:
        raise InputFormatError(f"line 1: the header has no column {text_field!r} (columns: "
                               f"{', '.join(header)}); name it with --text-column")
    if len(set(header)) != len(header):
        twice = sorted({name for name in header if header.count(name) > 1})
        raise InputFormatError(f"line 1: the header names column {twice[0]!r} twice")
    while True:
        start = consumed[0] + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as err:
            yield Record(start, error=f"bad CSV ({err})")
            continue
        if bad_lines:
            bad_lines.clear()
            yield Record(start, error="bytes are not valid UTF-8")
        elif not row:
            yield Record(start, error="blank line; expected a CSV row")
        elif len(row) != len(header):
            yield Record(start, error=f"row has {len(row)} fields, the header has {len(header)}")
        else:
            yield _with_text(start, dict(zip(header, row, strict=True)), text_field)


def parquet_records(data: bytes, text_field: str, name: str = "input") -> Iterator[Record]:
    """The rows of one Parquet file (``line`` is the 1-based row number)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except pa.ArrowException as err:
        raise InputFormatError(f"{name}: not a readable Parquet file ({err})") from None
    if text_field not in table.column_names:
        raise InputFormatError(f"{name}: no column {text_field!r} (columns: "
                               f"{', '.join(table.column_names)}); name it with --text-column")
    for row_no, row in enumerate(table.to_pylist(), 1):
        yield _with_text(row_no, row, text_field)


def open_input(path: str) -> IO[bytes]:
    """The input as bytes: a file, or stdin for ``-``."""
    if path == "-":
        import sys

        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as err:
        raise InputFormatError(f"cannot read {path} ({err.strerror})") from None
