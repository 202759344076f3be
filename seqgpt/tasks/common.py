"""What every composite task shares: input checks that name the field, batching of one-or-many
inputs, and mapping spans of a composed text back to the original one."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seqgpt import prompt
from seqgpt.errors import SeqGPTError, TaskInputError
from seqgpt.types import Span

if TYPE_CHECKING:
    from seqgpt.api import Model


def texts(value: object, field: str = "text") -> tuple[list[str], bool]:
    """One text or a list of texts -> ``(texts, single)``; every text checked and named."""
    if isinstance(value, str):
        return [check_text(value, field)], True
    if isinstance(value, (list, tuple)):
        if not value:
            raise TaskInputError(f"{field} is an empty list; give at least one text")
        return [check_text(t, f"{field}[{i}]") for i, t in enumerate(value)], False
    raise TaskInputError(f"{field} must be a string or a list of strings, "
                         f"got {type(value).__name__}")


def check_text(value: object, field: str) -> str:
    try:
        return prompt.check_text(value, field)
    except SeqGPTError as error:
        raise TaskInputError(str(error)) from None


def names(value: object, field: str) -> list[str]:
    """A label set (entity types, roles, relation names ...): ``prompt.check_labels`` with the
    argument's name in the message. A single string is split on ``,`` / ``，``."""
    try:
        return prompt.check_labels(value)
    except SeqGPTError as error:
        raise TaskInputError(f"{field}: {error}") from None


def takes_option(model: Model, option: str) -> bool:
    """Whether the model's backend accepts ``option`` (the compact backend's ``threshold``):
    a task that needs low-scoring candidates asks for them only where the backend can give
    them; a generative model answers without scores."""
    options = getattr(model.backend, "options", None)
    return dataclasses.is_dataclass(options) and option in {f.name for f in
                                                            dataclasses.fields(options)}


def in_text(span: Span, length: int) -> bool:
    """Whether a span found in a composed text (``text`` + a line appended after it) lies in
    the original ``text`` (its first ``length`` characters)."""
    return span.start is not None and span.end is not None and span.end <= length


def best(spans: Sequence[Span]) -> Span | None:
    """The highest-scoring span; without scores (generative models) the first in the text."""
    if not spans:
        return None
    return max(spans, key=lambda s: (s.score if s.score is not None else 0.0,
                                     -(s.start or 0)))


def span_dict(span: Span | None) -> dict[str, Any] | None:
    return None if span is None else span.to_dict()
