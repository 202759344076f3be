"""What ``--task`` runs: a call on the model for a batch of texts, the check of ``--labels``,
and how a result is stored.

A task is one line in :data:`_ALL`; a task whose :class:`Model` method this install lacks is
not offered. Options (``--option KEY=VALUE``) are passed to the call as keywords, so a task's
extra arguments (``entity_types`` of ``relations``, ``intents`` of ``slots``) need no code here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgpt import prompt
from seqgpt.api import Model
from seqgpt.errors import SeqGPTError, TaskError


def _method(name: str) -> Callable[..., list[Any]]:
    """A ``Model`` method that takes a list of texts and the labels: one result per text."""
    def call(model: Model, texts: list[str], labels: Any, **options: Any) -> list[Any]:
        return getattr(model, name)(texts, labels, **options)

    return call


def _same_questions(model: Model, texts: list[str], questions: list[str],
                    **options: Any) -> list[Any]:
    """Reading comprehension over a corpus: the same questions asked of every text."""
    answers: list[Any] = model.answer(texts, [questions] * len(texts), **options)  # type: ignore[assignment]
    return answers


def _questions(labels: Any) -> list[str]:
    if isinstance(labels, str):
        labels = [labels]
    if (not isinstance(labels, list) or not labels
            or not all(isinstance(q, str) and q.strip() for q in labels)):
        raise TaskError("--labels: give the questions as a JSON list of non-empty strings, "
                        """e.g. '["Who is the CEO?", "Where is it based?"]'""")
    return labels


def _relation_types(labels: Any) -> Any:
    """Relation names, or a JSON object name -> [head type, tail type] (or null)."""
    if isinstance(labels, dict):
        prompt.check_labels(list(labels))
        return labels
    return prompt.check_labels(labels)


def _event_schema(labels: Any) -> dict[str, list[str]]:
    from seqgpt.tasks.events import check_schema

    return check_schema(labels)


def _json_schema(labels: Any) -> Any:
    from seqgpt.tasks.schema import json_schema

    json_schema(labels)  # raises, naming the key, on a schema it cannot fill
    return labels


def to_record(result: Any) -> dict[str, Any]:
    """A result as the JSON object stored beside the input record (its text left out: the
    record already has it)."""
    record = result.to_dict()
    record.pop("text", None)
    return record


def _answers(answers: list[Any]) -> dict[str, Any]:
    return {"answers": [answer.to_dict() for answer in answers]}


@dataclass(frozen=True)
class Task:
    call: Callable[..., list[Any]]  # (model, texts, labels, **options) -> one result per text
    labels: Callable[[Any], Any] = prompt.check_labels  # checks and normalises --labels
    record: Callable[[Any], dict[str, Any]] = to_record  # a result -> the JSON object stored
    needs: str = ""  # the Model method the task needs (default: the task's name)


_ALL: dict[str, Task] = {
    "extract": Task(_method("extract")),
    "classify": Task(_method("classify")),
    "ner": Task(_method("ner")),
    "sentiment": Task(_method("sentiment")),
    "topic": Task(_method("topic")),
    "slots": Task(_method("slots")),  # intents: --option 'intents=["book", "cancel"]'
    "relations": Task(_method("relations"), _relation_types),  # --option entity_types=[...]
    "events": Task(_method("events"), _event_schema),  # --labels '{"type": ["role", ...]}'
    "extract-json": Task(_method("extract_json"), _json_schema, needs="extract_json"),
    "answer": Task(_same_questions, _questions, _answers),  # --labels '["question", ...]'
}

#: The tasks this install offers.
TASKS: dict[str, Task] = {name: task for name, task in _ALL.items()
                          if hasattr(Model, task.needs or name)}


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


def run_batch(model: Model, name: str, texts: list[str], labels: Any,
              options: dict[str, Any]) -> list[tuple[dict[str, Any] | None, str | None]]:
    """``(result, None)`` or ``(None, error)`` per text, in order. Texts go to the model sorted
    by length (less padding in every batch). A bad-input error on the batch is retried text by
    text so one bad record cannot sink its neighbours; an error that every text of the batch
    gets is a job error (a bad option, a bad label) and is raised."""
    task = get(name)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    try:
        results = task.call(model, [texts[i] for i in order], labels, **options)
    except SeqGPTError as batch_error:
        answers: list[tuple[dict[str, Any] | None, str | None]] = []
        for text in texts:
            try:
                answers.append((task.record(task.call(model, [text], labels, **options)[0]),
                                None))
            except SeqGPTError as error:
                answers.append((None, str(error)))
        if len(texts) > 1 and len({error for _, error in answers}) == 1:
            raise batch_error
        return answers
    out: list[tuple[dict[str, Any] | None, str | None]] = [(None, None)] * len(texts)
    for i, result in zip(order, results, strict=True):
        out[i] = (task.record(result), None)
    return out
