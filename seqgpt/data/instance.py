"""The one form every dataset reader yields: an atomic extract or classify instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# Re-exported: defined here before it moved to seqgpt.errors.
from seqgpt.errors import DataFormatError as DataFormatError
from seqgpt.types import Span

Task = Literal["extract", "classify"]


@dataclass
class AtomicInstance:
    """One text, one atomic task, one label set, and its gold answer.

    ``labels`` is the candidate label set shown to the model. For ``extract`` the gold answer
    is ``spans`` (``text[s.start:s.end] == s.text``); for ``classify`` it is ``gold`` (a subset
    of ``labels``; several for multi-label data). ``meta`` carries reader-specific extras
    (e.g. the intent of a slot-filling utterance, a relation's head/tail) that the mixture
    builder or evaluator may use.

    ``meta["partial"] = True`` (extract only) marks span-partial annotation: the gold knows
    only the spans listed in ``spans`` (UFET types one mention per sentence; DuIE types only
    relation arguments). Every other span of the text is unknown and must not be scored as a
    negative; a listed span's negatives are the instance's labels it is not listed under.
    Without the flag, every span not listed is a negative for every label.
    """

    text: str
    task: Task
    labels: list[str]
    dataset: str
    split: str
    language: str
    spans: list[Span] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)
    multi_label: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Raise ``ValueError`` if an invariant is broken (used by readers' tests)."""
        if not self.text.strip():
            raise ValueError(f"{self.dataset}/{self.split}: empty text")
        if not self.labels or any(not label.strip() for label in self.labels):
            raise ValueError(f"{self.dataset}/{self.split}: empty label in {self.labels!r}")
        for s in self.spans:
            if s.start is None or s.end is None or not 0 <= s.start < s.end <= len(self.text):
                raise ValueError(f"{self.dataset}/{self.split}: bad offsets {s} in {self.text!r}")
            if self.text[s.start:s.end] != s.text:
                raise ValueError(f"{self.dataset}/{self.split}: {s} does not match the text")
            if s.label not in self.labels:
                raise ValueError(f"{self.dataset}/{self.split}: span label {s.label!r} "
                                 "not in labels")
        for label in self.gold:
            if label not in self.labels:
                raise ValueError(f"{self.dataset}/{self.split}: gold {label!r} not in labels")

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"text": self.text, "task": self.task, "labels": self.labels,
                                  "dataset": self.dataset, "split": self.split,
                                  "language": self.language}
        if self.task == "extract":
            record["spans"] = [{"label": s.label, "start": s.start, "end": s.end, "text": s.text}
                               for s in self.spans]
        else:
            record["gold"] = self.gold
            record["multi_label"] = self.multi_label
        if self.meta:
            record["meta"] = self.meta
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> AtomicInstance:
        spans = [Span(s["label"], s["text"], s["start"], s["end"]) for s in record.get("spans", [])]
        return cls(text=record["text"], task=record["task"], labels=list(record["labels"]),
                   dataset=record.get("dataset", ""), split=record.get("split", ""),
                   language=record.get("language", ""), spans=spans,
                   gold=list(record.get("gold", [])),
                   multi_label=bool(record.get("multi_label", False)),
                   meta=dict(record.get("meta", {})))
