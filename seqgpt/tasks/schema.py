"""JSON out of text for users who think in JSON: ``extract_json(text, schema)`` returns data
that always validates against :func:`json_schema` of the same schema.

A schema maps each key to what it holds:

- ``"string"``: one value, the best span for the key (``null`` when there is none);
- ``"array"``: every distinct span for the key, in text order (``[]`` when there is none);
- a list of field names, or a mapping ``{field: "string" | "array"}``: a list of objects, one
  per mention of the key in the text (``[]`` when there is none), each with every field
  (``null`` / ``[]`` when missing, by the two rules above; a list of names means all
  ``"string"``).

Every key and field is in the result, nothing else is. The model sees a key as a label with
underscores as spaces (``birth_date`` -> ``birth date``). Objects are found as events are
(:mod:`seqgpt.tasks.events`): the mentions of the key are extracted from the text, then each
object's fields from ``compose.event_text(text, key, mention)``; a field whose value is the
mention itself points at the mention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seqgpt.data import compose
from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.types import Span

if TYPE_CHECKING:
    from seqgpt.api import Model

KINDS = ("string", "array")


@dataclass(frozen=True)
class _Key:
    name: str  # as in the schema and the result
    label: str  # as the model sees it
    kind: str  # "string", "array" or "object"
    fields: tuple[_Key, ...] = ()


@dataclass
class JSONExtraction:
    """``data``: the JSON value (valid against ``json_schema(schema)``); ``spans``: where each
    value was found, labelled with its path in ``data`` (``person[0].name``)."""

    text: str
    data: dict[str, Any]
    spans: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "data": self.data, "spans": [s.to_dict() for s in self.spans]}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every ``extract_json(..., schema).data`` validates
    against."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **_object_schema(_parse(schema))}


def extract_json(model: Model, text: str | list[str], schema: Mapping[str, Any],
                 **options: Any) -> JSONExtraction | list[JSONExtraction]:
    """Fill ``schema`` from ``text`` (see the module docstring). One extraction call for the
    top-level keys of every text, then one per object key over all its mentions."""
    batch, single = common.texts(text)
    keys = _parse(schema)
    labels = [k.label for k in keys]
    found = model.extract(batch, labels, **options)
    results: list[JSONExtraction] = []
    # Per object key: composed text -> (sentence length, mention, the objects it fills as
    # (result, index, object)); identical texts share one composed text.
    pending: dict[str, dict[str, tuple[int, Span, list[tuple[int, int, dict]]]]] = {}
    for text_i, extraction in zip(batch, found, strict=True):
        by_label = extraction.by_label()
        result = JSONExtraction(text_i, {})
        for key in keys:
            spans = by_label.get(key.label, [])
            if key.kind != "object":
                _fill(result, result.data, key, spans, key.name)
                continue
            objects: list[dict[str, Any]] = []
            result.data[key.name] = objects
            for n, mention in enumerate(_distinct(spans)):
                target: dict[str, Any] = {f.name: None if f.kind == "string" else []
                                          for f in key.fields}
                objects.append(target)
                composed = compose.event_text(text_i, key.label, mention.text)
                waiting = pending.setdefault(key.name, {})
                waiting.setdefault(composed, (len(text_i), mention, []))[2].append(
                    (len(results), n, target))
                result.spans.append(_at(mention, f"{key.name}[{n}]"))
        results.append(result)
    by_name = {k.name: k for k in keys}
    for name, waiting in pending.items():
        key = by_name[name]
        answers = model.extract(list(waiting), [f.label for f in key.fields], **options)
        for (composed, (length, mention, targets)), answer in zip(waiting.items(), answers,
                                                                 strict=True):
            grouped: dict[str, list[Span]] = {}
            for span in answer.spans:
                located = _in_sentence(span, composed, length, mention)
                if located is not None:
                    grouped.setdefault(span.label, []).append(located)
            for r, n, target in targets:
                for f in key.fields:
                    _fill(results[r], target, f, grouped.get(f.label, []), f"{name}[{n}].{f.name}")
    return results[0] if single else results


def _fill(result: JSONExtraction, target: dict[str, Any], key: _Key, spans: list[Span],
          path: str) -> None:
    if key.kind == "string":
        top = common.best(spans)
        target[key.name] = None if top is None else top.text
        if top is not None:
            result.spans.append(_at(top, path))
        return
    values = _distinct(spans)
    target[key.name] = [s.text for s in values]
    result.spans.extend(_at(s, f"{path}[{i}]") for i, s in enumerate(values))


def _distinct(spans: list[Span]) -> list[Span]:
    """One span per distinct string (its best occurrence), in text order."""
    chosen: dict[str, Span] = {}
    for span in spans:
        if span.text not in chosen or common.best([span, chosen[span.text]]) is span:
            chosen[span.text] = span
    return sorted(chosen.values(), key=lambda s: (s.start or 0, s.end or 0))


def _in_sentence(span: Span, composed: str, length: int, mention: Span) -> Span | None:
    """A span of the composed text in the sentence's offsets (its first ``length``
    characters): itself when inside the sentence, the mention when it is the mention in the
    appended line, else ``None``."""
    if common.in_text(span, length):
        return span
    if span.start == len(composed) - len(mention.text) and span.end == len(composed):
        return Span(span.label, mention.text, mention.start, mention.end, span.score)
    return None


def _at(span: Span, path: str) -> Span:
    return Span(path, span.text, span.start, span.end, span.score)


def _parse(schema: object) -> list[_Key]:
    if not isinstance(schema, Mapping) or not schema:
        raise TaskInputError("schema must be a non-empty mapping {key: 'string' | 'array' | "
                             "[fields] | {field: 'string' | 'array'}}")
    keys = []
    for name, spec in schema.items():
        where = f"schema[{name!r}]"
        if isinstance(spec, str):
            keys.append(_key(name, _kind(spec, where), where))
            continue
        if isinstance(spec, Mapping):
            items = list(spec.items())
        elif isinstance(spec, (list, tuple)):
            items = [(f, "string") for f in spec]
        else:
            raise TaskInputError(f"{where} must be 'string', 'array', a list of field names or "
                                 f"a mapping of field -> 'string' | 'array', got {spec!r}")
        if not items:
            raise TaskInputError(f"{where} has no fields; give at least one")
        fields = tuple(_key(f, _kind(kind, f"{where}[{f!r}]"), f"{where}[{f!r}]")
                       for f, kind in items)
        _distinct_labels(fields, where)
        keys.append(_key(name, "object", where, fields))
    _distinct_labels(keys, "schema")
    return keys


def _key(name: object, kind: str, where: str, fields: tuple[_Key, ...] = ()) -> _Key:
    if not isinstance(name, str) or not name.strip():
        raise TaskInputError(f"{where}: keys and fields must be non-empty strings, got {name!r}")
    label = " ".join(name.replace("_", " ").split())
    common.names([label], where)
    return _Key(name, label, kind, fields)


def _kind(kind: object, where: str) -> str:
    if kind not in KINDS:
        raise TaskInputError(f"{where}: unknown type {kind!r}; expected 'string' (one value or "
                             "null) or 'array' (a list of values)")
    return str(kind)


def _distinct_labels(keys: tuple[_Key, ...] | list[_Key], where: str) -> None:
    seen: dict[str, str] = {}
    for key in keys:
        if key.label in seen:
            raise TaskInputError(f"{where}: {key.name!r} and {seen[key.label]!r} are the same "
                                 f"label to the model ({key.label!r}); rename one")
        seen[key.label] = key.name


def _object_schema(keys: list[_Key] | tuple[_Key, ...]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": [k.name for k in keys],
            "properties": {k.name: _value_schema(k) for k in keys}}


def _value_schema(key: _Key) -> dict[str, Any]:
    if key.kind == "string":
        return {"type": ["string", "null"]}
    if key.kind == "array":
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "array", "items": _object_schema(key.fields)}
