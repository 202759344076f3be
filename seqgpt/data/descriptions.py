"""Label paraphrases: what a dataset's own documentation says its labels mean.

Some datasets ship a description of each label (SGD's schema.json describes every slot and
intent; Pile-NER's SLIMER release defines every entity type). A trainer can show such a
description in place of, or beside, the short label name, so the model learns to read what a
label means rather than memorise the string. A catalogue entry names the function that reads
its descriptions (``options["descriptions"]``, ``(spec, root) -> {label words: [texts]}``);
:func:`label_descriptions` is the one way to get them, keyed by the label words the
dataset's instances use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import cast

from seqgpt.data import registry
from seqgpt.data.registry import DatasetSpec

Describer = Callable[[DatasetSpec, Path], dict[str, list[str]]]


def described() -> list[str]:
    """The registered datasets that have label descriptions."""
    return [name for name in registry.names() if "descriptions" in registry.get(name).options]


def label_descriptions(name: str, root: Path | None = None) -> dict[str, list[str]]:
    """Label words -> descriptions (several where the data gives several) for one dataset;
    ``{}`` for a dataset whose files describe no labels."""
    spec = registry.get(name)
    describe = spec.options.get("descriptions")
    if describe is None:
        return {}
    return cast(Describer, describe)(spec, root or registry.data_root())
