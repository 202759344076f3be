"""What the relation readers share: a mention, and the builder that turns one sentence's
mentions and relations into SeqGPT's atomic instances.

SeqGPT decomposes relation extraction into

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
``unknown``): gold ``[]``. ``options["partial_entities"]``: only the mentions that take part
in a relation are annotated (DuIE), so the extract instances carry ``meta["partial"] = True``
(see ``seqgpt.data.instance``: spans not listed are unknown, not negatives).
"""

from __future__ import annotations

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


class Sentences:
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
        self.partial_entities: bool = opts.get("partial_entities", False)

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
        extra = {**meta, "partial": True} if self.partial_entities else dict(meta)
        return AtomicInstance(text=text, task="extract", labels=list(self.entities.words),
                              dataset=self.spec.name, split=self.split,
                              language=self.spec.language, spans=spans, meta=extra)

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


def join_token_list(tokens: list[Any], path: Path,
                    where: str) -> tuple[str, list[int], list[int]]:
    """Tokens joined by single spaces, with every token's start and end offset (the token
    formats of CoNLL04/ADE and FewRel keep no original spacing)."""
    if not tokens or not all(isinstance(t, str) and t for t in tokens):
        raise DataFormatError(path, None, f"{where}: tokens should be non-empty strings")
    starts, ends, at = [], [], 0
    for token in tokens:
        starts.append(at)
        ends.append(at + len(token))
        at += len(token) + 1
    return " ".join(tokens), starts, ends
