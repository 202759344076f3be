"""Event extraction files -> trigger and argument extract instances.

Every sentence gives (1) one *trigger* instance: labels = the event types, spans = the trigger
words, each labelled with its event type; and (2) per event one *argument* instance whose text
is ``compose.event_text(sentence, type words, trigger)`` and whose labels are that event type's
roles; the sentence comes first in the composed text, so argument offsets are unchanged.
``meta["task"]`` is ``trigger`` or ``arguments``.

The label table keys event types by their raw name and roles as ``"<type>:<role>"``; the
trigger label set comes from ``options["facets"]``: facet ``type``, or one facet per split when
the splits annotate different event types (FewFC's base / transfer files: a sentence of the
base file may mention an acquisition that only the transfer files annotate, so offering all ten
types would teach false "None" answers).

- ``read_fewfc``: JSON Lines ``{"id", "content", "events": [{"type", "mentions": [{"word",
  "span": [start, end), "role"}]}]}``; the mention whose role is ``trigger`` is the trigger.
- ``read_phee``: JSON Lines ``{"id", "context", "annotations": [{"events": [{"event_type",
  "Trigger", "Subject", "Treatment", "Effect", ...}]}]}``. An argument is ``{"text": [[frag,
  ...], ...], "start": [[offset, ...], ...]}`` (mentions made of fragments; every fragment
  becomes a span). Roles: the main arguments Subject, Treatment, Effect and their nested
  sub-arguments (Subject: Age, Gender, Race, Population, Disorder; Treatment: Drug, Dosage,
  Route, Freq, Duration, Time_elapsed, Disorder), named ``Main.Sub`` in the table. The
  attributes Severity, Speculated and Negated go to ``meta`` (their values, e.g. High / True);
  Treatment's ``Combination`` sub-events (drug combinations, whose drugs are also Drug
  sub-arguments) are not used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data.compose import event_text
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import LabelSet, json_lines, need
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import expect_mention, extract, make_span, object_list
from seqgpt.types import Span

# One event of a sentence: its raw type, trigger span, argument spans and extra meta.
_Event = tuple[str, Span, list[Span], dict[str, Any]]

_PHEE_ARGUMENTS = ("Subject", "Treatment", "Effect")
_PHEE_ATTRIBUTES = ("Severity", "Speculated", "Negated")
_PHEE_KEYS = frozenset({"event_id", "event_type", "Trigger", *_PHEE_ARGUMENTS,
                        *_PHEE_ATTRIBUTES})


class _Roles:
    """Role words per event type, from the ``"<type>:<role>"`` keys of the label table."""

    def __init__(self, spec: DatasetSpec) -> None:
        self.spec = spec
        self.by_type: dict[str, dict[str, str]] = {}
        for key, word in spec.label_names.items():
            kind, sep, role = key.partition(":")
            if sep:
                self.by_type.setdefault(kind, {})[role] = word

    def labels(self, kind: str) -> list[str]:
        return list(dict.fromkeys(self.by_type.get(kind, {}).values()))

    def word(self, kind: str, role: str, path: Path, line: int | None) -> str:
        try:
            return self.by_type[kind][role]
        except KeyError:
            known = ", ".join(self.by_type.get(kind, {}))
            raise DataFormatError(path, line, f"unknown role {role!r} of event type {kind!r} in "
                                  f"{self.spec.name}; expected one of {known}") from None


def _trigger_labels(spec: DatasetSpec, split: str) -> LabelSet:
    facets = spec.options.get("facets")
    return LabelSet(spec, split if isinstance(facets, dict) and split in facets else "type")


def _emit(spec: DatasetSpec, split: str, text: str, types: LabelSet, roles: _Roles,
          events: list[_Event],
          meta: dict[str, Any]) -> Iterator[AtomicInstance]:
    yield extract(spec, split, text, list(types.words), [trigger for _, trigger, _, _ in events],
                  meta | {"task": "trigger"})
    for kind, trigger, arguments, extra in events:
        composed = event_text(text, trigger.label, trigger.text)
        yield extract(spec, split, composed, roles.labels(kind), arguments,
                      meta | extra | {"task": "arguments", "event_type": trigger.label,
                                      "trigger": [trigger.start, trigger.end]})


def read_fewfc(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    types = _trigger_labels(spec, split)
    roles = _Roles(spec)
    for name in spec.files[split]:
        path = root / name
        for line, record in json_lines(path):
            text = need(record, "content", path, line)
            events: list[_Event] = []
            for event in object_list(record, "events", path, line):
                kind = need(event, "type", path, line)
                type_word = types.word(kind, path, line)
                trigger = None
                arguments = []
                for mention in object_list(event, "mentions", path, line):
                    role = need(mention, "role", path, line)
                    place = need(mention, "span", path, line, list)
                    if len(place) != 2:
                        raise DataFormatError(path, line, f"span should be [start, end), got "
                                              f"{place!r}")
                    label = type_word if role == "trigger" else roles.word(kind, role, path, line)
                    span = make_span(text, label, place[0], place[1], path, line)
                    expect_mention(span, need(mention, "word", path, line), path, line)
                    if role != "trigger":
                        arguments.append(span)
                    elif trigger is None:
                        trigger = span
                    else:
                        raise DataFormatError(path, line, f"{kind} event has two triggers")
                if trigger is None:
                    raise DataFormatError(path, line, f"{kind} event has no trigger mention")
                events.append((kind, trigger, arguments, {}))
            yield from _emit(spec, split, text, types, roles, events,
                             {"source": f"{name}:{line}"})


def _phee_spans(text: str, label: str, argument: Any, path: Path, line: int,
                where: str) -> list[Span]:
    if not isinstance(argument, dict):
        raise DataFormatError(path, line, f"{where}: expected an object with text and start")
    mentions = need(argument, "text", path, line, list, where)
    starts = need(argument, "start", path, line, list, where)
    if len(mentions) != len(starts):
        raise DataFormatError(path, line, f"{where}: text and start lists differ in length")
    spans = []
    for fragments, offsets in zip(mentions, starts, strict=True):
        if not (isinstance(fragments, list) and isinstance(offsets, list)
                and len(fragments) == len(offsets)):
            raise DataFormatError(path, line, f"{where}: expected matching fragment lists, got "
                                  f"{fragments!r} / {offsets!r}")
        for fragment, start in zip(fragments, offsets, strict=True):
            if not isinstance(fragment, str) or not isinstance(start, int):
                raise DataFormatError(path, line, f"{where}: bad fragment {fragment!r}@{start!r}")
            span = make_span(text, label, start, start + len(fragment), path, line, where)
            expect_mention(span, fragment, path, line, where)
            spans.append(span)
    return spans


def read_phee(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    types = _trigger_labels(spec, split)
    roles = _Roles(spec)
    for name in spec.files[split]:
        path = root / name
        for line, record in json_lines(path):
            text = need(record, "context", path, line)
            events: list[_Event] = []
            for annotation in object_list(record, "annotations", path, line):
                for event in object_list(annotation, "events", path, line):
                    kind = need(event, "event_type", path, line)
                    type_word = types.word(kind, path, line)
                    unknown = set(event) - _PHEE_KEYS
                    if unknown:
                        raise DataFormatError(path, line, f"unexpected event fields "
                                              f"{sorted(unknown)}; expected {sorted(_PHEE_KEYS)}")
                    trigger_spans = _phee_spans(text, type_word, need(event, "Trigger", path,
                                                                      line, dict), path, line,
                                                "Trigger")
                    if len(trigger_spans) != 1:
                        raise DataFormatError(path, line, f"expected one contiguous trigger, got "
                                              f"{[s.text for s in trigger_spans]}")
                    arguments = []
                    for main in _PHEE_ARGUMENTS:
                        if main not in event:
                            continue
                        argument = event[main]
                        arguments += _phee_spans(text, roles.word(kind, main, path, line),
                                                 argument, path, line, main)
                        for sub, value in argument.items():
                            if isinstance(value, dict):  # a nested sub-argument
                                role = roles.word(kind, f"{main}.{sub}", path, line)
                                arguments += _phee_spans(text, role, value, path, line,
                                                         f"{main}.{sub}")
                    extra = {attribute.lower(): event[attribute].get("value", True)
                             for attribute in _PHEE_ATTRIBUTES
                             if isinstance(event.get(attribute), dict)}
                    events.append((kind, trigger_spans[0], arguments, extra))
            yield from _emit(spec, split, text, types, roles, events,
                             {"source": f"{name}:{line}"})
