"""Readers of single-text classification files -> one classify instance per text (per facet).

Formats: delimited lines (``label<TAB>text``, ``label text``, multi-label fields), TREC question
lines (``COARSE:fine question``), one text per line with the label in the file name, CSV with a
header, and JSON (JSON Lines, a dict of records, or one dict of splits holding ``[text, label]``).

Blank lines hold no record and are passed over. Options a catalogue entry may set
(``DatasetSpec.options``): ``encoding``; ``facets`` (several label sets per text, e.g.
category and sentiment: one instance per facet, ``meta["facet"]``); ``multi_label``;
``skip_empty_text`` (a documented number of records has no text; they are skipped and logged
instead of raising); format-specific keys listed on each reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet
from seqgpt.data.registry import DatasetSpec


class _Emitter:
    """Turns (text, raw tags per facet) into classify instances for one split."""

    def __init__(self, spec: DatasetSpec, split: str) -> None:
        self.spec = spec
        self.split = split
        facets = spec.options.get("facets")
        names = list(facets) if isinstance(facets, dict) else ["label"]
        self.sets = {name: LabelSet(spec, name) for name in names}
        self.multi_label = bool(spec.options.get("multi_label", False))
        self.skip_empty = bool(spec.options.get("skip_empty_text", False))
        self.skipped = 0

    def __call__(self, text: str, tags: dict[str, list[str]], path: Path, line: int | None,
                 meta: dict[str, Any] | None = None) -> Iterator[AtomicInstance]:
        if not text.strip():
            if self.skip_empty:
                self.skipped += 1
                return
            raise DataFormatError(path, line, "empty text")
        for facet, raw in tags.items():
            labels = self.sets[facet]
            gold = list(dict.fromkeys(labels.word(tag, path, line) for tag in raw))
            if not gold:
                raise DataFormatError(path, line, f"no {facet} given")
            extra = dict(meta or {})
            if len(self.sets) > 1:
                extra["facet"] = facet
            yield readkit.classify(self.spec, self.split, text, labels.words, gold, extra,
                                   self.multi_label)

    def done(self, path: Path) -> None:
        readkit.report_skips(self.spec, self.split, path, {"empty text": self.skipped})
        self.skipped = 0


def read_delimited(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """One record per line, fields split on ``sep`` (default tab) into exactly ``columns``
    fields (default 2; the last field may contain ``sep``). ``label_col`` (default 0) and
    ``text_col`` (default the last) pick the fields; ``label_sep`` splits a multi-label field;
    ``header`` skips a first line."""
    opts: Mapping[str, Any] = spec.options
    sep: str = opts.get("sep", "\t")
    columns: int = opts.get("columns", 2)
    label_col: int = opts.get("label_col", 0)
    text_col: int = opts.get("text_col", columns - 1)
    label_sep: str | None = opts.get("label_sep")
    encoding: str = opts.get("encoding", "utf-8")
    emit = _Emitter(spec, split)
    for path in readkit.split_paths(spec, root, split):
        for line_no, line in readkit.numbered_lines(path, encoding):
            if (line_no == 1 and opts.get("header")) or not line.strip():
                continue
            fields = line.split(sep, columns - 1)
            if len(fields) != columns:
                shown = "<TAB>" if sep == "\t" else repr(sep)
                raise DataFormatError(path, line_no, f"expected {columns} fields separated by "
                                                     f"{shown}, got {len(fields)}")
            raw = fields[label_col].strip()
            tags = raw.split(label_sep) if label_sep else [raw]
            yield from emit(fields[text_col].strip(), {"label": [t.strip() for t in tags]},
                            path, line_no)
        emit.done(path)


def read_trec(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """TREC question classification: ``COARSE:fine question`` per line. Facets ``coarse``
    (tags ``ABBR`` ...) and ``fine`` (tags ``ABBR:abb`` ...): two instances per question."""
    encoding = str(spec.options.get("encoding", "utf-8"))
    emit = _Emitter(spec, split)
    for path in readkit.split_paths(spec, root, split):
        for line_no, line in readkit.numbered_lines(path, encoding):
            if not line.strip():
                continue
            tag, _, question = line.partition(" ")
            coarse, colon, fine = tag.partition(":")
            if not colon or not coarse or not fine:
                raise DataFormatError(path, line_no, "expected 'COARSE:fine question', got "
                                                     f"{line[:40]!r}")
            yield from emit(question.strip(), {"coarse": [coarse], "fine": [tag]}, path, line_no)
        emit.done(path)


def read_file_labelled(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """One text per line; the label is the file's extension (``rt-polarity.pos`` -> ``pos``)."""
    encoding = str(spec.options.get("encoding", "utf-8"))
    emit = _Emitter(spec, split)
    for path in readkit.split_paths(spec, root, split):
        tag = path.suffix.lstrip(".")
        for line_no, line in readkit.numbered_lines(path, encoding):
            if line.strip():
                yield from emit(line.strip(), {"label": [tag]}, path, line_no)
        emit.done(path)


