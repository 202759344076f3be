"""DuIE 2.0: sentences with SPO triples whose entities are strings (no offsets) -> an extract
instance per sentence and classify instances for its pairs (see ``relkit``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.relkit import Mention, Sentences
from seqgpt.data.spans import occurrences


def read_duie(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """DuIE 2.0 JSON Lines ``{"text", "spo_list": [{"subject", "subject_type", "predicate",
    "object": {"@value", ...}, "object_type": {"@value", ...}}]}``. Entities are strings: every
    occurrence in the text becomes a mention of its type (an entity string that does not occur
    is skipped and logged); one classify instance per (subject, object ``@value``) pair at their
    first occurrences, the extra object slots (``inWork``, ``onDate`` ...) in meta. Only
    relation arguments are typed, so a catalogue entry sets ``partial_entities``."""
    sentences = Sentences(spec, split)
    assert sentences.entities is not None
    for path in readkit.split_paths(spec, root, split):
        missing = 0
        for line_no, record in readkit.json_lines(path):
            text = readkit.need(record, "text", path, line_no)
            typed, gold, slots = _spo_facts(record, sentences, path, line_no)
            mentions: list[Mention] = []
            first: dict[str, Mention] = {}
            for entity, label in typed:
                found = occurrences(text, entity)
                missing += not found
                mentions.extend(Mention(entity, s, s + len(entity), label) for s in found)
                if found:
                    first.setdefault(entity, Mention(entity, found[0], found[0] + len(entity)))
            meta = {"line": line_no}
            yield sentences.extract(text, mentions, meta)
            ends = list(first.values())
            index = {m.text: i for i, m in enumerate(ends)}
            located = [pair for pair in gold if pair[0] in index and pair[1] in index]
            yield from sentences.pairs(
                text, ends, {(index[h], index[t]): gold[h, t] for h, t in located}, line_no, meta,
                {(index[h], index[t]): slots[h, t] for h, t in located if (h, t) in slots})
        readkit.report_skips(spec, split, path, {"entity strings not in the text": missing})


def _spo_facts(record: dict[str, Any], sentences: Sentences, path: Path, line: int,
               ) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[str]],
                          dict[tuple[str, str], dict[str, str]]]:
    """(entity string, type word) pairs, relations per (subject, object), extra object slots."""
    assert sentences.entities is not None
    typed: dict[tuple[str, str], None] = {}
    gold: dict[tuple[str, str], list[str]] = {}
    slots: dict[tuple[str, str], dict[str, str]] = {}
    for spo in readkit.need(record, "spo_list", path, line, list):
        if not isinstance(spo, dict):
            raise DataFormatError(path, line, "spo_list items should be objects")
        subject = readkit.need(spo, "subject", path, line)
        objects = readkit.need(spo, "object", path, line, dict)
        object_types = readkit.need(spo, "object_type", path, line, dict)
        if "@value" not in objects or set(objects) != set(object_types):
            raise DataFormatError(path, line, "object and object_type should have the same "
                                              "slots, '@value' among them")
        subject_type = readkit.need(spo, "subject_type", path, line)
        typed[subject, sentences.entities.word(subject_type, path, line)] = None
        for slot, value in objects.items():
            typed[str(value), sentences.entities.word(str(object_types[slot]), path, line)] = None
        pair = (subject, str(objects["@value"]))
        relation = readkit.need(spo, "predicate", path, line)
        gold.setdefault(pair, []).append(sentences.relations.word(relation, path, line))
        extra = {slot: str(value) for slot, value in objects.items() if slot != "@value"}
        if extra:
            slots.setdefault(pair, {}).update(extra)
    return list(typed), gold, slots
