"""brat standoff documents (Chinese literature RE: ``N.txt`` + ``N.ann``) -> per sentence an
extract instance and the pairs in it (see ``relkit``); sentences come from ``sentences``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences
from seqgpt.data.sentences import sentence_bounds, sentence_of, sentence_span, unwrap


def read_brat(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """A folder of brat documents: ``N.txt`` and ``N.ann`` with ``T`` lines (``Tid<TAB>Type
    start end[;start end]<TAB>text``, character offsets), ``R`` lines (``Rid<TAB>Type Arg1:Tx
    Arg2:Ty``) and ``*<TAB>Coreference`` lines (not used). The texts were extracted from PDFs
    and wrapped at varying widths, mid-word (mentions span the breaks), so every line break is
    removed and sentences end at 。！？!?… Per sentence: one extract instance and the pairs in
    it (related and a negative sample); a relation between sentences is classified on the
    sentences from head to tail."""
    sentences = Sentences(spec, split)
    for folder in readkit.split_paths(spec, root, split):
        anns = sorted(folder.glob("*.ann"), key=lambda p: (len(p.stem), p.stem))
        if not anns:
            raise DataFormatError(folder, None, "expected brat .ann files in this folder")
        crossing: list[str] = []
        for ann in anns:
            yield from _brat_document(sentences, ann, crossing)
        readkit.report_skips(spec, split, folder, {
            "mentions across a sentence end (kept for relations, not extracted)": len(crossing)})


def _brat_document(sentences: Sentences, ann: Path,
                   crossing: list[str]) -> Iterator[AtomicInstance]:
    assert sentences.entities is not None
    raw = readkit.read_text(ann.with_suffix(".txt"))
    text, position = unwrap(raw)
    bounds = sentence_bounds(text)
    mentions: dict[str, Mention] = {}
    relations: dict[tuple[str, str], list[str]] = {}
    for line_no, line in _brat_lines(ann):
        kind = line[:1]
        if kind == "T":
            ident, mention = _brat_mention(line, raw, text, position, ann, line_no)
            label = sentences.entities.word(mention.label, ann, line_no)
            mentions[ident] = Mention(mention.text, mention.start, mention.end, label)
        elif kind == "R":
            ident, _, body = line.partition("\t")
            parts = body.split()
            if len(parts) != 3 or not parts[1].startswith("Arg1:") or not parts[2].startswith(
                    "Arg2:"):
                raise DataFormatError(ann, line_no, "expected 'Rid<TAB>Type Arg1:Tx Arg2:Ty'")
            pair = (parts[1][5:], parts[2][5:])
            if not all(arg in mentions for arg in pair):
                raise DataFormatError(ann, line_no, f"relation {ident} names an entity that "
                                                    "is not defined above it")
            relations.setdefault(pair, []).extend(sentences.relation(parts[0], ann, line_no))
    home = {ident: sentence_of(m, bounds) for ident, m in mentions.items()}
    crossing.extend(f"{ann.stem}/{ident}" for ident, n in home.items() if n is None)
    doc = ann.stem
    for n, (start, end) in enumerate(bounds):
        inside = [i for i, s in home.items() if s == n]
        local = [_shift(mentions[i], start) for i in inside]
        meta = {"document": doc, "sentence": n}
        yield sentences.extract(text[start:end], local, meta)
        order = {ident: k for k, ident in enumerate(inside)}
        gold = {(order[h], order[t]): rel for (h, t), rel in relations.items()
                if h in order and t in order}
        yield from sentences.pairs(text[start:end], local, gold, f"{doc}/{n}", meta)
    for (h, t), rel in relations.items():
        if home[h] is not None and home[h] == home[t]:
            continue  # classified with its sentence above
        touched = sentence_span(mentions[h], bounds) + sentence_span(mentions[t], bounds)
        first, last = min(touched), max(touched)
        start, end = bounds[first][0], bounds[last][1]
        meta = {"document": doc, "sentences": [first, last]}
        yield sentences.pair(text[start:end], _shift(mentions[h], start),
                             _shift(mentions[t], start), rel, meta)


_BRAT_LINE = re.compile(r"^(T\d+|R\d+|\*)\t")


def _brat_lines(ann: Path) -> Iterator[tuple[int, str]]:
    """The annotation lines (blank ones passed over); a mention text that holds a line break
    continues on the next physical line, which is joined back to its ``T`` line."""
    pending: tuple[int, str] | None = None
    for line_no, line in readkit.numbered_lines(ann):
        if _BRAT_LINE.match(line):
            if pending is not None:
                yield pending
            pending = (line_no, line)
        elif pending is not None and pending[1].startswith("T") and line:
            pending = (pending[0], pending[1] + "\n" + line)
        elif line.strip():
            raise DataFormatError(ann, line_no, "expected a T, R or * (coreference) line")
    if pending is not None:
        yield pending


def _brat_mention(line: str, raw: str, text: str, position: list[int], ann: Path,
                  line_no: int) -> tuple[str, Mention]:
    """A ``T`` line as a mention in the unwrapped text (``label`` = the raw type)."""
    fields = line.split("\t")
    head = fields[1].split(" ", 1) if len(fields) == 3 else []
    try:
        fragments = [tuple(int(x) for x in part.split()) for part in head[1].split(";")]
    except (IndexError, ValueError):
        fragments = []
    if len(head) != 2 or not fragments or any(len(f) != 2 for f in fragments):
        raise DataFormatError(ann, line_no, "expected 'Tid<TAB>Type start end[;start end]"
                                            "<TAB>text'")
    if not _brat_text_matches(" ".join(raw[s:e] for s, e in fragments), fields[2]):
        raise DataFormatError(ann, line_no, f"text {fields[2]!r} is not at {head[1]} in the "
                                            ".txt file")
    start, end = position[fragments[0][0]], position[fragments[-1][1]]
    gaps = zip(fragments, fragments[1:], strict=False)
    joined = all(position[e] == position[s] for (_, e), (s, _) in gaps)
    if not joined or start >= end:
        raise DataFormatError(ann, line_no, "fragments of a mention should be separated only "
                                            "by a line break")
    return fields[0], Mention(text[start:end], start, end, head[0])


def _brat_text_matches(document: str, annotated: str) -> bool:
    """Whether a ``T`` line's text is the document's text at its offsets. The released .txt
    files changed a few punctuation marks after annotation (、 for ・ or ;), so those
    differences are accepted; the document's text wins."""
    if len(document) != len(annotated):
        return False
    return all(a == b or (unicodedata.category(a)[0] == "P" and unicodedata.category(b)[0] == "P")
               for a, b in zip(document, annotated, strict=True))


def _shift(mention: Mention, offset: int) -> Mention:
    return Mention(mention.text, mention.start - offset, mention.end - offset, mention.label)
