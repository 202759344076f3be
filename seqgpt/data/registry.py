"""Which datasets exist, where their files are, and how to read them.

Each dataset is a :class:`DatasetSpec` registered by a catalogue module (``catalog_*.py``);
readers live in one module per *format*. ``read(name, split)`` is the single entry point.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import SeqGPTError, UnknownDatasetError

#: Shared datasets that measure zero-shot generalisation: never trained on, any split.
ZERO_SHOT_DEV: frozenset[str] = frozenset({
    "wnut17", "re3d", "gum", "resume_ner", "restaurant8k", "trec", "emotion_yin2019",
    "clinc150", "fewclue/iflytek", "online_shopping_10_cats", "sick2014", "subjqa", "drcd",
    "fewrel", "phee",
})

_CATALOGS = ("seqgpt.data.catalog_extract", "seqgpt.data.catalog_classify")

Reader = Callable[["DatasetSpec", Path, str], Iterator[AtomicInstance]]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its name (folder under the data root, ``/`` for sub-sets), language, kind
    (``ner``, ``slot``, ``cls``, ``nli``, ``re``, ``mrc``, ``ee``), the files of each split
    (relative to the data root), the reader of its format, and its label-name table
    (raw tag -> the words a user would type)."""

    name: str
    language: str
    kind: str
    files: Mapping[str, tuple[str, ...]]
    reader: Reader
    label_names: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.files)

    @property
    def zero_shot_dev(self) -> bool:
        return self.name in ZERO_SHOT_DEV or self.name.split("/")[0] in ZERO_SHOT_DEV

    def label(self, tag: str) -> str:
        """The user-facing name of a raw tag (the tag itself when the table has no entry)."""
        return self.label_names.get(tag, tag)


_REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"dataset {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def add(name: str, language: str, kind: str, files: Mapping[str, str | tuple[str, ...]],
        reader: Reader, label_names: Mapping[str, str], **options: object) -> DatasetSpec:
    """Register one dataset; ``files`` are relative to the data root, one or several per split."""
    paths = {split: (f,) if isinstance(f, str) else f for split, f in files.items()}
    return register(DatasetSpec(name, language, kind, paths, reader, dict(label_names), options))


def _load_catalogs() -> None:
    for module in _CATALOGS:
        importlib.import_module(module)


def names() -> list[str]:
    _load_catalogs()
    return sorted(_REGISTRY)


def get(name: str) -> DatasetSpec:
    _load_catalogs()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; known datasets: {', '.join(sorted(_REGISTRY))}") from None


def data_root() -> Path:
    """The shared data folder: ``$SEQGPT_DATA``, else the first ``shared/data`` found beside the
    current directory or the package checkout, walking upwards."""
    env = os.environ.get("SEQGPT_DATA")
    if env:
        if not (Path(env) / "MANIFEST.md").is_file():
            raise SeqGPTError(f"SEQGPT_DATA={env!r} is not the shared data folder (no "
                              "MANIFEST.md in it)")
        return Path(env)
    for start in (Path.cwd(), Path(__file__).resolve()):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "data"
            if (candidate / "MANIFEST.md").is_file():
                return candidate
    raise SeqGPTError("cannot find the shared data folder: set SEQGPT_DATA to the folder that "
                      "holds MANIFEST.md (e.g. ../shared/data)")


def read(name: str, split: str, root: Path | None = None) -> Iterator[AtomicInstance]:
    """Stream the atomic instances of one split of one dataset."""
    spec = get(name)
    if split not in spec.files:
        raise UnknownDatasetError(
            f"dataset {name!r} has no split {split!r}; its splits: {', '.join(spec.splits)}")
    return spec.reader(spec, root or data_root(), split)
