"""The texts ``seqgpt bench`` measures on: seeded English sentences of about 25 words with
their gold spans, and the label sets (5 and 20 labels) they are asked with."""

from __future__ import annotations

import random
from dataclasses import dataclass

BATCH = 32
EXTRACT_LABELS = ["person", "organization", "city", "date", "product"]
EXTRACT_LABELS_20 = EXTRACT_LABELS + [
    "country", "event", "money", "percentage", "time", "law", "language", "disease",
    "sports team", "vehicle", "award", "religion", "nationality", "facility", "artwork"]
CLASSIFY_LABELS = ["business", "technology", "politics", "health", "travel"]
CLASSIFY_LABELS_20 = CLASSIFY_LABELS + [
    "sports", "science", "entertainment", "education", "weather", "crime", "environment",
    "finance", "food", "fashion", "music", "religion", "law", "transport", "history"]

# Sentence templates of about 25 words; the slots are the gold spans of EXTRACT_LABELS.
_TEMPLATES = [
    "{person} flew to {city} on {date} to present the new {product} to investors after months "
    "of delays at {organization}.",
    "On {date}, {organization} announced that {person} will lead its office in {city}, where the "
    "team should double in size.",
    "Reporters in {city} said {person} had criticised {organization} on {date} for raising the "
    "price of the {product} without warning.",
    "{person} bought the new {product} in {city} on {date}, but it stopped working within a week "
    "and {organization} refused to replace it.",
    "Shares of {organization} fell on {date} after {person} warned that sales of the {product} "
    "in {city} were far below expectations.",
    "During a visit to {city} on {date}, {person} praised the volunteers of {organization} who "
    "repaired houses damaged by the winter floods.",
    "The {product} designed by {organization} will be tested by {person} and a few doctors in a "
    "hospital in {city} from {date}.",
    "{person} told the conference in {city} that {organization} would stop selling the {product} "
    "by {date} and focus on cheaper models.",
]
_FILLERS = {
    "person": ["Anna Schmidt", "Carlos Mendes", "Priya Nair", "James O'Connor", "Li Wei",
               "Fatima Haddad", "Tomasz Kowalski", "Emily Carter", "Kenji Watanabe",
               "Sofia Rossi", "David Okafor", "Hannah Becker"],
    "organization": ["Siemens", "Nordwind Energy", "Apex Robotics", "Bluebird Airlines",
                     "Helix Pharmaceuticals", "Orion Motors", "Crestline Bank", "Vantage Labs"],
    "city": ["Lisbon", "Nairobi", "Toronto", "Osaka", "Munich", "Buenos Aires", "Melbourne",
             "Krakow", "Seattle", "Cairo"],
    "date": ["Monday", "Friday", "March 3", "12 October", "June 21", "last Thursday",
             "the end of May"],
    "product": ["Model X3 tablet", "Aurora phone", "Pulse smartwatch", "Nova 7 laptop",
                "Echo heart monitor", "Falcon drone"],
}


@dataclass(frozen=True)
class Sample:
    text: str
    spans: dict[str, list[str]]  # label -> gold span texts, in order


def make_samples(n: int, seed: int = 0) -> list[Sample]:
    """``n`` English texts of about 25 words with their gold spans, the same for the same seed."""
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        template = _TEMPLATES[i % len(_TEMPLATES)]
        fill = {label: rng.choice(values) for label, values in _FILLERS.items()}
        spans = {label: [value] for label, value in fill.items() if "{" + label + "}" in template}
        samples.append(Sample(template.format(**fill), spans))
    return samples

