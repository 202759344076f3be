"""Composite NLU tasks built only from ``Model.extract`` and ``Model.classify``, so they work
with every backend. Each takes the model first; ``Model`` has the same calls as methods
(``nlu.relations(text, ...)``). A list of texts in gives a list of results out, with the model
calls batched across the list."""

from seqgpt.tasks.classes import nli, sentiment, topic
from seqgpt.tasks.common import TaskInputError
from seqgpt.tasks.entities import EntityType, entity_type, ner
from seqgpt.tasks.events import Event, EventExtraction, events
from seqgpt.tasks.reading import Answer, answer
from seqgpt.tasks.relations import Relation, RelationExtraction, candidate_pairs, relations
from seqgpt.tasks.schema import JSONExtraction, extract_json, json_schema
from seqgpt.tasks.slots import SlotFilling, slots

__all__ = ["Answer", "EntityType", "Event", "EventExtraction", "JSONExtraction", "Relation",
           "RelationExtraction", "SlotFilling", "TaskInputError", "answer", "candidate_pairs",
           "entity_type", "events", "extract_json", "json_schema", "ner", "nli", "relations",
           "sentiment", "slots", "topic"]
