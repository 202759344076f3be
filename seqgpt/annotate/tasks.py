"""What ``--task`` runs: a :class:`Model` method called on a batch of texts.

A composite task (``Model.ner``, ``Model.relations``, ...) plugs in with one line in
:data:`TASKS`; a task whose method this install's :class:`Model` lacks is not offered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgpt import prompt
from seqgpt.api import Model
from seqgpt.types import SeqGPTError


class TaskError(SeqGPTError):
    """An unknown task, or labels the task cannot take."""


def _schema(labels: Any) -> dict[str, list[str]]:
    """An event schema ``{type: [role, ...]}``, given as JSON."""
    if not isinstance(labels, dict) or not labels:
        raise TaskError('this task takes a JSON schema as --labels, e.g. '
                        '\'{"attack": ["attacker", "target"]}\'')
    return {name: prompt.check_labels(roles) for name, roles in labels.items()}


@dataclass(frozen=True)
class Task:
    method: str  # the Model method: method(texts, labels, **options) -> list of results
    labels: Callable[[Any], Any] = prompt.check_labels  # validates and normalises --labels


_ALL: dict[str, Task] = {
    "extract": Task("extract"),
    "classify": Task("classify"),
}

#: The tasks this install offers: those whose method exists on Model.
TASKS: dict[str, Task] = {name: t for name, t in _ALL.items() if hasattr(Model, t.method)}


def get(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise TaskError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


def parse_labels(value: str) -> Any:
    """``--labels``: ``a,b`` (comma or ``，``), a JSON value (``[...]`` / ``{...}``), or
    ``@file.json``."""
    text = value.strip()
    source = "--labels"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as err:
            raise TaskError(f"--labels: cannot read {source} ({err.strerror})") from None
    elif not text.startswith(("[", "{")):
        return prompt.split_labels(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise TaskError(f"{source}: not valid JSON ({err.msg} at line {err.lineno} "
                        f"column {err.colno})") from None


def to_record(result: Any) -> dict[str, Any]:
    """A result as the JSON object stored beside the input record (its text left out: the
    record already has it)."""
    record = result.to_dict()
    record.pop("text", None)
    return record


def run_batch(model: Model, task: str, texts: list[str], labels: Any,
              options: dict[str, Any]) -> list[tuple[dict[str, Any] | None, str | None]]:
    """``(result, None)`` or ``(None, error)`` per text, in order. Texts go to the model sorted
    by length (less padding in every batch). A bad-input error on the batch is retried text by
    text so one bad record cannot sink its neighbours; an error that every text of the batch
    gets is a job error (a bad option, a bad label) and is raised."""
    method = getattr(model, get(task).method)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    try:
        results = method([texts[i] for i in order], labels, **options)
    except SeqGPTError as batch_error:
        answers: list[tuple[dict[str, Any] | None, str | None]] = []
        for text in texts:
            try:
                answers.append((to_record(method([text], labels, **options)[0]), None))
            except SeqGPTError as error:
                answers.append((None, str(error)))
        if len(texts) > 1 and len({error for _, error in answers}) == 1:
            raise batch_error
        return answers
    out: list[tuple[dict[str, Any] | None, str | None]] = [(None, None)] * len(texts)
    for i, result in zip(order, results, strict=True):
        out[i] = (to_record(result), None)
    return out
