"""Slot-filling + intent files -> an extract instance (slots) and a classify instance (intent)
per utterance. ``meta["task"]`` says which (``slots``, ``intent``, ``domain``).

- ``read_sz128``: one utterance per line, ``tok:TAG tok:TAG ... <=> INTENT`` (the
  sz128/slot_filling_and_intent_detection_of_SLU layout of SNIPS, ATIS, Facebook TOD, ECSA);
  each token splits at its *last* colon; BIO tags; several intents are joined by ``;`` (ATIS,
  set ``multi_intent`` so their classify instances are multi-label). A token that is empty
  (``:O`` — SNIPS has a dozen double spaces, one inside a slot) carries no text and is dropped;
  an empty token that begins a slot is a format error. ``<NULL>`` (ECSA) means the dataset
  has no intents.
- ``read_hwu64``: the NLU-Evaluation-Data CSV (``;``-separated, header
  ``answerid;scenario;intent;answer_annotation;...``) with inline ``[type : value]`` slots; the
  intent is ``scenario_intent``. The annotation with its markup removed must equal the
  ``answer_from_anno`` column, which is the text.
- ``read_smp2019``: a JSON list of ``{"text", "domain", "intent", "slots": {name: value}}``
  (SMP2019-ECDT task 1). Slot values are strings and are located in the text (first
  occurrence not used by another value of the same slot; slots may nest); a value that is not
  in the text is a format error. Two classify instances per utterance: the domain and the intent.
- ``read_slurp``: SLURP JSON Lines ``{"slurp_id", "sentence", "tokens": [{"surface"}],
  "entities": [{"type", "span": [token ids]}], "scenario", "action", "intent", ...}``. The
  text is the sentence, the tokens found in it in order (ignoring case: a few tokens are
  capitalised where the sentence is not); where they are not (about 0.3 %: the sentence
  transcript was corrected after annotation, "hwood" vs "hollywood", "tesco" vs "pasta") the
  entities belong to the tokens, so the text is the tokens joined as a user writes them. The
  intent is ``scenario_action``: the ``intent`` field holds only the action in about 1 % of
  records ("query" for weather_query), a known slip of the release.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import (
    LabelSet,
    classify,
    csv_rows,
    json_lines,
    load_json,
    log,
    need,
    numbered_lines,
    report_skips,
)
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import (
    decode_tags,
    extract,
    find_value,
    join_tokens,
    object_list,
    taken_by,
)
from seqgpt.types import Span

NO_INTENT = "<NULL>"
_SLOT_MARKUP = re.compile(r"\[\s*([^\[\]:]+?)\s*:\s*([^\[\]]*?)\s*\]")
_HWU_HEADER = ["answerid", "scenario", "intent", "answer_annotation", "answer_from_anno",
               "answer_from_user"]


def _has_intents(spec: DatasetSpec) -> bool:
    facets = spec.options.get("facets")
    return isinstance(facets, dict) and "intent" in facets


def read_sz128(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent") if _has_intents(spec) else None
    multi = bool(spec.options.get("multi_intent", False))
    for name in spec.files[split]:
        path = root / name
        for line_no, line in numbered_lines(path):
            utterance, sep, intent = line.rpartition(" <=> ")
            if not sep or not utterance.strip() or not intent:
                raise DataFormatError(path, line_no, "expected 'tok:TAG tok:TAG ... <=> INTENT'")
            tokens: list[str] = []
            tags: list[str] = []
            for item in utterance.split(" "):
                token, colon, tag = item.rpartition(":")
                if not colon or not tag:
                    raise DataFormatError(path, line_no, f"token {item!r}: expected token:TAG")
                if not token:
                    if tag.startswith("B-"):
                        raise DataFormatError(path, line_no, f"empty token tagged {tag!r}")
                    continue
                tokens.append(token)
                tags.append(tag)
            text, starts = join_tokens(tokens, spec.language)
            spans = []
            for kind, first, end in decode_tags(tags, "bio", "-", path, [line_no] * len(tags)):
                start, stop = starts[first], starts[end - 1] + len(tokens[end - 1])
                spans.append(Span(slots.word(kind, path, line_no), text[start:stop], start, stop))
            meta = {"source": f"{name}:{line_no}"}
            yield extract(spec, split, text, list(slots.words), spans, meta | {"task": "slots"})
            if intents is None:
                if intent != NO_INTENT:
                    raise DataFormatError(path, line_no, f"intent {intent!r}: {spec.name} has "
                                          f"no intent table, expected {NO_INTENT}")
                continue
            gold = [intents.word(f"intent:{tag}", path, line_no) for tag in intent.split(";")]
            yield classify(spec, split, text, list(intents.words), list(dict.fromkeys(gold)),
                           meta | {"task": "intent"}, multi_label=multi)


def parse_markup(annotation: str) -> tuple[str, list[tuple[str, int, int]]]:
    """Text and ``(type, start, end)`` slots of an inline ``[type : value]`` annotation."""
    parts: list[str] = []
    slots: list[tuple[str, int, int]] = []
    length = 0
    last = 0
    for match in _SLOT_MARKUP.finditer(annotation):
        before = annotation[last:match.start()]
        parts.append(before)
        length += len(before)
        value = match.group(2)
        if value:
            slots.append((match.group(1), length, length + len(value)))
        parts.append(value)
        length += len(value)
        last = match.end()
    parts.append(annotation[last:])
    return "".join(parts), slots


def read_hwu64(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent")
    for name in spec.files[split]:
        path = root / name
        for line_no, row in csv_rows(path, delimiter=";"):
            if line_no == 1:
                if row != _HWU_HEADER:
                    raise DataFormatError(path, 1, f"expected the header {';'.join(_HWU_HEADER)}")
                continue
            if len(row) != len(_HWU_HEADER):
                raise DataFormatError(path, line_no, f"expected {len(_HWU_HEADER)} ';'-separated "
                                      f"fields, got {len(row)}")
            text, found = parse_markup(row[3])
            if text != row[4] or "[" in text or "]" in text:
                raise DataFormatError(path, line_no, "answer_annotation without its [type : value]"
                                      f" markup should equal answer_from_anno; got {text!r}")
            if not text.strip():
                raise DataFormatError(path, line_no, "empty utterance")
            spans = [Span(slots.word(kind, path, line_no), text[a:b], a, b) for kind, a, b in found]
            meta = {"source": f"{name}:{line_no}", "answer_id": row[0]}
            yield extract(spec, split, text, list(slots.words), spans, meta | {"task": "slots"})
            gold = intents.word(f"intent:{row[1]}_{row[2]}", path, line_no)
            yield classify(spec, split, text, list(intents.words), [gold],
                           meta | {"task": "intent"})


def read_smp2019(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    domains = LabelSet(spec, "domain")
    intents = LabelSet(spec, "intent")
    for name in spec.files[split]:
        path = root / name
        records = load_json(path)
        if not isinstance(records, list):
            raise DataFormatError(path, 1, "expected a JSON list of utterances")
        for i, record in enumerate(records):
            where = f"record {i}"
            if not isinstance(record, dict):
                raise DataFormatError(path, None, f"{where}: expected an object")
            text = need(record, "text", path, None, str, where)
            spans: list[Span] = []
            for slot, value in need(record, "slots", path, None, dict, where).items():
                label = slots.word(slot, path, None)
                if not isinstance(value, str) or not value.strip():
                    raise DataFormatError(path, None, f"{where}: slot {slot!r} should be a "
                                          f"non-empty string, got {value!r}")
                # Slots may nest ("佛山" in "佛山大良汽车站"); values are verbatim by construction,
                # so a value cut out of a number ("2月18号" in "12月18号") is taken as written.
                taken = taken_by(spans, label)
                start = find_value(text, value, taken)
                if start is None:
                    start = find_value(text, value, taken, whole_numbers=False)
                if start is None:
                    raise DataFormatError(path, None, f"{where}: slot {slot!r} value {value!r} "
                                          f"is not in the text {text!r}")
                spans.append(Span(label, value, start, start + len(value)))
            meta = {"source": f"{name}#{i}"}
            yield extract(spec, split, text, list(slots.words), spans, meta | {"task": "slots"})
            domain = domains.word(f"domain:{need(record, 'domain', path, None, str, where)}",
                                  path, None)
            yield classify(spec, split, text, list(domains.words), [domain],
                           meta | {"task": "domain"})
            intent = intents.word(f"intent:{need(record, 'intent', path, None, str, where)}",
                                  path, None)
            yield classify(spec, split, text, list(intents.words), [intent],
                           meta | {"task": "intent"})


def read_slurp(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    slots = LabelSet(spec, "slot")
    intents = LabelSet(spec, "intent")
    for name in spec.files[split]:
        path = root / name
        rebuilt = 0
        counts = {"intents that contradict their scenario and action (no intent instance)": 0}
        for line_no, record in json_lines(path):
            tokens = [need(token, "surface", path, line_no)
                      for token in object_list(record, "tokens", path, line_no)]
            sentence = need(record, "sentence", path, line_no)
            starts = _align(sentence, tokens)
            text = sentence
            if starts is None:
                rebuilt += 1
                text, starts = join_tokens(tokens, spec.language)
            spans = [_slurp_span(entity, text, tokens, starts, slots, path, line_no)
                     for entity in object_list(record, "entities", path, line_no)]
            meta = {"source": f"{name}:{line_no}", "id": record.get("slurp_id")}
            yield extract(spec, split, text, list(slots.words), spans, meta | {"task": "slots"})
            intent = _slurp_intent(record, path, line_no)
            if intent is None:
                counts["intents that contradict their scenario and action (no intent "
                       "instance)"] += 1
                continue
            gold = intents.word(f"intent:{intent}", path, line_no)
            yield classify(spec, split, text, list(intents.words), [gold],
                           meta | {"task": "intent"})
        report_skips(spec, split, path, counts)
        if rebuilt:
            log.info("%s/%s: %d sentence(s) of %s differ from their tokens; their text is the "
                     "tokens joined", spec.name, split, rebuilt, path)


def _align(sentence: str, tokens: list[str]) -> list[int] | None:
    """Start of every token in the sentence, taken in order, case ignored; ``None`` when the
    tokens do not spell the sentence (only white space may lie between them)."""
    starts: list[int] = []
    at = 0
    for token in tokens:
        while at < len(sentence) and sentence[at].isspace():
            at += 1
        if not token or sentence[at:at + len(token)].lower() != token.lower():
            return None
        starts.append(at)
        at += len(token)
    return starts if not sentence[at:].strip() else None


def _slurp_span(entity: dict[str, object], text: str, tokens: list[str], starts: list[int],
                slots: LabelSet, path: Path, line: int) -> Span:
    ids = need(entity, "span", path, line, list)
    if not ids or not all(isinstance(i, int) and 0 <= i < len(tokens) for i in ids) \
            or ids != list(range(ids[0], ids[0] + len(ids))):
        raise DataFormatError(path, line, f"entity span {ids} should be consecutive token ids")
    label = slots.word(need(entity, "type", path, line), path, line)
    start, end = starts[ids[0]], starts[ids[-1]] + len(tokens[ids[-1]])
    return Span(label, text[start:end], start, end)


def _slurp_intent(record: dict[str, object], path: Path, line: int) -> str | None:
    """``scenario_action``, or ``None`` when the intent field names another intent (one test
    record: a weather question labelled both email_sendemail and email_query)."""
    scenario = need(record, "scenario", path, line)
    action = need(record, "action", path, line)
    intent = need(record, "intent", path, line)
    full = f"{scenario}_{action}"
    return full if intent in (full, action) else None
