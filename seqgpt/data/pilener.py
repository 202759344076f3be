"""Open-type NER as (passage, label) questions (Pile-NER-type via SLIMER) -> one extract
instance per passage, and the label definitions that come with it.

``pairs.jsonl``: JSON Lines ``{"doc_question_pairID": "<doc>:<n>", "tagName", "input" (the
passage), "instruction", "output" (a JSON list of surface strings; "[]" = none)}``. The pairs
of one passage become one instance: the labels are every tagName asked of it (already user
words: "biological entity", "court"), the spans every whole-word occurrence of every answer
string (``spans.occurrences``; "US" is not found in "USB"). An empty answer list is a genuine
negative: the label stays in the instance with no span. Answer strings that do not occur are
skipped and counted. Passages are long (up to about 2,000 characters); the trainer windows
them. ``meta["id"]`` is the passage's document id, so a hash split keeps its pairs together.

``definitions.json``: ``{label: {"gpt_answer": "{\\"Definition\\": ..., \\"Guidelines\\":
...}", ...}}``; :func:`definitions` gives the first sentence of each definition, for use as
a label paraphrase. About a fifth of the ``gpt_answer`` strings are cut off in the source
(invalid JSON), but always after the definition, so the definition is read as the first
JSON string after its key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqgpt import prompt
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.readkit import json_lines, load_json, need, report_skips
from seqgpt.data.registry import DatasetSpec
from seqgpt.data.spans import extract, occurrences
from seqgpt.types import SeqGPTError, Span

_DEFINITION_KEY = re.compile(r'"Definition"\s*:\s*')
# A sentence ends at a full stop before a capital letter or the end; "e.g.," or "i.e. the"
# do not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s+[A-Z\"'(]|\s*$)")


@dataclass
class _Passage:
    doc: str
    line: int
    answers: dict[str, list[str]] = field(default_factory=dict)  # label -> answer strings
    pairs: list[str] = field(default_factory=list)


def read_pilener(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    for name in spec.files[split]:
        path = root / name
        counts = {"answer strings not in the passage": 0}
        for text, passage in _passages(path).items():
            spans = []
            for label, answers in passage.answers.items():
                for answer in answers:
                    found = occurrences(text, answer, whole_words=True)
                    counts["answer strings not in the passage"] += not found
                    spans += [Span(label, answer, s, s + len(answer)) for s in found]
            meta = {"id": passage.doc, "source": f"{name}:{passage.line}", "pairs": passage.pairs}
            yield extract(spec, split, text, list(passage.answers), spans, meta)
        report_skips(spec, split, path, counts)


def _passages(path: Path) -> dict[str, _Passage]:
    """The pairs grouped by passage text, in file order."""
    passages: dict[str, _Passage] = {}
    for line_no, record in json_lines(path):
        pair = need(record, "doc_question_pairID", path, line_no)
        text = need(record, "input", path, line_no)
        if not text.strip():
            raise DataFormatError(path, line_no, "empty passage")
        label = _label(need(record, "tagName", path, line_no), path, line_no)
        passage = passages.setdefault(text, _Passage(pair.partition(":")[0], line_no))
        passage.pairs.append(pair)
        answers = passage.answers.setdefault(label, [])
        for answer in _answers(need(record, "output", path, line_no), path, line_no):
            if answer not in answers:
                answers.append(answer)
    return passages


def _label(tag: str, path: Path, line: int) -> str:
    try:
        return prompt.check_labels([tag])[0]
    except SeqGPTError as err:
        raise DataFormatError(path, line, f"tagName: {err}") from None


def _answers(output: str, path: Path, line: int) -> list[str]:
    """The answer strings of one pair, stripped; blank ones carry nothing and are dropped."""
    try:
        answers: Any = json.loads(output)
    except json.JSONDecodeError as err:
        raise DataFormatError(path, line, f"output is not a JSON list ({err.msg})") from None
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise DataFormatError(path, line, f"output should be a JSON list of strings, got "
                                          f"{output!r}"[:200])
    return [a.strip() for a in answers if a.strip()]


def definitions(spec: DatasetSpec, root: Path) -> dict[str, list[str]]:
    """Label -> [the first sentence of its definition], from ``options["definitions"]``."""
    path = root / str(spec.options["definitions"])
    data = load_json(path)
    if not isinstance(data, dict):
        raise DataFormatError(path, None, "expected a JSON object of label -> definition")
    out: dict[str, list[str]] = {}
    for label, entry in data.items():
        answer = entry.get("gpt_answer") if isinstance(entry, dict) else None
        if not isinstance(answer, str):
            raise DataFormatError(path, None, f"{label!r}: expected an object with gpt_answer")
        sentence = first_sentence(_definition(answer, path, label))
        if sentence:
            out[label] = [sentence]
    return out


def _definition(answer: str, path: Path, label: str) -> str:
    match = _DEFINITION_KEY.search(answer)
    if match is None:
        raise DataFormatError(path, None, f"{label!r}: gpt_answer has no Definition")
    try:
        value, _ = json.JSONDecoder().raw_decode(answer, match.end())
    except json.JSONDecodeError:
        raise DataFormatError(path, None, f"{label!r}: the Definition is not a complete JSON "
                                          "string") from None
    if not isinstance(value, str):
        raise DataFormatError(path, None, f"{label!r}: the Definition is not a string")
    return value


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (all of it when no sentence end is found)."""
    text = " ".join(text.split())
    cut = _SENTENCE_END.search(text)
    return (text[:cut.start()] if cut else text).strip()
