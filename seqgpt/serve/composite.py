"""Composite-task endpoints: one row per ``Model`` method built from extract and classify.

Each row names the method, the request body (its fields are the method's keyword arguments)
and which fields hold texts or labels, so the service's limits apply to them. A row becomes
``POST /v1/<name>`` only when the loaded seqgpt's ``Model`` has the method and the method
accepts the body's fields, so the table may list calls before they land. Adding a task is a
body class and one row.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from seqgpt.serve.schemas import Labels, Options, Text
from seqgpt.tasks.reading import UNIT_HELP


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float | None = Field(None, ge=0, le=1,
                                    description="passed to every extract/classify call")
    options: Options | None = None


class NerBody(_Body):
    text: Text
    types: Labels = Field(description="entity types")


SpanRef = tuple[int, int] | str


class EntityTypeBody(_Body):
    text: Text
    span: SpanRef | list[SpanRef] = Field(
        description="[start, end] offsets or the mention's string (its first occurrence); "
                    "a list, one per text, for a list of texts")
    types: Labels


class RelationsBody(_Body):
    text: Text
    relation_types: Labels | dict[str, tuple[str, str] | None] = Field(
        description="names, or {name: [head type, tail type] or null}")
    entity_types: Labels | None = None
    min_score: float | None = Field(None, ge=0, le=1)
    max_pairs: int | None = Field(None, ge=1, le=256,
                                  description="entity pairs classified per text")
    max_distance: int | None = Field(None, ge=1, le=10_000,
                                     description="characters between a pair's entities")


class EventsBody(_Body):
    text: Text
    schema_: dict[str, list[str]] = Field(alias="schema",
                                          description="{event type: [argument roles]}")


class AnswerBody(_Body):
    context: Text
    questions: str | list[str | list[str]] = Field(
        description="one question, a list, or (for a list of contexts) one list per context")
    unit: Literal["auto", "span", "clause", "sentence"] = Field(
        "auto", description=UNIT_HELP)


class SlotsBody(_Body):
    text: Text
    slots: Labels
    intents: Labels | None = None


class NliBody(_Body):
    premise: Text
    hypothesis: Text
    labels: Labels | None = None


class SentimentBody(_Body):
    text: Text
    labels: Labels | None = None


class TopicBody(_Body):
    text: Text
    topics: Labels


class ExtractJsonBody(_Body):
    text: Text
    schema_: dict[str, str | list[str] | dict[str, str]] = Field(
        alias="schema", description='{key: "string" | "array" | [fields] | {field: kind}}')


@dataclass(frozen=True)
class CompositeTask:
    name: str  # the URL path segment and the Model method
    body: type[_Body]
    summary: str
    text_fields: Sequence[str] = ("text",)
    label_fields: Sequence[str] = ()  # label lists, or {key: labels} maps (keys count too)

    def arguments(self, body: _Body) -> dict[str, Any]:
        """The method's keyword arguments: the fields (aliases resolved) and the options."""
        values = body.model_dump(exclude_none=True, exclude={"threshold", "options"})
        arguments = {name.removesuffix("_"): value for name, value in values.items()}
        return {**arguments, **options_of(body.threshold, body.options)}


TASKS: tuple[CompositeTask, ...] = (
    CompositeTask("ner", NerBody, "Named entities of the given types", label_fields=("types",)),
    CompositeTask("entity_type", EntityTypeBody, "The type of a given mention",
                  label_fields=("types",)),
    CompositeTask("relations", RelationsBody, "Entities, then the relation of each pair",
                  label_fields=("relation_types", "entity_types")),
    CompositeTask("events", EventsBody, "Event triggers, then their arguments by role",
                  label_fields=("schema_",)),
    CompositeTask("answer", AnswerBody, "Extractive reading comprehension",
                  text_fields=("context",), label_fields=("questions",)),
    CompositeTask("slots", SlotsBody, "Slot filling and intent in one call",
                  label_fields=("slots", "intents")),
    CompositeTask("nli", NliBody, "Entailment / neutral / contradiction of a pair",
                  text_fields=("premise", "hypothesis"), label_fields=("labels",)),
    CompositeTask("sentiment", SentimentBody, "Sentiment of a text",
                  label_fields=("labels",)),
    CompositeTask("topic", TopicBody, "Topic of a text", label_fields=("topics",)),
    CompositeTask("extract_json", ExtractJsonBody, "Objects shaped by a JSON schema",
                  label_fields=("schema_",)),
)


def available(model_class: type) -> list[CompositeTask]:
    """The rows whose method exists on ``model_class`` and can take the body: every required
    parameter is a field, and every field is a parameter or goes to ``**options`` (where an
    unknown name is refused by the backend with a 422, never a crash)."""
    found = []
    for task in TASKS:
        method = getattr(model_class, task.name, None)
        if method is None:
            continue
        parameters = list(inspect.signature(method).parameters.values())[1:]  # after self
        named = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        required = {p.name for p in parameters if p.default is p.empty and p.name in named}
        takes_options = any(p.kind is p.VAR_KEYWORD for p in parameters)
        fields = {name.removesuffix("_") for name in task.body.model_fields} - {
            "threshold", "options"}
        if takes_options and required <= fields:
            found.append(task)
    return found


def options_of(threshold: float | None, options: Options | None) -> dict[str, Any]:
    """The model options of a request: ``options`` plus ``threshold`` when given."""
    values = options.model_dump(exclude_none=True) if options else {}
    if threshold is not None:
        values["threshold"] = threshold
    return values
