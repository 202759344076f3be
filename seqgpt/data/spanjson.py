"""JSON files that carry character spans -> extract (and intent classify) instances.

- ``read_cluener``: JSON Lines ``{"text", "label": {type: {mention: [[start, end_inclusive]]}}}``
  (CLUENER 2020); every mention must equal its offsets.
- ``read_polyai``: a JSON list of ``{"userInput": {"text"}, "labels": [{"slot", "valueSpan":
  {"startIndex", "endIndex"}}], "context": {"requestedSlots"}}`` (PolyAI restaurant8k and
  DSTC8 span extraction); a missing ``startIndex`` means 0, as in the source. The slots the
  system had just asked for go to ``meta["requested_slots"]``.
- ``read_nlupp``: a JSON list of ``{"text", "intents": [...], "slots": {name: {"text", "span"}}}``
  (NLU++): one extract instance (slots) per utterance and, when it has intents, one multi-label
  classify instance over the domain's intents (an utterance without intents gets no classify
  instance: "no intent" is not one of the labels).

JSON lists have no useful line numbers, so errors name the record index instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet, classify, json_lines, load_json, need
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import expect_mention, extract, make_span, object_list


def read_cluener(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    labels = LabelSet(spec)
    for name in spec.files[split]:
        path = root / name
        for line, record in json_lines(path):
            text = need(record, "text", path, line)
            entities = need(record, "label", path, line, dict) if "label" in record else {}
            spans = []
            for kind, mentions in entities.items():
                label = labels.word(kind, path, line)
                if not isinstance(mentions, dict):
                    raise DataFormatError(path, line, f"label {kind!r} should map mentions to "
                                          f"offset lists, got {mentions!r}")
                for mention, places in mentions.items():
                    for place in places:
                        if not (isinstance(place, list) and len(place) == 2):
                            raise DataFormatError(path, line, f"{mention!r}: expected "
                                                  f"[start, end_inclusive], got {place!r}")
                        span = make_span(text, label, place[0], place[1] + 1, path, line)
                        expect_mention(span, mention, path, line)
                        spans.append(span)
            yield extract(spec, split, text, list(labels.words), spans,
                          {"source": f"{name}:{line}"})


def _records(path: Path) -> list[Any]:
    records = load_json(path)
    if not isinstance(records, list):
        raise DataFormatError(path, 1, "expected a JSON list of examples")
    return records


def read_polyai(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    labels = LabelSet(spec)
    for name in spec.files[split]:
        path = root / name
        for i, record in enumerate(_records(path)):
            where = f"record {i}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            text = need(need(record, "userInput", path, None, dict, where), "text", path, None,
                        str, where)
            spans = []
            for item in object_list(record, "labels", path, None, where, optional=True):
                label = labels.word(need(item, "slot", path, None, str, where), path, None)
                value = need(item, "valueSpan", path, None, dict, where)
                start = value.get("startIndex", 0)
                spans.append(make_span(text, label, start, need(value, "endIndex", path, None,
                                                                int, where), path, None, where))
            requested = record.get("context", {}).get("requestedSlots", [])
            yield extract(spec, split, text, list(labels.words), spans,
                          {"source": f"{name}#{i}", "requested_slots": requested})


def read_nlupp(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent")
    for name in spec.files[split]:
        path = root / name
        for i, record in enumerate(_records(path)):
            where = f"record {i}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            text = need(record, "text", path, None, str, where)
            spans = []
            for slot, value in (need(record, "slots", path, None, dict, where)
                                if "slots" in record else {}).items():
                label = slots.word(slot, path, None)
                place = need(value, "span", path, None, list, where)
                if len(place) != 2:
                    raise DataFormatError(path, None, f"{where}: slot {slot!r} span should be "
                                          f"[start, end), got {place!r}")
                span = make_span(text, label, place[0], place[1], path, None, where)
                expect_mention(span, need(value, "text", path, None, str, where), path, None,
                               where)
                spans.append(span)
            meta = {"source": f"{name}#{i}"}
            yield extract(spec, split, text, list(slots.words), spans, meta | {"task": "slots"})
            gold = [intents.word(f"intent:{tag}", path, None)
                    for tag in need(record, "intents", path, None, list, where)] \
                if "intents" in record else []
            if gold:
                yield classify(spec, split, text, list(intents.words), gold,
                               meta | {"task": "intent"}, multi_label=True)
