"""Readers of relation-extraction data, decomposed as SeqGPT does it:

1. where entity mentions with types are given, one **extract** instance per sentence
   (labels = the entity types, spans = the mentions);
2. one **classify** instance per ordered (head, tail) pair, text =
   ``compose.relation_text(sentence, head, tail)``, labels = the relation names, gold = the
   relations holding from head to tail (``[]`` = none). Joint datasets add a bounded,
   deterministic sample of mention pairs with no relation (``options["negatives"]`` per
   sentence, default 2; the reverse of a related pair is never used as a negative), so a model
   learns that co-occurrence is not a relation.

Head/tail strings and, where known, their offsets in the instance text go in ``meta``.
Label facets (``options["facets"]``): ``entity`` (entity types) and ``relation``.
``options["no_relation"]`` is the raw relation meaning "none" (SemEval ``Other``, FinRE
``unknown``): gold ``[]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgpt.data import compose, readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet
from seqgpt.data.registry import DatasetSpec
from seqgpt.types import Span


@dataclass(frozen=True)
class Mention:
    text: str
    start: int
    end: int
    label: str = ""  # user word of the entity type; "" where the data gives none


class _Sentences:
    """Builds the instances of one split; holds its label sets and negative-sampling policy."""

    def __init__(self, spec: DatasetSpec, split: str, with_entities: bool = True) -> None:
        self.spec = spec
        self.split = split
        self.entities = LabelSet(spec, "entity") if with_entities else None
        self.relations = LabelSet(spec, "relation")
        opts: Mapping[str, Any] = spec.options
        self.no_relation: str | None = opts.get("no_relation")
        self.negatives: int = opts.get("negatives", 2)
        self.multi_label: bool = opts.get("multi_label", False)

    def relation(self, tag: str, path: Path, line: int | None) -> list[str]:
        """Gold of one raw relation: ``[]`` for the no-relation tag."""
        if tag == self.no_relation:
            return []
        return [self.relations.word(tag, path, line)]

    def extract(self, text: str, mentions: Iterable[Mention],
                meta: dict[str, Any]) -> AtomicInstance:
        assert self.entities is not None
        spans = sorted({Span(m.label, m.text, m.start, m.end) for m in mentions},
                       key=lambda s: (s.start, s.end, s.label))
        return AtomicInstance(text=text, task="extract", labels=list(self.entities.words),
                              dataset=self.spec.name, split=self.split,
                              language=self.spec.language, spans=spans, meta=dict(meta))

    def pair(self, text: str, head: Mention, tail: Mention, gold: list[str],
             meta: dict[str, Any], labels: list[str] | None = None) -> AtomicInstance:
        """One classify instance; head/tail offsets (in ``text``) and types go in meta."""
        extra: dict[str, Any] = {"head": head.text, "tail": tail.text, **meta,
                                 "head_start": head.start, "head_end": head.end,
                                 "tail_start": tail.start, "tail_end": tail.end}
        if head.label:
            extra.update(head_type=head.label, tail_type=tail.label)
        return readkit.classify(self.spec, self.split,
                                compose.relation_text(text, head.text, tail.text),
                                labels or self.relations.words, list(dict.fromkeys(gold)),
                                extra, self.multi_label)

    def pairs(self, text: str, mentions: list[Mention],
              gold: Mapping[tuple[int, int], list[str]], key: object, meta: dict[str, Any],
              pair_meta: Mapping[tuple[int, int], dict[str, Any]] | None = None,
              ) -> Iterator[AtomicInstance]:
        """Every related pair (indices into ``mentions``) in order, then the negative sample."""
        for (h, t), relations in gold.items():
            extra = {**meta, **(pair_meta or {}).get((h, t), {})}
            yield self.pair(text, mentions[h], mentions[t], relations, extra)
        taken = {(mentions[h].start, mentions[h].end, mentions[t].start, mentions[t].end)
                 for h, t in gold}
        candidates: dict[tuple[int, int, int, int], tuple[int, int]] = {}
        for h, head in enumerate(mentions):
            for t, tail in enumerate(mentions):
                spans = (head.start, head.end, tail.start, tail.end)
                if (head.start, head.end) == (tail.start, tail.end) or head.text == tail.text:
                    continue
                if spans in taken or (spans[2], spans[3], spans[0], spans[1]) in taken:
                    continue
                candidates.setdefault(spans, (h, t))  # one pair per two spans, types aside
        rng = readkit.seeded(self.spec, self.split, key)
        pool = sorted(candidates.values())
        for h, t in rng.sample(pool, min(self.negatives, len(pool))):
            yield self.pair(text, mentions[h], mentions[t], [], {**meta, "negative": True})


# --- SemEval-2010 task 8: marked pairs ----------------------------------------------------

_MARK = re.compile(r"</?e[12]>")
_DIRECTED = re.compile(r"^([\w-]+)\((e[12]),(e[12])\)$")


def read_marked_pairs(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """SemEval-2010 task 8: ``id<TAB>"sentence with <e1>..</e1> <e2>..</e2>"``, a relation line
    (``Cause-Effect(e2,e1)`` or ``Other``), a ``Comment:`` line, a blank line. The direction
    picks head and tail, so the relation label carries no direction suffix."""
    sentences = _Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        lines = readkit.numbered_lines(path)
        for line_no, line in lines:
            if not line.strip():
                continue
            ident, tab, quoted = line.partition("\t")
            if not tab or not ident.strip().isdigit():
                raise DataFormatError(path, line_no, 'expected \'id<TAB>"sentence"\'')
            quoted = quoted.strip()
            if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
                raise DataFormatError(path, line_no, "expected the sentence in double quotes")
            text, e1, e2 = _unmark(quoted[1:-1], path, line_no)
            rel_no, relation = next(lines, (line_no + 1, ""))
            comment_no, comment = next(lines, (rel_no + 1, ""))
            if not comment.startswith("Comment"):
                raise DataFormatError(path, comment_no, "expected a 'Comment:' line")
            relation = relation.strip()
            if relation == sentences.no_relation:
                head, tail, gold = e1, e2, []
            else:
                match = _DIRECTED.match(relation)
                if match is None:
                    raise DataFormatError(path, rel_no, "expected a relation like "
                                                        f"'Cause-Effect(e1,e2)', got {relation!r}")
                name, first, _ = match.groups()
                head, tail = (e1, e2) if first == "e1" else (e2, e1)
                gold = sentences.relation(name, path, rel_no)
            yield sentences.pair(text, head, tail, gold, {"id": ident.strip()})


def _unmark(marked: str, path: Path, line: int) -> tuple[str, Mention, Mention]:
    """Remove ``<e1>``/``<e2>`` markers; return the text and both mentions in it."""
    found: dict[str, int] = {}
    pieces, at, size = [], 0, 0
    for match in _MARK.finditer(marked):
        pieces.append(marked[at:match.start()])
        size += match.start() - at
        at = match.end()
        found[match.group()] = size
    pieces.append(marked[at:])
    text = "".join(pieces)
    mentions = []
    for n in ("1", "2"):
        start, end = found.get(f"<e{n}>"), found.get(f"</e{n}>")
        if start is None or end is None or start >= end or len(found) != 4:
            raise DataFormatError(path, line, "expected one <e1>..</e1> and one <e2>..</e2>")
        mentions.append(Mention(text[start:end], start, end))
    return text, mentions[0], mentions[1]


# --- token-offset joint NER + RE (CoNLL04, ADE in the two-are-better-than-one format) -------

def read_joint_json(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """JSON list of ``{"tokens", "entities": [[start, end, type]], "relations": [[h_start,
    h_end, t_start, t_end, type]]}`` (token offsets, end exclusive). Text = tokens joined by
    spaces."""
    sentences = _Sentences(spec, split)
    assert sentences.entities is not None
    for path in readkit.split_paths(spec, root, split):
        data = readkit.load_json(path)
        if not isinstance(data, list):
            raise DataFormatError(path, None, "expected a JSON list of sentences")
        for i, record in enumerate(data):
            where = f"sentence {i}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            tokens = readkit.need(record, "tokens", path, None, list, where)
            text, starts, ends = _join_tokens(tokens, path, where)
            mentions: list[Mention] = []
            index: dict[tuple[int, int], int] = {}
            for entity in readkit.need(record, "entities", path, None, list, where):
                s, e, tag = _token_range(entity, 3, len(tokens), path, where)
                label = sentences.entities.word(tag, path, None)
                index.setdefault((s, e), len(mentions))
                mentions.append(Mention(text[starts[s]:ends[e - 1]], starts[s], ends[e - 1],
                                        label))
            gold: dict[tuple[int, int], list[str]] = {}
            for relation in readkit.need(record, "relations", path, None, list, where):
                hs, he, ts, te, tag = _relation_row(relation, len(tokens), path, where)
                if (hs, he) not in index or (ts, te) not in index:
                    raise DataFormatError(path, None, f"{where}: relation {relation} does not "
                                                      "join two listed entities")
                pair = (index[hs, he], index[ts, te])
                gold.setdefault(pair, []).extend(sentences.relation(tag, path, None))
            meta = {"sentence": i}
            yield sentences.extract(text, mentions, meta)
            yield from sentences.pairs(text, mentions, gold, i, meta)


def _join_tokens(tokens: list[Any], path: Path, where: str) -> tuple[str, list[int], list[int]]:
    if not tokens or not all(isinstance(t, str) and t for t in tokens):
        raise DataFormatError(path, None, f"{where}: tokens should be non-empty strings")
    starts, ends, at = [], [], 0
    for token in tokens:
        starts.append(at)
        ends.append(at + len(token))
        at += len(token) + 1
    return " ".join(tokens), starts, ends


def _token_range(row: Any, size: int, n_tokens: int, path: Path,
                 where: str) -> tuple[int, int, str]:
    if (not isinstance(row, list) or len(row) != size or not isinstance(row[-1], str)
            or not all(isinstance(x, int) for x in row[:2])
            or not 0 <= row[0] < row[1] <= n_tokens):
        raise DataFormatError(path, None, f"{where}: expected [start, end, type] with "
                                          f"0 <= start < end <= {n_tokens}, got {row}")
    return row[0], row[1], row[2]


def _relation_row(row: Any, n_tokens: int, path: Path,
                  where: str) -> tuple[int, int, int, int, str]:
    if not isinstance(row, list) or len(row) != 5:
        raise DataFormatError(path, None, f"{where}: expected [h_start, h_end, t_start, t_end, "
                                          f"type], got {row}")
    hs, he, _ = _token_range([row[0], row[1], row[4]], 3, n_tokens, path, where)
    ts, te, tag = _token_range([row[2], row[3], row[4]], 3, n_tokens, path, where)
    return hs, he, ts, te, tag


# --- FewRel: token index lists -------------------------------------------------------------

def read_fewrel(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """FewRel: ``{relation: [{"tokens", "h": [name, id, [[token indices]]], "t": ...}]}``.
    Labels = the relations of the file (FewRel's domains have different relation sets); the
    head/tail is its first listed occurrence."""
    sentences = _Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        data = readkit.load_json(path)
        if not isinstance(data, dict):
            raise DataFormatError(path, None, "expected a JSON object of relation -> examples")
        words = [sentences.relations.word(tag, path, None) for tag in data]
        for tag, examples in data.items():
            if not isinstance(examples, list):
                raise DataFormatError(path, None, f"{tag}: expected a list of examples")
            for i, example in enumerate(examples):
                where = f"{tag}[{i}]"
                if not isinstance(example, dict):
                    raise DataFormatError(path, None, f"{where}: expected an object")
                tokens = readkit.need(example, "tokens", path, None, list, where)
                text, starts, ends = _join_tokens(tokens, path, where)
                head, tail = (_fewrel_entity(example, key, text, starts, ends, path, where)
                              for key in ("h", "t"))
                yield sentences.pair(text, head, tail, [spec.label(tag)], {"id": f"{tag}/{i}"},
                                     words)


def _fewrel_entity(example: dict[str, Any], key: str, text: str, starts: list[int],
                   ends: list[int], path: Path, where: str) -> Mention:
    entity = readkit.need(example, key, path, None, list, where)
    occurrences = entity[2] if len(entity) == 3 and isinstance(entity[2], list) else None
    if not occurrences or not isinstance(occurrences[0], list) or not occurrences[0]:
        raise DataFormatError(path, None, f"{where}: {key!r} should be [name, id, "
                                          "[[token indices], ...]]")
    first = occurrences[0]
    if (not all(isinstance(i, int) and 0 <= i < len(starts) for i in first)
            or first != list(range(first[0], first[-1] + 1))):
        raise DataFormatError(path, None, f"{where}: {key!r} token indices {first} are not a "
                                          "contiguous range inside the sentence")
    start, end = starts[first[0]], ends[first[-1]]
    return Mention(text[start:end], start, end)


# --- FinRE: head<TAB>tail<TAB>relation<TAB>sentence ----------------------------------------

def read_finre(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """FinRE: ``head<TAB>tail<TAB>relation<TAB>sentence`` records separated by blank lines.
    Records of the same (sentence, head, tail) are one instance whose gold holds all their
    relations (a pair can hold several, e.g. 持股 and 增持); ``unknown`` adds none."""
    sentences = _Sentences(spec, split, with_entities=False)
    for path in readkit.split_paths(spec, root, split):
        grouped: dict[tuple[str, str, str], tuple[list[int], list[str]]] = {}
        for line_no, line in readkit.numbered_lines(path):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 4 or not all(f.strip() for f in fields):
                raise DataFormatError(path, line_no, "expected head<TAB>tail<TAB>relation"
                                                     "<TAB>sentence")
            head, tail, tag, text = (f.strip() for f in fields)
            for name, mention in (("head", head), ("tail", tail)):
                if mention not in text:
                    raise DataFormatError(path, line_no, f"{name} {mention!r} is not in the "
                                                         "sentence")
            gold = sentences.relation(tag, path, line_no)
            lines, relations = grouped.setdefault((text, head, tail), ([], []))
            lines.append(line_no)
            relations.extend(gold)
        for (text, head, tail), (lines, relations) in grouped.items():
            h, t = text.find(head), text.find(tail)
            yield sentences.pair(text, Mention(head, h, h + len(head)),
                                 Mention(tail, t, t + len(tail)), relations, {"lines": lines})


# --- DuIE 2.0: SPO lists with entity strings ------------------------------------------------

def read_duie(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """DuIE 2.0 JSON Lines ``{"text", "spo_list": [{"subject", "subject_type", "predicate",
    "object": {"@value", ...}, "object_type": {"@value", ...}}]}``. Entities are strings: every
    occurrence in the text becomes a mention of its type (an entity string that does not occur
    is skipped and logged); one classify instance per (subject, object ``@value``) pair at their
    first occurrences, the extra object slots (``inWork``, ``onDate`` ...) in meta."""
    sentences = _Sentences(spec, split)
    assert sentences.entities is not None
    for path in readkit.split_paths(spec, root, split):
        missing = 0
        for line_no, record in readkit.json_lines(path):
            text = readkit.need(record, "text", path, line_no)
            typed, gold, slots = _spo_facts(record, sentences, path, line_no)
            mentions, first = [], {}
            for entity, label in typed:
                found = _occurrences(text, entity)
                missing += not found
                mentions.extend(Mention(entity, s, s + len(entity), label) for s in found)
                if found:
                    first.setdefault(entity, Mention(entity, found[0], found[0] + len(entity)))
            meta = {"line": line_no}
            yield sentences.extract(text, mentions, meta)
            ends = list(first.values())
            index = {m.text: i for i, m in enumerate(ends)}
            located = [pair for pair in gold if pair[0] in index and pair[1] in index]
            yield from sentences.pairs(
                text, ends, {(index[h], index[t]): gold[h, t] for h, t in located}, line_no, meta,
                {(index[h], index[t]): slots[h, t] for h, t in located if (h, t) in slots})
        readkit.report_skips(spec, split, path, {"entity strings not in the text": missing})


def _spo_facts(record: dict[str, Any], sentences: _Sentences, path: Path, line: int,
               ) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[str]],
                          dict[tuple[str, str], dict[str, str]]]:
    """(entity string, type word) pairs, relations per (subject, object), extra object slots."""
    assert sentences.entities is not None
    typed: dict[tuple[str, str], None] = {}
    gold: dict[tuple[str, str], list[str]] = {}
    slots: dict[tuple[str, str], dict[str, str]] = {}
    for spo in readkit.need(record, "spo_list", path, line, list):
        if not isinstance(spo, dict):
            raise DataFormatError(path, line, "spo_list items should be objects")
        subject = readkit.need(spo, "subject", path, line)
        objects = readkit.need(spo, "object", path, line, dict)
        object_types = readkit.need(spo, "object_type", path, line, dict)
        if "@value" not in objects or set(objects) != set(object_types):
            raise DataFormatError(path, line, "object and object_type should have the same "
                                              "slots, '@value' among them")
        subject_type = readkit.need(spo, "subject_type", path, line)
        typed[subject, sentences.entities.word(subject_type, path, line)] = None
        for slot, value in objects.items():
            typed[str(value), sentences.entities.word(str(object_types[slot]), path, line)] = None
        pair = (subject, str(objects["@value"]))
        relation = readkit.need(spo, "predicate", path, line)
        gold.setdefault(pair, []).append(sentences.relations.word(relation, path, line))
        extra = {slot: str(value) for slot, value in objects.items() if slot != "@value"}
        if extra:
            slots.setdefault(pair, {}).update(extra)
    return list(typed), gold, slots


def _occurrences(text: str, phrase: str) -> list[int]:
    starts, i = [], text.find(phrase) if phrase else -1
    while i != -1:
        starts.append(i)
        i = text.find(phrase, i + len(phrase))
    return starts


# --- brat standoff (Chinese literature RE): documents of .txt + .ann ------------------------

_SENTENCE_END = re.compile(r"[。！？!?…]+[”’\"』」）)]*")


def read_brat(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """A folder of brat documents: ``N.txt`` and ``N.ann`` with ``T`` lines (``Tid<TAB>Type
    start end[;start end]<TAB>text``, character offsets), ``R`` lines (``Rid<TAB>Type Arg1:Tx
    Arg2:Ty``) and ``*<TAB>Coreference`` lines (not used). The texts were extracted from PDFs
    and wrapped at varying widths, mid-word (mentions span the breaks), so every line break is
    removed and sentences end at 。！？!?… Per sentence: one extract instance and the pairs in
    it (related and a negative sample); a relation between sentences is classified on the
    sentences from head to tail."""
    sentences = _Sentences(spec, split)
    for folder in readkit.split_paths(spec, root, split):
        anns = sorted(folder.glob("*.ann"), key=lambda p: (len(p.stem), p.stem))
        if not anns:
            raise DataFormatError(folder, None, "expected brat .ann files in this folder")
        crossing: list[str] = []
        for ann in anns:
            yield from _brat_document(sentences, ann, crossing)
        readkit.report_skips(spec, split, folder, {
            "mentions across a sentence end (kept for relations, not extracted)": len(crossing)})


def _brat_document(sentences: _Sentences, ann: Path,
                   crossing: list[str]) -> Iterator[AtomicInstance]:
    assert sentences.entities is not None
    raw = readkit.read_text(ann.with_suffix(".txt"))
    text, position = _unwrap(raw)
    bounds = _sentence_bounds(text)
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
    home = {ident: _sentence_of(m, bounds) for ident, m in mentions.items()}
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
        touched = _sentence_span(mentions[h], bounds) + _sentence_span(mentions[t], bounds)
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


def _unwrap(raw: str) -> tuple[str, list[int]]:
    """Remove every line break; ``position[i]`` is where character ``i`` of ``raw`` (or the next
    kept one) lands in the result."""
    kept, position = [], []
    for char in raw:
        position.append(len(kept))
        if char not in "\r\n":
            kept.append(char)
    position.append(len(kept))
    return "".join(kept), position


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-blank sentence, surrounding white space excluded."""
    cuts, at = [], 0
    for match in _SENTENCE_END.finditer(text):
        cuts.append((at, match.end()))
        at = match.end()
    cuts.append((at, len(text)))
    bounds = []
    for start, end in cuts:
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            bounds.append((start + lead, start + len(piece.rstrip())))
    return bounds


def _sentence_of(mention: Mention, bounds: list[tuple[int, int]]) -> int | None:
    """The sentence holding the whole mention; ``None`` for one that crosses a boundary."""
    first, last = _sentence_span(mention, bounds)
    return first if first == last else None


def _sentence_span(mention: Mention, bounds: list[tuple[int, int]]) -> tuple[int, int]:
    """Indices of the first and last sentence the mention touches."""
    touched = [n for n, (s, e) in enumerate(bounds) if s < mention.end and mention.start < e]
    if not touched:
        raise ValueError(f"mention {mention} lies outside every sentence")
    return touched[0], touched[-1]


def _shift(mention: Mention, offset: int) -> Mention:
    return Mention(mention.text, mention.start - offset, mention.end - offset, mention.label)
