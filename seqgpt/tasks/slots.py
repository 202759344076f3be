"""Slot filling and intent detection in one call: extract the slots, classify the intent, as
the training data was built (``seqgpt.data.slots``: one extract and one classify instance per
utterance, on the same text)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seqgpt.tasks import common
from seqgpt.types import Span

if TYPE_CHECKING:
    from seqgpt.api import Model


@dataclass
class SlotFilling:
    """The slot values found in ``text`` and its ``intent`` (``None`` when no intents were
    given, or when a generative model chose none); ``intent_scores`` has a score per intent."""

    text: str
    slots: list[Span] = field(default_factory=list)
    intent: str | None = None
    intent_scores: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "slots": [s.to_dict() for s in self.slots],
                "intent": self.intent, "intent_scores": dict(self.intent_scores)}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def slots(model: Model, text: str | list[str], slots: list[str] | str,
          intents: list[str] | str | None = None,
          **options: Any) -> SlotFilling | list[SlotFilling]:
    """Slot values of ``slots`` and (when ``intents`` are given) the intent, for one text or a
    list: one ``extract`` and one ``classify`` call for the whole list."""
    batch, single = common.texts(text)
    slot_names = common.names(slots, "slots")
    intent_names = None if intents is None else common.names(intents, "intents")
    found = model.extract(batch, slot_names, **options)
    results = [SlotFilling(t, list(r.spans)) for t, r in zip(batch, found, strict=True)]
    if intent_names is not None:
        for result, chosen in zip(results, model.classify(batch, intent_names, **options),
                                  strict=True):
            result.intent = chosen.labels[0] if chosen.labels else None
            result.intent_scores = dict(chosen.scores)
    return results[0] if single else results
