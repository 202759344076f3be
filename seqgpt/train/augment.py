"""Label-name augmentation: the model should read what a label means, not memorise a string."""

from __future__ import annotations

import random
import re

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


def augment_labels(labels: list[str], rng: random.Random, rate: float) -> dict[str, str]:
    """A renaming of some labels (each with probability ``rate``), keeping names distinct."""
    renamed: dict[str, str] = {}
    taken = set(labels)
    for label in labels:
        options = [v for v in variants(label) if v not in taken]
        if options and rng.random() < rate:
            new = rng.choice(options)
            renamed[label] = new
            taken.add(new)
    return renamed
