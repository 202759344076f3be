"""Task-oriented dialogue corpora -> per-turn extract (slot values) and classify (intent) instances.

- ``read_sgd``: Schema-Guided Dialogue. A split's files are its ``schema.json`` then its
  ``dialogues_*.json``. Every frame of every turn (user and system) gives one extract instance:
  the labels are the frame's service's *non-categorical* slots (the only slots SGD marks as
  character spans; categorical ones such as ``is_nonstop`` have no span, so offering them as
  labels would teach "None" for values the text does express), the spans are the frame's
  ``slots``. ``meta["slot_descriptions"]`` maps each label to the service's description.
  A user turn whose frame informs an intent (an ``INFORM_INTENT`` action, i.e. the utterance
  states what the user wants) gives one classify instance: gold = the frame's active intent,
  labels = every intent of the split's schema. Turns that merely continue an intent ("yes",
  "4 people") carry no intent signal in their text and give no classify instance.
  :func:`sgd_descriptions` collects the schemas' slot and intent descriptions per label.
- ``read_crosswoz``: CrossWOZ (a zip holding one JSON dict of dialogues). Dialogue acts are
  ``[act, domain, slot, value]`` without offsets; each value is located in the message (first
  occurrence not cutting a number, not overlapping an earlier value of the same label). Not
  spans, and skipped: empty values (requests), hotel-facility booleans (``酒店设施-*``: 是/否),
  the ``源领域`` source domain of a Select act, ``无`` ("none") and anonymised placeholders
  (``#CX``, ``#CP`` for the taxi's model and plate). Values that are not found verbatim are
  listed in ``meta["unmatched_values"]`` and left out (about 3% of values: paraphrased prices,
  phone lists with other separators). User messages also give a multi-label classify instance
  over their dialogue acts (greet, thank, bye, inform, request, select).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet, classify, load_json, need
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import extract, find_value, make_span, object_list, taken_by
from seqgpt.types import Span


def _services(schema: Any, path: Path, slots: LabelSet) -> dict[str, dict[str, Any]]:
    """Per service: its non-categorical slots (raw name -> label words) and their descriptions."""
    if not isinstance(schema, list):
        raise DataFormatError(path, 1, "expected a JSON list of services")
    services = {}
    for i, service in enumerate(schema):
        where = f"service {i}"
        if not isinstance(service, dict):
            raise DataFormatError(path, None, f"{where}: expected a JSON object")
        name = need(service, "service_name", path, None, str, where)
        words: dict[str, str] = {}
        descriptions: dict[str, str] = {}
        for slot in object_list(service, "slots", path, None, where):
            if slot.get("is_categorical"):
                continue
            raw = need(slot, "name", path, None, str, f"{where} ({name})")
            word = slots.word(raw, path, None)
            words[raw] = word
            descriptions[word] = str(slot.get("description", ""))
        intents = {need(intent, "name", path, None, str, f"{where} ({name})"):
                   str(intent.get("description", ""))
                   for intent in object_list(service, "intents", path, None, where)}
        services[name] = {"slots": words, "labels": list(dict.fromkeys(words.values())),
                          "descriptions": descriptions, "intents": intents}
    return services


def read_sgd(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent")
    schema_name, *dialogue_names = spec.files[split]
    schema_path = root / schema_name
    services = _services(load_json(schema_path), schema_path, slots)
    present = {f"intent:{name}" for service in services.values() for name in service["intents"]}
    for tag in present:
        intents.word(tag, schema_path, None)
    intent_labels = list(dict.fromkeys(word for tag, word in intents.words_of.items()
                                       if tag in present))
    for name in dialogue_names:
        path = root / name
        dialogues = load_json(path)
        if not isinstance(dialogues, list):
            raise DataFormatError(path, 1, "expected a JSON list of dialogues")
        for i, dialogue in enumerate(dialogues):
            if not isinstance(dialogue, dict):
                raise DataFormatError(path, None, f"dialogue {i}: expected a JSON object")
            dialogue_id = need(dialogue, "dialogue_id", path, None, str, f"dialogue {i}")
            for number, turn in enumerate(object_list(dialogue, "turns", path, None,
                                                      dialogue_id)):
                where = f"dialogue {dialogue_id} turn {number}"
                text = need(turn, "utterance", path, None, str, where)
                speaker = need(turn, "speaker", path, None, str, where)
                meta = {"source": f"{name}#{dialogue_id}/{number}", "speaker": speaker}
                gold = []
                for frame in object_list(turn, "frames", path, None, where):
                    service_name = need(frame, "service", path, None, str, where)
                    if service_name not in services:
                        raise DataFormatError(path, None, f"{where}: service {service_name!r} "
                                              f"is not in {schema_name}")
                    service = services[service_name]
                    spans = []
                    for slot in object_list(frame, "slots", path, None, where):
                        raw = need(slot, "slot", path, None, str, where)
                        if raw not in service["slots"]:
                            raise DataFormatError(path, None, f"{where}: slot {raw!r} is not a "
                                                  f"non-categorical slot of {service_name}")
                        spans.append(make_span(text, service["slots"][raw], slot.get("start"),
                                               slot.get("exclusive_end"), path, None, where))
                    yield extract(spec, split, text, list(service["labels"]), spans,
                                  meta | {"task": "slots", "service": service_name,
                                          "slot_descriptions": service["descriptions"]})
                    if speaker == "USER" and any(action.get("act") == "INFORM_INTENT"
                                                 for action in object_list(frame, "actions",
                                                                           path, None, where)):
                        state = need(frame, "state", path, None, dict, where)
                        active = need(state, "active_intent", path, None, str, where)
                        gold.append(intents.word(f"intent:{active}", path, None))
                if gold:
                    gold = list(dict.fromkeys(gold))
                    yield classify(spec, split, text, list(intent_labels), gold,
                                   meta | {"task": "intent"}, multi_label=len(gold) > 1)


def sgd_descriptions(spec: DatasetSpec, root: Path) -> dict[str, list[str]]:
    """Label words -> the distinct descriptions the schemas of every split give them, for
    the span labels (non-categorical slots) and the intents. A label may have several: one
    slot name is described per service, and several raw slots share a label ("departure
    city" is from_location, origin, from_city ...)."""
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent")
    found: dict[str, dict[str, None]] = {}
    for split in spec.splits:
        path = root / spec.files[split][0]
        for service in _services(load_json(path), path, slots).values():
            pairs = [*service["descriptions"].items(),
                     *((intents.word(f"intent:{raw}", path, None), text)
                       for raw, text in service["intents"].items())]
            for label, text in pairs:
                if text.strip():
                    found.setdefault(label, {})[text.strip()] = None
    return {label: list(texts) for label, texts in found.items()}


def _zipped_json(path: Path) -> Any:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".json")]
            if len(members) != 1:
                raise DataFormatError(path, None, f"expected one .json member, found {members}")
            data = archive.read(members[0])
    except (OSError, zipfile.BadZipFile) as err:
        raise DataFormatError(path, None, f"cannot read the zip archive ({err})") from None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataFormatError(path, None, f"{members[0]}: invalid JSON ({err})") from None


