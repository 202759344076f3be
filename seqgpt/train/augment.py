"""Label-name augmentation: the model should read what a label means, not memorise a string."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

# A few meaning-preserving rewrites of label names that recur across datasets.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "human", "individual", "person name"),
    "location": ("place", "locale", "geographic location"),
    "organization": ("organisation", "institution", "group or company"),
    "organisation": ("organization", "institution"),
    "date": ("day", "calendar date"),
    "time": ("time of day", "clock time"),
    "city": ("town", "city name"),
    "country": ("nation", "country name"),
    "company": ("business", "firm", "corporation"),
    "disease": ("illness", "medical condition"),
    "chemical": ("chemical compound", "substance"),
    "positive": ("good", "favourable"),
    "negative": ("bad", "unfavourable"),
    "人名": ("人物", "姓名"),
    "地名": ("地点", "位置"),
    "机构名": ("机构", "组织"),
}


def _plural(word: str) -> str:
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def variants(label: str) -> list[str]:
    """Other ways a user might write ``label`` (never ``label`` itself)."""
    out = set(SYNONYMS.get(label.lower(), ()))
    spaced = re.sub(r"[_\-]+", " ", label).strip()
    if spaced and spaced != label:
        out.add(spaced)
    if label.isascii() and label[:1].isalpha():
        out.update({label.lower(), label.title(), label.upper() if len(label) <= 4 else label})
        words = spaced.split()
        if words and not words[-1].endswith("s"):
            out.add(" ".join(words[:-1] + [_plural(words[-1])]))
    out.discard(label)
    return sorted(v for v in out if v)


def augment_labels(labels: list[str], rng: random.Random, rate: float,
                   descriptions: Mapping[str, Sequence[str]] | None = None,
                   description_rate: float = 0.0) -> dict[str, str]:
    """A renaming of some labels, keeping names distinct: a label with a documented meaning
    (``descriptions``, keyed by lower-cased label) is shown as that description with
    probability ``description_rate``; otherwise, with probability ``rate``, as a variant."""
    renamed: dict[str, str] = {}
    taken = set(labels)
    for label in labels:
        described = [d for d in (descriptions or {}).get(label.lower(), ()) if d not in taken]
        if described and rng.random() < description_rate:
            new = rng.choice(described)
        else:
            options = [v for v in variants(label) if v not in taken]
            if not (options and rng.random() < rate):
                continue
            new = rng.choice(options)
        renamed[label] = new
        taken.add(new)
    return renamed


def documented_meanings(max_chars: int = 160) -> dict[str, list[str]]:
    """Lower-cased label -> the descriptions the shared datasets give it (SGD's schema,
    Pile-NER's definitions), each at most ``max_chars`` long so a described label still fits
    the training window. Empty where the data folder is missing: descriptions are a bonus."""
    # Lazy: the dataset catalogue loads every reader, and only mixture training asks for this.
    from seqgpt.data.descriptions import described, label_descriptions
    from seqgpt.errors import SeqGPTError

    meanings: dict[str, list[str]] = {}
    for name in described():
        try:
            table = label_descriptions(name)
        except SeqGPTError:
            continue
        for label, texts in table.items():
            kept = meanings.setdefault(label.lower(), [])
            kept += [t for t in texts if len(t) <= max_chars and t not in kept]
    return {label: texts for label, texts in meanings.items() if texts}