def read_csv(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """CSV with a header row. ``text_field`` names the text column; ``label_fields`` maps each
    facet to its column (default ``{"label": "label"}``)."""
    opts: Mapping[str, Any] = spec.options
    text_field: str = opts.get("text_field", "text")
    label_fields: dict[str, str] = opts.get("label_fields", {"label": "label"})
    emit = _Emitter(spec, split)
    for path in readkit.split_paths(spec, root, split):
        rows = readkit.csv_rows(path, opts.get("encoding", "utf-8"))
        _, header = next(rows, (1, []))
        wanted = [text_field, *label_fields.values()]
        if any(name not in header for name in wanted):
            raise DataFormatError(path, 1, f"expected a header with columns {wanted}, got {header}")
        where = {name: header.index(name) for name in wanted}
        for line_no, row in rows:
            if len(row) != len(header):
                raise DataFormatError(path, line_no,
                                      f"expected {len(header)} fields, got {len(row)}")
            tags = {facet: [row[where[column]].strip()] for facet, column in label_fields.items()}
            # The stray BOM of online_shopping_10_cats sits inside the first review.
            text = row[where[text_field]].strip().lstrip(readkit.BOM)
            yield from emit(text, tags, path, line_no)
        emit.done(path)


def read_json_texts(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """JSON texts with labels. ``layout``: ``jsonl`` (one object per line), ``dict`` (one JSON
    object of ``id -> record``) or ``splits`` (one object of ``split -> [[text, label], ...]``,
    the whole dataset in one file). ``text_key`` / ``label_key`` name the fields of a record;
    ``literal_newlines`` turns the two characters ``\\n`` of scraped texts into a newline."""
    opts: Mapping[str, Any] = spec.options
    layout: str = opts.get("layout", "jsonl")
    text_key: str = opts.get("text_key", "text")
    label_key: str = opts.get("label_key", "label")
    unescape: bool = opts.get("literal_newlines", False)
    emit = _Emitter(spec, split)
    for path in readkit.split_paths(spec, root, split):
        for line_no, text, tag, meta in _json_records(path, layout, split, text_key, label_key):
            if unescape:
                text = text.replace("\\n", "\n")
            yield from emit(text.strip(), {"label": [tag]}, path, line_no, meta)
        emit.done(path)


def _json_records(path: Path, layout: str, split: str, text_key: str,
                  label_key: str) -> Iterator[tuple[int | None, str, str, dict[str, Any]]]:
    """``(line, text, raw label, meta)`` of each record; labels may be ints in the file."""
    if layout == "jsonl":
        for line_no, record in readkit.json_lines(path):
            text = readkit.need(record, text_key, path, line_no)
            tag = readkit.need(record, label_key, path, line_no, (str, int))
            meta = {"id": record["id"]} if "id" in record else {}
            yield line_no, text, str(tag), meta
    elif layout == "dict":
        data = readkit.load_json(path)
        if not isinstance(data, dict):
            raise DataFormatError(path, None, "expected a JSON object of id -> record")
        for key, record in data.items():
            where = f"record {key!r}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            text = readkit.need(record, text_key, path, None, str, where)
            tag = readkit.need(record, label_key, path, None, (str, int), where)
            yield None, text, str(tag), {"id": key}
    elif layout == "splits":
        data = readkit.load_json(path)
        pairs = data.get(split) if isinstance(data, dict) else None
        if not isinstance(pairs, list):
            raise DataFormatError(path, None, f"expected an object with a list under {split!r}")
        for i, pair in enumerate(pairs):
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(x, str) for x in pair)):
                raise DataFormatError(path, None, f"{split}[{i}]: expected [text, label], got "
                                                  f"{pair!r}")
            yield None, pair[0], pair[1], {"index": i}
    else:
        raise ValueError(f"unknown JSON layout {layout!r}")
