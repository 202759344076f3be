"""Readers of sentence-pair data (NLI, paraphrase, keyword match, coreference) -> one classify
instance per pair, text = ``compose.pair_text(first, second)``.

Options: ``json_fields`` / ``tsv_columns`` (names of the first, second and label fields),
``layout`` (``dict`` or ``jsonl`` for JSON), ``no_gold`` (a label value meaning "annotators
disagreed": such pairs are skipped and logged, as documented in the catalogue), ``join`` (how
a list-valued second field such as a keyword list is joined into one text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from seqgpt.data import compose, readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet
from seqgpt.data.registry import DatasetSpec


class _Pairs:
    """Shared checks of one split: non-empty sides, known label, counted no-gold skips."""

    def __init__(self, spec: DatasetSpec, split: str) -> None:
        self.spec = spec
        self.split = split
        self.labels = LabelSet(spec)
        opts: Mapping[str, Any] = spec.options
        self.no_gold: str | None = opts.get("no_gold")
        self.skipped = 0

    def make(self, first: str, second: str, tag: str, path: Path, line: int | None,
             meta: dict[str, Any], where: str = "") -> AtomicInstance | None:
        prefix = f"{where}: " if where else ""
        if not first.strip() or not second.strip():
            raise DataFormatError(path, line, f"{prefix}empty sentence in the pair")
        if self.no_gold is not None and tag == self.no_gold:
            self.skipped += 1
            return None
        gold = self.labels.word(tag, path, line)
        text = compose.pair_text(first.strip(), second.strip())
        return readkit.classify(self.spec, self.split, text, self.labels.words, [gold], meta)

    def done(self, path: Path) -> None:
        readkit.report_skips(self.spec, self.split, path,
                             {f"label {self.no_gold!r} (no gold label)": self.skipped})
        self.skipped = 0


def read_pairs(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """Sentence pairs; the format follows each file's extension. ``.json``: ``layout`` ``dict``
    (``{"0": {"text_a", "text_b", "label"}, ...}``) or ``jsonl`` (one object per line), field
    names in ``json_fields`` = (first, second, label). Other files: tab-separated with a header
    row; ``tsv_columns`` names the (first, second, label) columns, and fields are split on tabs
    only (quotes in the sentences are literal)."""
    pairs = _Pairs(spec, split)
    for path in readkit.split_paths(spec, root, split):
        read = _json_pairs if path.suffix == ".json" else _tsv_pairs
        for instance in read(pairs, path):
            if instance is not None:
                yield instance
        pairs.done(path)


def _json_pairs(pairs: _Pairs, path: Path) -> Iterator[AtomicInstance | None]:
    opts: Mapping[str, Any] = pairs.spec.options
    first_key, second_key, label_key = opts.get("json_fields", ("text_a", "text_b", "label"))
    joiner: str = opts.get("join", "")
    for line, key, record in _json_records(path, opts.get("layout", "jsonl")):
        where = "" if key is None else f"record {key!r}"
        first = readkit.need(record, first_key, path, line, str, where)
        second = readkit.need(record, second_key, path, line,
                              (str, list) if "join" in opts else str, where)
        if isinstance(second, list):
            if not second or not all(isinstance(x, str) for x in second):
                raise DataFormatError(path, line, f"field {second_key!r} should hold strings")
            second = joiner.join(second)
        tag = readkit.need(record, label_key, path, line, (str, int), where)
        ident = record.get("id", key)
        meta = {} if ident is None else {"id": ident}
        yield pairs.make(first, second, str(tag), path, line, meta, where)


def _json_records(path: Path,
                  layout: str) -> Iterator[tuple[int | None, str | None, dict[str, Any]]]:
    """``(line, key, record)``: line numbers for JSON Lines, record keys for one document."""
    if layout == "jsonl":
        for line_no, record in readkit.json_lines(path):
            yield line_no, None, record
    elif layout == "dict":
        data = readkit.load_json(path)
        if not isinstance(data, dict):
            raise DataFormatError(path, None, "expected a JSON object of id -> record")
        for key, record in data.items():
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"record {key!r}: expected an object")
            yield None, key, record
    else:
        raise ValueError(f"unknown JSON layout {layout!r}")


def _tsv_pairs(pairs: _Pairs, path: Path) -> Iterator[AtomicInstance | None]:
    opts: Mapping[str, Any] = pairs.spec.options
    names = list(opts["tsv_columns"])
    where: list[int] = []
    width = 0
    for line_no, line in readkit.numbered_lines(path):
        fields = line.split("\t")
        if line_no == 1:
            header = [name.strip() for name in fields]
            if any(name not in header for name in names):
                raise DataFormatError(path, 1, f"expected a header with columns {names}, "
                                               f"got {header}")
            where, width = [header.index(name) for name in names], len(header)
            continue
        if not line.strip():
            continue
        if len(fields) != width:
            raise DataFormatError(path, line_no, f"expected {width} tab-separated fields, "
                                                 f"got {len(fields)}")
        first, second, tag = (fields[i] for i in where)
        meta = {"id": fields[0]} if 0 not in where else {}
        yield pairs.make(first, second, tag.strip(), path, line_no, meta)


def read_wsc(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """CLUEWSC (JSON Lines): does the pronoun ``span2`` refer to ``span1``? One classify
    instance, text = ``compose.relation_text(text, pronoun, candidate)``; offsets in meta."""
    labels = LabelSet(spec)
    for path in readkit.split_paths(spec, root, split):
        for line_no, record in readkit.json_lines(path):
            text = readkit.need(record, "text", path, line_no)
            target = readkit.need(record, "target", path, line_no, dict)
            spans = []
            for n in ("1", "2"):
                mention = readkit.need(target, f"span{n}_text", path, line_no)
                start = readkit.need(target, f"span{n}_index", path, line_no, int)
                if text[start:start + len(mention)] != mention:
                    raise DataFormatError(path, line_no, f"span{n}_text {mention!r} is not at "
                                                         f"span{n}_index {start}")
                spans.append((mention, start))
            (candidate, c_start), (pronoun, p_start) = spans
            tag = readkit.need(record, "label", path, line_no)
            meta = {"head": pronoun, "head_start": p_start, "tail": candidate,
                    "tail_start": c_start, "id": record.get("idx")}
            yield readkit.classify(spec, split, compose.relation_text(text, pronoun, candidate),
                                   labels.words, [labels.word(tag, path, line_no)], meta)
