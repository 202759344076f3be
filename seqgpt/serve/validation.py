"""The limits a request must respect, checked before any work is queued.

Types are pydantic's (``schemas.py``); here the operator's limits (``settings.py``) and what
the model cannot take: an empty text, a bad label set, text that is not valid Unicode (a lone
surrogate such as ``"\\udcff"`` in the JSON). Each violation is a 422 that names the field
(``text[2]``, ``questions[0][1]``) and, for a limit, the setting and its value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from seqgpt import prompt, textcheck
from seqgpt.serve import errors
from seqgpt.serve.errors import ApiError, limit_error
from seqgpt.serve.settings import Settings
from seqgpt.types import SeqGPTError


def check_texts(value: Any, field: str, settings: Settings) -> list[str]:
    single = isinstance(value, str)
    texts = [value] if single else list(value)
    if not texts:
        raise ApiError(422, "invalid_input", f"{field} is an empty list; give at least one text",
                       field=field)
    if len(texts) > settings.max_texts:
        raise limit_error(field, "max_texts", settings.max_texts, f"{field} has {len(texts)} texts")
    for i, text in enumerate(texts):
        name = field if single else f"{field}[{i}]"
        try:
            prompt.check_text(text, name)
        except SeqGPTError as error:
            raise ApiError(422, "invalid_input", str(error), field=name) from None
        if len(text) > settings.max_text_chars:
            raise limit_error(name, "max_text_chars", settings.max_text_chars,
                              f"{name} has {len(text)} characters")
    return texts


def check_labels(value: Any, field: str, settings: Settings) -> list[str]:
    try:
        labels = prompt.check_labels(value)
    except SeqGPTError as error:
        raise errors.input_error(error) from None
    _check_label_limits(labels, field, settings)
    return labels


def check_label_set(value: Any, field: str, settings: Settings) -> None:
    """Limits on a composite task's labels: a comma string, or every string (keys included)
    in a list or map of them (a schema, relation signatures, questions per context)."""
    if isinstance(value, str):
        labels = prompt.split_labels(value)
    else:
        labels = list(_strings(value))
    _check_label_limits(labels, field, settings)


def check_unicode(body: BaseModel) -> None:
    """Every string in the request (texts, labels, schema keys ...) is valid Unicode: a lone
    surrogate is a 422 naming the field and the position, before anything else is checked."""
    for where, text in _named_strings(body.model_dump(by_alias=True, exclude_none=True), ""):
        try:
            textcheck.check(text, where or "body")
        except SeqGPTError as error:
            raise ApiError(422, "invalid_input", str(error), field=where or "body") from None


def composite_limits(text_fields: Sequence[str], label_fields: Sequence[str], body: Any,
                     settings: Settings) -> None:
    """The limits of a composite request: its texts as ``/v1/extract``'s, and every label,
    question, role or schema key as labels."""
    for name in text_fields:
        check_texts(getattr(body, name), name, settings)
    for name in label_fields:
        if getattr(body, name, None) is not None:
            check_label_set(getattr(body, name), name.removesuffix("_"), settings)


def _strings(value: Any) -> Iterator[str]:
    for _, text in _named_strings(value, ""):
        yield text


def _named_strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inside = f"{where}.{key}" if where else str(key)
            yield from _named_strings(key, inside)
            yield from _named_strings(item, inside)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _named_strings(item, f"{where}[{i}]")


def _check_label_limits(labels: list[str], field: str, settings: Settings) -> None:
    if len(labels) > settings.max_labels:
        raise limit_error(field, "max_labels", settings.max_labels,
                          f"{field} has {len(labels)} labels")
    for i, label in enumerate(labels):
        if len(label) > settings.max_label_chars:
            raise limit_error(f"{field}[{i}]", "max_label_chars", settings.max_label_chars,
                              f"{field}[{i}] has {len(label)} characters")
