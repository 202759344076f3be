"""Typed results shared by every backend: spans, extractions, classifications."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Re-exported: ``from seqgpt.types import SeqGPTError`` is where it was defined before.
from seqgpt.errors import SeqGPTError as SeqGPTError

ExtractionFormatter = Callable[[Mapping[str, Sequence[str]]], str]
ClassificationFormatter = Callable[[Sequence[str]], str]

# ``to_seqgpt()`` renders the upstream answer text, a format that belongs to seqgpt.prompt. The
# prompt builds on these types, so this module does not import it: seqgpt.prompt hands its
# formatters over when it is imported (``import seqgpt`` always imports it).
_format_extraction: ExtractionFormatter | None = None
_format_classification: ClassificationFormatter | None = None


def use_answer_format(extraction: ExtractionFormatter,
                      classification: ClassificationFormatter) -> None:
    """Set the functions ``to_seqgpt()`` renders results with (called by ``seqgpt.prompt``)."""
    global _format_extraction, _format_classification
    _format_extraction, _format_classification = extraction, classification


def _formatters() -> tuple[ExtractionFormatter, ClassificationFormatter]:
    if _format_extraction is None or _format_classification is None:
        raise RuntimeError("no answer format installed: import seqgpt (seqgpt.prompt) first")
    return _format_extraction, _format_classification

@dataclass(frozen=True)
class Span:
    """A labelled piece of a text. ``text[start:end] == span.text`` (code-point offsets).

    ``start`` and ``end`` are ``None`` only for an answer phrase a generative model produced
    that does not occur in the text (see ``Extraction.unmatched``); such spans never appear in
    ``Extraction.spans``.
    """

    label: str
    text: str
    start: int | None
    end: int | None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "text": self.text, "start": self.start, "end": self.end,
                "score": self.score}


@dataclass
class Extraction:
    """Result of ``Model.extract`` for one text.

    ``spans`` are located in ``text`` and sorted by position; ``unmatched`` holds answer
    phrases a generative model gave that are not in the text (offsets ``None``); ``raw`` is the
    model's decoded answer (``None`` for backends that do not generate); ``warnings`` says what
    the parser tolerated (unknown labels, truncated lines) and whether the input was truncated.
    """

    text: str
    labels: list[str]
    spans: list[Span] = field(default_factory=list)
    raw: str | None = None
    unmatched: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False

    def by_label(self) -> dict[str, list[Span]]:
        """Spans grouped by label, every requested label present (possibly with no spans)."""
        grouped: dict[str, list[Span]] = {label: [] for label in self.labels}
        for span in self.spans:
            grouped.setdefault(span.label, []).append(span)
        return grouped

    def to_seqgpt(self) -> str:
        """The upstream answer: a ``label: span1<TAB>span2`` line per label, ``None`` if empty."""
        answers: dict[str, list[str]] = {label: [] for label in self.labels}
        for span in sorted(self.spans + self.unmatched, key=_position):
            phrases = answers.setdefault(span.label, [])
            if span.text not in phrases:
                phrases.append(span.text)
        return _formatters()[0](answers)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "labels": list(self.labels),
                "spans": [s.to_dict() for s in self.spans],
                "unmatched": [s.to_dict() for s in self.unmatched],
                "raw": self.raw, "warnings": list(self.warnings), "truncated": self.truncated}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


@dataclass
class Classification:
    """Result of ``Model.classify`` for one text: the chosen ``labels`` and a score per label."""

    text: str
    labels: list[str]
    scores: dict[str, float | None] = field(default_factory=dict)
    raw: str | None = None
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False

    def to_seqgpt(self) -> str:
        """The upstream answer text: the chosen labels joined with the full-width comma."""
        return _formatters()[1](self.labels)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "labels": list(self.labels), "scores": dict(self.scores),
                "raw": self.raw, "warnings": list(self.warnings), "truncated": self.truncated}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _position(span: Span) -> tuple[int, int]:
    return (span.start if span.start is not None else 1 << 62, span.end or 0)