def _crosswoz_value_is_span(slot: str, value: str) -> bool:
    return bool(value) and value not in ("none", "无") and not value.startswith("#") \
        and slot != "源领域" and not slot.startswith("酒店设施-")


def read_crosswoz(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    acts = LabelSet(spec, "act")
    for name in spec.files[split]:
        path = root / name
        dialogues = _zipped_json(path)
        if not isinstance(dialogues, dict):
            raise DataFormatError(path, None, "expected a JSON object of dialogues")
        for dialogue_id, dialogue in dialogues.items():
            for number, message in enumerate(object_list(dialogue, "messages", path, None,
                                                         f"dialogue {dialogue_id}")):
                where = f"dialogue {dialogue_id} message {number}"
                text = need(message, "content", path, None, str, where)
                role = need(message, "role", path, None, str, where)
                spans: list[Span] = []
                unmatched: list[list[str]] = []
                gold: list[str] = []
                seen: set[tuple[str, str]] = set()
                for act in need(message, "dialog_act", path, None, list, where):
                    if not (isinstance(act, list) and len(act) == 4):
                        raise DataFormatError(path, None, f"{where}: dialogue act should be "
                                              f"[act, domain, slot, value], got {act!r}")
                    kind, domain, slot, value = act
                    if role == "usr":
                        # General acts keep their meaning (greet, thank, bye) in the domain field.
                        tag = f"act:{domain if kind == 'General' else kind}"
                        gold.append(acts.word(tag, path, None))
                    if kind == "General" or not _crosswoz_value_is_span(slot, value):
                        continue
                    label = slots.word(f"{domain}+{slot}", path, None)
                    if (label, value) in seen:
                        continue
                    seen.add((label, value))
                    taken = taken_by(spans, label)
                    start = find_value(text, value, taken)
                    if start is None:
                        unmatched.append([label, value])
                    else:
                        spans.append(Span(label, value, start, start + len(value)))
                meta: dict[str, Any] = {"source": f"{name}#{dialogue_id}/{number}", "role": role}
                yield extract(spec, split, text, list(slots.words), spans,
                              meta | {"task": "slots", "unmatched_values": unmatched})
                if role == "usr" and gold:
                    yield classify(spec, split, text, list(acts.words), list(dict.fromkeys(gold)),
                                   meta | {"task": "acts"}, multi_label=True)
