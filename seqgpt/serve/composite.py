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

from pydantic import BaseModel, ConfigDict, Field

from seqgpt.serve.schemas import Labels, Text


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NerBody(_Body):
    text: Text
    types: Labels = Field(description="entity types")


class RelationsBody(_Body):
    text: Text
    relation_types: Labels
    entity_types: Labels | None = None


class EventsBody(_Body):
    text: Text
    schema_: dict[str, list[str]] = Field(alias="schema",
                                          description="{event type: [argument roles]}")


class AnswerBody(_Body):
    context: Text
    questions: Labels = Field(description="questions; one string is one question")


class SlotsBody(_Body):
    text: Text
    slots: Labels
    intents: Labels


class NliBody(_Body):
    premise: str
    hypothesis: str
    labels: Labels | None = None


class LabelledTextBody(_Body):
    text: Text
    labels: Labels | None = None


class EntityTypeBody(_Body):
    text: str
    start: int = Field(ge=0, description="the span's start offset in text (code points)")
    end: int = Field(ge=0, description="the span's end offset (exclusive)")
    types: Labels


class ExtractJsonBody(_Body):
    text: Text
    schema_: dict[str, list[str]] = Field(alias="schema",
                                          description="{object type: [fields]}")


@dataclass(frozen=True)
class CompositeTask:
    name: str  # the URL path segment and the Model method
    body: type[_Body]
    summary: str
    text_fields: Sequence[str] = ("text",)
    label_fields: Sequence[str] = ()  # lists of labels, or {key: [labels]} schemas

    def arguments(self, body: _Body) -> dict[str, object]:
        """The method's keyword arguments (the field names, aliases resolved)."""
        return {name.removesuffix("_"): value
                for name, value in body.model_dump(exclude_none=True).items()}


TASKS: tuple[CompositeTask, ...] = (
    CompositeTask("ner", NerBody, "Named entities of the given types", label_fields=("types",)),
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
    CompositeTask("sentiment", LabelledTextBody, "Sentiment of a text",
                  label_fields=("labels",)),
    CompositeTask("topic", LabelledTextBody, "Topic of a text", label_fields=("labels",)),
    CompositeTask("entity_type", EntityTypeBody, "Type of one span of a text",
                  label_fields=("types",)),
    CompositeTask("extract_json", ExtractJsonBody, "Objects shaped by a JSON schema",
                  label_fields=("schema_",)),
)


def available(model_class: type) -> list[CompositeTask]:
    """The rows whose method exists on ``model_class`` and takes every field of the body."""
    found = []
    for task in TASKS:
        method = getattr(model_class, task.name, None)
        if method is None:
            continue
        parameters = inspect.signature(method).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        wanted = {name.removesuffix("_") for name in task.body.model_fields}
        if takes_any or wanted <= set(parameters):
            found.append(task)
    return found
