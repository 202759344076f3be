"""Relation triples turned into questions whose answer depends on the entity they name.

Reading comprehension asks for "the span this question points at", and the only MRC data in
the pool is ~3k questions (CMRC 2018 trial, XQuAD), so the model learns to answer with "a span
of the right type" and ignores who the question is about. The relation datasets hold many
more (head, relation, tail) triples whose tail is exactly such an answer:

    "天才宝贝的主演是什么？", "What does Rocky Flats located in?" -> every tail of that pair

:func:`relation_questions` derives one extraction instance per (sentence, head, relation) of a
mixture's relation-pair instances (``meta`` holds the head and the tail's offsets in the
sentence), gold = every tail, and for a share of them an unanswerable question about the same
head (a relation it does not hold there, gold ``[]``), so asking is not the same as finding.
``seqgpt data questions`` writes them from mixture files.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from seqgpt.data.instance import AtomicInstance
from seqgpt.types import Span

#: Datasets whose relation names are kinds of pair ("cause and effect", "adverse effect",
#: "the same referent"), not a role of the tail: a question built from them asks nothing.
PAIR_KINDS = frozenset({"semeval2010_task8", "ade_re", "fewclue/cluewsc"})
#: Suffix of the dataset name of derived instances (so counts and cards tell them apart).
SUFFIX = "#questions"


def question(language: str, head: str, relation: str) -> str:
    """The question a training instance asks for the tails of ``head``'s ``relation``."""
    return f"{head}的{relation}是什么？" if language == "zh" else f"What does {head} {relation}?"


def tail_question(language: str, head: str, relation: str) -> str:
    """The question the answer reader is asked to score a given tail of ``head``'s
    ``relation`` (``CompactBackend.tail_answers``). Chinese keeps the training form; English
    asks "What is the {relation} of {head}?", which reads Wikidata-style relation names better
    than the training form "What does {head} {relation}?" (FewRel selection splits, 200 pairs
    each, reader alone: val_nyt 47.0 against 37.5 accuracy; val_pubmed's verb-phrase names 26.0
    against 28.0; in the classify blend at weight 0.5, 53.0 / 33.5 against 47.0 / 34.0)."""
    return question(language, head, relation) if language == "zh" \
        else f"What is the {relation} of {head}?"


def relation_questions(instances: Iterable[AtomicInstance], *, unanswerable: float = 0.3,
                       seed: int = 7) -> list[AtomicInstance]:
    """Question-extraction instances from the relation-pair instances among ``instances``
    (others are skipped); the same input and seed give the same list."""
    tails: dict[tuple[str, str, str], set[tuple[int, int, str]]] = {}
    source: dict[tuple[str, str, str], AtomicInstance] = {}
    held: dict[tuple[str, str], set[str]] = {}
    for instance in instances:
        meta = instance.meta
        if (instance.task != "classify" or instance.dataset in PAIR_KINDS
                or "head" not in meta or "tail_start" not in meta or "tail_end" not in meta):
            continue
        sentence = instance.text.rsplit("\n", 1)[0]  # compose.relation_text's sentence part
        for relation in instance.gold:
            key = (sentence, meta["head"], relation)
            tails.setdefault(key, set()).add((meta["tail_start"], meta["tail_end"], meta["tail"]))
            source[key] = instance
            held.setdefault(key[:2], set()).add(relation)
    rng = random.Random(seed)
    out: list[AtomicInstance] = []
    for key, found in tails.items():
        sentence, head, relation = key
        origin = source[key]
        asked = question(origin.language, head, relation)
        spans = [Span(asked, text, start, end) for start, end, text in sorted(found)]
        out.append(_instance(origin, sentence, asked, spans))
        others = [r for r in origin.meta.get("negatives", []) if r not in held[key[:2]]]
        if others and rng.random() < unanswerable:
            out.append(_instance(origin, sentence,
                                 question(origin.language, head, rng.choice(others)), []))
    return out


def _instance(origin: AtomicInstance, sentence: str, asked: str,
              spans: list[Span]) -> AtomicInstance:
    derived = AtomicInstance(text=sentence, task="extract", labels=[asked],
                             dataset=origin.dataset + SUFFIX, split=origin.split,
                             language=origin.language, spans=spans, meta={"negatives": []})
    derived.check()
    return derived
