"""Extraction rows that ask for the parts of a person's name ("first name", "last name", ...).

Booking and form slot sets ask for ``first name`` and ``last name``, while every ``X name``
label of the mixture (person name, airline name, movie name) means a whole name. So the model
read ``first name`` as "a name": on restaurant8k's selection split it tagged ``Vashti Sampaia``
as one first name (score 0.84) and found no last name at all.

Datasets that mark every person of a sentence give the parts for free where each person is two
or three capitalised words: the first word is the first name, the last word the last name.
:func:`name_part_instances` turns such sentences into rows asking for one or both parts (in
one of four wordings) beside up to two of the sentence's other labels, whose gold spans stay as
annotated; a sentence with any other kind of person mention (one word, lower case, a handle)
is skipped, since its parts cannot be told. ``seqgpt data name-parts`` writes them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from seqgpt.data.instance import AtomicInstance
from seqgpt.types import Span

#: English datasets whose every person is annotated, with the label ``person``.
DATASETS = ("conll2003", "wikigold", "conll04_re", "btc", "sec_filings")
#: Wordings of the two parts, pairwise (``FIRST[k]`` is asked with ``LAST[k]``); the plain
#: names twice as often as each paraphrase.
FIRST = ("first name", "first name", "given name", "forename")
LAST = ("last name", "last name", "surname", "family name")
#: Suffix of the dataset name of derived instances (so counts and cards tell them apart).
SUFFIX = "#name_parts"

_NAME_WORD = re.compile(r"[A-Z][a-z]+(-[A-Z][a-z]+)?")


def _parts(span: Span) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The offsets of the first and last word of a person span of two or three capitalised
    words."""
    assert span.start is not None
    words = list(re.finditer(r"\S+", span.text))
    if not 2 <= len(words) <= 3 or not all(_NAME_WORD.fullmatch(w.group()) for w in words):
        return None
    return ((span.start + words[0].start(), span.start + words[0].end()),
            (span.start + words[-1].start(), span.start + words[-1].end()))


def name_part_instances(instances: Iterable[AtomicInstance], *,
                        seed: int = 7) -> list[AtomicInstance]:
    """Name-part rows from the complete English extraction instances among ``instances`` whose
    people are all two- or three-word names (others are skipped; a text is used once); the
    same input and seed give the same list."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[AtomicInstance] = []
    for instance in instances:
        if (instance.task != "extract" or instance.language != "en"
                or instance.meta.get("partial") or instance.text in seen):
            continue
        found = [_parts(span) for span in instance.spans if span.label == "person"]
        parts = [pair for pair in found if pair is not None]
        if not parts or len(parts) < len(found):
            continue
        seen.add(instance.text)
        wording = rng.randrange(len(FIRST))
        first, last = FIRST[wording], LAST[wording]
        asked = rng.choice([(first, last), (first, last), (first,), (last,)])
        others = [label for label in instance.labels if label != "person"]
        labels = [*asked, *rng.sample(others, min(len(others), rng.randrange(3)))]
        spans = [span for span in instance.spans if span.label in labels]
        for pair in parts:
            for label, (start, end) in zip((first, last), pair, strict=True):
                if label in asked:
                    spans.append(Span(label, instance.text[start:end], start, end))
        rng.shuffle(labels)
        out.append(AtomicInstance(
            text=instance.text, task="extract", labels=labels,
            dataset=instance.dataset + SUFFIX, split=instance.split, language="en",
            spans=spans))
    return out
