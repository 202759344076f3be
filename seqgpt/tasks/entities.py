"""Named entities (extract with the entity types as labels) and the type of a given mention."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.types import Extraction, Span

if TYPE_CHECKING:
    from seqgpt.api import Model

#: Scores a typed mention may have when the backend can give low-scoring candidates: the type
#: of a given span is the best one whatever its score.
TYPING_FLOOR = 0.01


def ner(model: Model, text: str | list[str], types: list[str] | str,
        **options: Any) -> Extraction | list[Extraction]:
    """Entities of the given types: ``Model.extract`` with the types as labels (flat unless the
    backend is asked for ``nested=True``)."""
    batch, single = common.texts(text)
    results = model.extract(batch, common.names(types, "types"), **options)
    return results[0] if single else results


@dataclass
class EntityType:
    """The type chosen for the mention ``text[start:end]``: ``label`` (``None`` when a generative
    model chose none of the types) and its ``score`` (``None`` from generative models)."""

    text: str
    start: int
    end: int
    label: str | None
    score: float | None = None

    @property
    def mention(self) -> str:
        return self.text[self.start:self.end]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "mention": self.mention, "start": self.start, "end": self.end,
                "label": self.label, "score": self.score}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


SpanInput = Span | tuple[int, int] | list[int] | str


def entity_type(model: Model, text: str | list[str], span: SpanInput | list[SpanInput],
                types: list[str] | str, **options: Any) -> EntityType | list[EntityType]:
    """The type of ``span`` in ``text`` among ``types``. ``span`` is a :class:`Span`, a
    ``(start, end)`` pair of offsets, or the mention's string (its first occurrence). For a list
    of texts, give a list of spans, one per text.

    The model reads the whole text, as in entity extraction: the type is the label of the
    extracted span at exactly these offsets, else of the best span overlapping it; when no
    extracted span touches the mention, the mention alone is classified over ``types``."""
    batch, single = common.texts(text)
    spans = [span] if single else span
    if not isinstance(spans, list) or len(spans) != len(batch):
        raise TaskInputError(f"span: give one span per text ({len(batch)}), got "
                             f"{len(spans) if isinstance(spans, list) else type(span).__name__}")
    field = "span" if single else "span[{}]"
    located = [locate(t, s, field.format(i)) for i, (t, s) in enumerate(zip(batch, spans,
                                                                           strict=True))]
    labels = common.names(types, "types")
    extra = {"threshold": TYPING_FLOOR, "nested": True} if common.takes_option(
        model, "threshold") else {}
    found = model.extract(batch, labels, **{**extra, **options})
    chosen: list[Span | None] = []
    for (start, end), result in zip(located, found, strict=True):
        exact = [s for s in result.spans if (s.start, s.end) == (start, end)]
        touching = [s for s in result.spans if s.start is not None and s.end is not None
                    and s.start < end and start < s.end]
        chosen.append(common.best(exact or touching))
    typed = [EntityType(t, start, end, c.label if c else None, c.score if c else None)
             for t, (start, end), c in zip(batch, located, chosen, strict=True)]
    missing = [i for i, c in enumerate(chosen) if c is None]
    if missing:
        mentions = [typed[i].mention for i in missing]
        classified = model.classify(mentions, labels, **options)
        for i, kind in zip(missing, classified, strict=True):
            typed[i].label = kind.labels[0] if kind.labels else None
            typed[i].score = kind.scores.get(kind.labels[0]) if kind.labels else None
    return typed[0] if single else typed


def locate(text: str, span: object, field: str) -> tuple[int, int]:
    """``(start, end)`` of a span given as a Span, an offset pair or a string in ``text``."""
    if isinstance(span, str):
        if not span.strip():
            raise TaskInputError(f"{field} is an empty string; give the mention or its offsets")
        at = text.find(span)
        if at < 0:
            raise TaskInputError(f"{field} {span!r} does not occur in the text")
        return at, at + len(span)
    start: object
    end: object
    if isinstance(span, Span):
        start, end = span.start, span.end
    elif isinstance(span, (tuple, list)) and len(span) == 2:
        start, end = span
    else:
        raise TaskInputError(f"{field} must be a Span, a (start, end) pair or the mention string, "
                             f"got {span!r}")
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool):
        raise TaskInputError(f"{field} offsets must be integers, got {start!r}, {end!r}")
    if not 0 <= start < end <= len(text):
        raise TaskInputError(f"{field} ({start}, {end}) is outside the text: expected "
                             f"0 <= start < end <= {len(text)}")
    if isinstance(span, Span) and span.text and text[start:end] != span.text:
        raise TaskInputError(f"{field} says {span.text!r} but the text at ({start}, {end}) is "
                             f"{text[start:end]!r}")
    return start, end
