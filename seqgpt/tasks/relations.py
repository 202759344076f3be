"""Relation extraction as SeqGPT composes it: extract the entities, then classify each
candidate (head, tail) pair on the text ``compose.relation_text(text, head, tail)`` (the
sentence, then a line ``head -> tail``) over the relation names, exactly as the training data
was built (``seqgpt.data.relations``).

A pair becomes a relation only when the classifier gives a relation name a score of at least
``min_score`` (a generative model: names it in its answer); otherwise the pair has no
relation. Being mentioned in the same text is never enough. A backend that can score labels
independently (the compact one, ``multi_label=True``) is asked to: each score is then the
probability that this relation holds for the pair, not a share of a distribution over the
relation names, which would crown some name for every pair.

Pruning keeps the number of classified pairs linear in the number of texts: only pairs whose
mentions are at most ``max_distance`` characters apart (the gap between them), at most
``max_pairs`` pairs per text (the closest first; the rest are counted in ``skipped_pairs``),
never a mention with itself or with a mention of the same string (nested mentions of different
strings do pair: "双汇" and "双汇国际" can be the same company), and, when relation signatures
are given, only pairs whose entity types fit one of them. The pair text names the mentions by
their strings, so when a string occurs several times only the closest pair of occurrences is
classified (and related), never every combination.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seqgpt.data import compose
from seqgpt.data.sentences import language_of
from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.tasks.entities import locate
from seqgpt.types import Classification, Span

if TYPE_CHECKING:
    from seqgpt.api import Model

#: Entity types asked when neither ``entity_types`` nor signatures say which.
DEFAULT_ENTITY_TYPES = {"en": ["person", "organization", "location"],
                        "zh": ["人名", "机构名", "地名"]}
#: Longest gap in characters between the two mentions of a candidate pair, and most pairs
#: classified per text (the closest first). Chosen on the training splits of CoNLL04 and ADE:
#: 2 of their 6312 related pairs fall outside, for 3 % fewer pairs than classifying them all.
MAX_DISTANCE = 400
MAX_PAIRS = 128


@dataclass(frozen=True)
class Relation:
    """``label`` holds from ``head`` to ``tail`` (directed); ``score`` is ``None`` for models
    that give no scores."""

    head: Span
    tail: Span
    label: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"head": self.head.to_dict(), "tail": self.tail.to_dict(), "label": self.label,
                "score": self.score}


@dataclass
class RelationExtraction:
    """The entities found in ``text`` and the relations between them. ``skipped_pairs`` counts
    candidate pairs left unclassified because the text had more than ``max_pairs``."""

    text: str
    entities: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    skipped_pairs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "entities": [s.to_dict() for s in self.entities],
                "relations": [r.to_dict() for r in self.relations],
                "skipped_pairs": self.skipped_pairs}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


Signatures = dict[str, tuple[str, str] | None]


def relations(model: Model, text: str | list[str],
              relation_types: Sequence[str] | str | Mapping[str, Sequence[str] | None],
              entity_types: Sequence[str] | str | None = None, *,
              entities: Sequence[Any] | None = None, min_score: float = 0.5,
              max_distance: int = MAX_DISTANCE, max_pairs: int = MAX_PAIRS,
              **options: Any) -> RelationExtraction | list[RelationExtraction]:
    """Entities of ``entity_types`` in ``text``, then the relations among ``relation_types``
    between them (see the module docstring for the rules).

    ``relation_types`` is a list of names, or a mapping name -> ``(head type, tail type)``
    (``None`` for any types): a relation is then kept only between entities of those types, and
    ``entity_types`` defaults to the types the signatures name. Without either,
    :data:`DEFAULT_ENTITY_TYPES` are extracted. ``entities`` skips extraction: the mentions to
    relate (``Span``, ``(start, end)`` or ``(start, end, type)``), a list per text for a list of
    texts. ``options`` go to the model's ``extract`` and ``classify`` calls."""
    batch, single = common.texts(text)
    labels, signatures = _relation_types(relation_types)
    if not isinstance(min_score, (int, float)) or not 0.0 <= min_score <= 1.0:
        raise TaskInputError(f"min_score must be a number in [0, 1], got {min_score!r}")
    for name, value in (("max_distance", max_distance), ("max_pairs", max_pairs)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TaskInputError(f"{name} must be a non-negative integer, got {value!r}")
    if entities is not None:
        found = _given_entities(batch, [entities] if single else entities)
    else:
        found = _extract_entities(model, batch, entity_types, signatures, options)
    results = []
    requests: dict[str, int] = {}
    planned: list[list[tuple[Span, Span, int]]] = []
    for text_i, mentions in zip(batch, found, strict=True):
        pairs, skipped = candidate_pairs(mentions, max_distance, max_pairs, signatures)
        results.append(RelationExtraction(text_i, list(mentions), skipped_pairs=skipped))
        planned.append([(h, t, requests.setdefault(compose.relation_text(text_i, h.text, t.text),
                                                   len(requests))) for h, t in pairs])
    independent = {"multi_label": True} if common.takes_option(model, "multi_label") else {}
    answers: list[Classification] = (
        model.classify(list(requests), labels, **{**independent, **options}) if requests else [])
    for result, planned_pairs in zip(results, planned, strict=True):
        for head, tail, n in planned_pairs:
            for label in labels:
                score = _decision(answers[n], label, min_score)
                if score is not False and _fits(signatures, label, head, tail):
                    result.relations.append(Relation(head, tail, label,
                                                     None if score is True else score))
        result.relations.sort(key=lambda r: (r.head.start, r.tail.start, labels.index(r.label)))
    return results[0] if single else results


def candidate_pairs(mentions: Sequence[Span], max_distance: int = MAX_DISTANCE,
                    max_pairs: int = MAX_PAIRS, signatures: Signatures | None = None,
                    ) -> tuple[list[tuple[Span, Span]], int]:
    """The directed pairs worth classifying, closest first, and how many were cut by
    ``max_pairs``."""
    pairs: list[tuple[int, Span, Span]] = []
    for head in mentions:
        for tail in mentions:
            assert head.start is not None and head.end is not None
            assert tail.start is not None and tail.end is not None
            if head.text == tail.text:
                continue
            gap = max(tail.start - head.end, head.start - tail.end, 0)
            if gap > max_distance:
                continue
            if signatures and not any(_fits(signatures, label, head, tail)
                                      for label in signatures):
                continue
            pairs.append((gap, head, tail))
    pairs.sort(key=lambda p: (p[0], p[1].start, p[2].start))
    closest: dict[tuple[str, str], tuple[Span, Span]] = {}
    for _, head, tail in pairs:
        closest.setdefault((head.text, tail.text), (head, tail))
    kept = list(closest.values())
    return kept[:max_pairs], max(0, len(kept) - max_pairs)


def _decision(answer: Classification, label: str, min_score: float) -> float | bool:
    """The label's score when it passes ``min_score`` (``True`` for a chosen label without a
    score), else ``False``."""
    score = answer.scores.get(label)
    if score is None:
        return label in answer.labels
    return score if score >= min_score else False


def _fits(signatures: Signatures | None, label: str, head: Span, tail: Span) -> bool:
    if not signatures:
        return True
    signature = signatures.get(label)
    return signature is None or (head.label, tail.label) == signature


def _relation_types(value: object) -> tuple[list[str], Signatures | None]:
    if not isinstance(value, Mapping):
        return common.names(value, "relation_types"), None
    labels = common.names(list(value), "relation_types")
    signatures: Signatures = {}
    for label, raw in zip(labels, value.values(), strict=True):
        if raw is None:
            signatures[label] = None
            continue
        if (isinstance(raw, str) or not isinstance(raw, Sequence) or len(raw) != 2
                or not all(isinstance(t, str) and t.strip() for t in raw)):
            raise TaskInputError(f"relation_types[{label!r}] must be a (head type, tail type) "
                                 f"pair of entity types or None, got {raw!r}")
        signatures[label] = (raw[0].strip(), raw[1].strip())
    return labels, signatures


def _extract_entities(model: Model, batch: list[str], entity_types: object,
                      signatures: Signatures | None, options: dict[str, Any]) -> list[list[Span]]:
    """One extract call for the whole batch, or one per language when the default types (which
    differ by language) are used."""
    named = [t for signature in (signatures or {}).values() if signature for t in signature]
    if entity_types is not None or named:
        types = (common.names(entity_types, "entity_types") if entity_types is not None
                 else list(dict.fromkeys(named)))
        return [r.spans for r in model.extract(batch, types, **options)]
    found: list[list[Span]] = [[] for _ in batch]
    by_language: dict[str, list[int]] = {}
    for i, text in enumerate(batch):
        by_language.setdefault(language_of(text), []).append(i)
    for language, indices in by_language.items():
        results = model.extract([batch[i] for i in indices], DEFAULT_ENTITY_TYPES[language],
                                **options)
        for i, result in zip(indices, results, strict=True):
            found[i] = result.spans
    return found


def _given_entities(batch: list[str], given: object) -> list[list[Span]]:
    if not isinstance(given, (list, tuple)) or len(given) != len(batch):
        raise TaskInputError(f"entities: give one list of mentions per text ({len(batch)})")
    found = []
    for i, (text, mentions) in enumerate(zip(batch, given, strict=True)):
        field_name = "entities" if len(batch) == 1 else f"entities[{i}]"
        if not isinstance(mentions, (list, tuple)):
            raise TaskInputError(f"{field_name} must be a list of mentions")
        spans = []
        for j, mention in enumerate(mentions):
            where = f"{field_name}[{j}]"
            label = ""
            if isinstance(mention, (list, tuple)) and len(mention) == 3:
                *mention, label = mention
                if not isinstance(label, str):
                    raise TaskInputError(f"{where}: the entity type must be a string")
            start, end = locate(text, mention, where)
            spans.append(Span(mention.label if isinstance(mention, Span) else label,
                              text[start:end], start, end,
                              mention.score if isinstance(mention, Span) else None))
        found.append(sorted(spans, key=lambda s: (s.start, s.end)))
    return found
