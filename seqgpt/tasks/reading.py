"""Extractive reading comprehension as SeqGPT composes it (``seqgpt.data.squad``): extract from
the context with each question as a label (``prompt.sanitize_label(question)``: commas, which
separate labels, become semicolons). The answer is the best span found for the question; a
question the model finds no span for is unanswerable and gets ``None``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from seqgpt import prompt
from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.types import Span

if TYPE_CHECKING:
    from seqgpt.api import Model


@dataclass
class Answer:
    """The answer to ``question``: a span of the context (``span.label`` is the question as the
    model saw it), or ``None`` when the context does not answer it."""

    question: str
    span: Span | None = None

    @property
    def text(self) -> str | None:
        return None if self.span is None else self.span.text

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": common.span_dict(self.span)}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


Questions = str | list[str]


def answer(model: Model, context: str | list[str], questions: Questions | list[Questions],
           **options: Any) -> Answer | list[Answer] | list[Answer | list[Answer]]:
    """Answer ``questions`` (one string or a list) from ``context``: one :class:`Answer` per
    question, in order. For a list of contexts give a list of questions (or question lists),
    one per context. Each question is answered on its own (its answer does not depend on the
    other questions asked with it); contexts asking the same question share one call."""
    batch, single = common.texts(context, "context")
    asked = [questions] if single else questions
    if not isinstance(asked, list) or len(asked) != len(batch):
        raise TaskInputError(f"questions: give the questions of each context, one entry per "
                             f"context ({len(batch)})")
    plans: list[tuple[list[str], list[str], bool]] = []
    for i, entry in enumerate(asked):
        where = "questions" if single else f"questions[{i}]"
        originals, one = _question_list(entry, where)
        plans.append((originals, [prompt.sanitize_label(q) for q in originals], one))
    # One extract call per distinct question, over every context that asks it: a question is
    # never in a label group with another one, so no other question can take its span (the
    # compact model keeps spans from overlapping across labels; a generative model answers a
    # chunk of labels in one generation), and each answer is the one it gets when asked alone.
    calls: dict[str, list[int]] = {}
    for i, (_, labels, _) in enumerate(plans):
        for label in dict.fromkeys(labels):
            calls.setdefault(label, []).append(i)
    found: dict[int, dict[str, list[Span]]] = {i: {} for i in range(len(plans))}
    for label, indices in calls.items():
        results = model.extract([batch[i] for i in indices], [label], **options)
        for i, result in zip(indices, results, strict=True):
            found[i][label] = result.by_label().get(label, [])
    answers: list[Answer | list[Answer]] = []
    for i, (originals, labels, one) in enumerate(plans):
        mine = [Answer(q, common.best(found[i].get(label, [])))
                for q, label in zip(originals, labels, strict=True)]
        answers.append(mine[0] if one else mine)
    return answers[0] if single else answers


def _question_list(entry: object, where: str) -> tuple[list[str], bool]:
    if isinstance(entry, str):
        return [_question(entry, where)], True
    if not isinstance(entry, list) or not entry:
        raise TaskInputError(f"{where} must be a question or a non-empty list of questions, "
                             f"got {entry!r}"[:200])
    return [_question(q, f"{where}[{j}]") for j, q in enumerate(entry)], False


def _question(question: object, where: str) -> str:
    if not isinstance(question, str):
        raise TaskInputError(f"{where} must be a string, got {type(question).__name__}")
    if not prompt.sanitize_label(question):
        raise TaskInputError(f"{where} is empty; give a question")
    return question
