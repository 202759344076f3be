"""The upstream SeqGPT prompt and answer format — the only place it lives.

Prompt (byte-identical to upstream's inference script)::

    输入: {text}\\n{抽取|分类}: {label1，label2}\\n输出: [GEN]

Extraction answer: one ``label: span1<TAB>span2`` line per label, ``label: None`` when empty.
Classification answer: the chosen labels, joined by ``，`` (we also accept ``,``, tab, newline).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from seqgpt import textcheck
from seqgpt.errors import InputError
from seqgpt.types import Span, use_answer_format

Task = Literal["extract", "classify"]

TASK_WORDS: dict[str, str] = {"extract": "抽取", "classify": "分类"}
GEN_TOKEN = "[GEN]"
LABEL_JOINER = "，"
SPAN_JOINER = "\t"
NO_ANSWER = "None"
#: Upstream splits extraction label sets into chunks of at most this many labels.
LABELS_PER_CHUNK = 6

_TEMPLATE = "输入: {}\n{}: {}\n输出: {}"
_FORBIDDEN_IN_LABEL = (",", "，", "\n", "\r", "\t")


def check_task(task: str) -> Task:
    if task not in TASK_WORDS:
        raise InputError(f"task must be 'extract' or 'classify', got {task!r}")
    return task  # type: ignore[return-value]


def check_text(text: object, field_name: str = "text") -> str:
    if not isinstance(text, str):
        raise InputError(f"{field_name} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{field_name} is empty; give a non-empty string")
    textcheck.check(text, field_name)
    return text


def check_labels(labels: object) -> list[str]:
    """Validate a label set: a non-empty list of distinct, non-empty strings without separators.

    A single string is accepted and split on ``,`` and ``，`` (as upstream's label field is).
    """
    if isinstance(labels, str):
        labels = split_labels(labels)
    if not isinstance(labels, Sequence) or isinstance(labels, bytes):
        raise InputError(f"labels must be a list of strings, got {type(labels).__name__}")
    clean: list[str] = []
    for i, label in enumerate(labels):
        if not isinstance(label, str):
            raise InputError(f"labels[{i}] must be a string, got {type(label).__name__}")
        label = label.strip()
        if not label:
            raise InputError(f"labels[{i}] is empty; every label needs a name")
        textcheck.check(label, f"labels[{i}]")
        bad = [c for c in _FORBIDDEN_IN_LABEL if c in label]
        if bad:
            raise InputError(f"labels[{i}] {label!r} contains {bad[0]!r}, which the answer "
                             "format uses as a separator; remove it "
                             "(seqgpt.prompt.sanitize_label can)")
        if label in clean:
            raise InputError(f"labels[{i}] {label!r} is a duplicate; give each label once")
        clean.append(label)
    if not clean:
        raise InputError("labels is empty; give at least one label")
    return clean


def split_labels(labels: str) -> list[str]:
    """Split a user-typed label string on ASCII and full-width commas."""
    return [part.strip() for part in re.split(r"[,，]", labels) if part.strip()]


def sanitize_label(label: str) -> str:
    """Make free text (e.g. a reading-comprehension question) usable as a label."""
    label = label.replace("，", "；").replace(",", ";")
    return " ".join(label.split())


def is_question(label: str) -> bool:
    """Whether a label is a question (it ends with ``?`` or ``？``): SeqGPT composes reading
    comprehension as extraction with the question as the label."""
    return label.rstrip().endswith(("?", "？"))


def render(text: str, labels: Sequence[str], task: Task) -> str:
    """The upstream prompt for one text and one label set (labels are not chunked here)."""
    check_task(task)
    return _TEMPLATE.format(text, TASK_WORDS[task], LABEL_JOINER.join(labels), GEN_TOKEN)


def chunk_labels(labels: Sequence[str], task: Task) -> list[list[str]]:
    """Upstream's label chunking: extraction labels in ``ceil(n/6)`` balanced chunks, in order
    (the first ``n % k`` chunks one longer, like ``np.array_split``); classification never."""
    labels = list(labels)
    if task == "classify" or len(labels) <= LABELS_PER_CHUNK:
        return [labels]
    k = math.ceil(len(labels) / LABELS_PER_CHUNK)
    size, extra = divmod(len(labels), k)
    chunks, start = [], 0
    for i in range(k):
        end = start + size + (1 if i < extra else 0)
        chunks.append(labels[start:end])
        start = end
    return chunks


def format_extraction(answers: Mapping[str, Sequence[str]]) -> str:
    """The upstream extraction answer: ``label: a<TAB>b`` per label, ``label: None`` if empty."""
    return "\n".join(f"{label}: {SPAN_JOINER.join(spans) if spans else NO_ANSWER}"
                     for label, spans in answers.items())


def format_classification(labels: Sequence[str]) -> str:
    """The upstream classification answer: the chosen labels joined with ``，``."""
    return LABEL_JOINER.join(labels)


# Results (seqgpt.types) render their ``to_seqgpt()`` text with this format; they do not import
# the prompt, which builds on them, so it is handed to them here.
use_answer_format(format_extraction, format_classification)


@dataclass
class ParsedAnswer:
    """What a generated answer says. ``phrases`` maps each requested label to its answer
    phrases in order (extraction) — ``chosen`` lists the requested labels found (classification);
    ``warnings`` says everything that was tolerated."""

    phrases: dict[str, list[str]] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse(answer: str, task: Task, labels: Sequence[str]) -> ParsedAnswer:
    """Read a model's answer text. Never raises on free text: unknown labels, repeated labels,
    lines without a colon and truncated lines become warnings."""
    check_task(task)
    if task == "classify":
        return _parse_classification(answer, labels)
    return _parse_extraction(answer, labels)


def _parse_classification(answer: str, labels: Sequence[str]) -> ParsedAnswer:
    result = ParsedAnswer()
    wanted = {_fold(label): label for label in labels}
    for piece in re.split(r"[，,\t\n]", answer):
        piece = piece.strip()
        if not piece:
            continue
        label = wanted.get(_fold(piece))
        if label is None:
            result.warnings.append(f"answer {piece!r} is not one of the labels; ignored")
        elif label not in result.chosen:
            result.chosen.append(label)
    return result


def _parse_extraction(answer: str, labels: Sequence[str]) -> ParsedAnswer:
    result = ParsedAnswer(phrases={label: [] for label in labels})
    # Longest first, so a label that is a prefix of another ("date" / "date of birth") loses.
    by_length = sorted(labels, key=len, reverse=True)
    for line in answer.split("\n"):
        if not line.strip():
            continue
        label, rest = _split_label(line, by_length)
        if label is None:
            head = line.split(":", 1)[0].strip() if ":" in line else line.strip()
            what = f"label {head!r} was not asked for" if ":" in line else "line has no 'label:'"
            result.warnings.append(f"{what}; ignored line {line!r}")
            continue
        for phrase in _split_phrases(rest, labels):
            if phrase not in result.phrases[label]:
                result.phrases[label].append(phrase)
    return result


def _split_label(line: str, labels: Sequence[str]) -> tuple[str | None, str]:
    stripped = line.strip()
    for label in labels:
        for sep in (":", "："):
            if stripped.startswith(label + sep):
                return label, stripped[len(label) + 1:]
    return None, ""


def _split_phrases(rest: str, labels: Sequence[str]) -> list[str]:
    rest = rest.strip()
    if not rest or rest == NO_ANSWER:
        return []
    if SPAN_JOINER in rest:
        parts = rest.split(SPAN_JOINER)
    else:
        # Commas are a separator only where the full answer is not itself a phrase with a
        # comma in it; the caller resolves that against the text (see locate_phrases).
        parts = [rest]
    return [p.strip() for p in parts if p.strip() and p.strip() != NO_ANSWER]


def locate(text: str, label: str, phrases: Sequence[str]) -> tuple[list[Span], list[Span]]:
    """Map answer phrases back to character offsets: every occurrence of each phrase.

    A phrase that is not in the text but whose parts split on ``, `` / ``，`` all are, is
    split (upstream's separator is not fixed); anything else stays unmatched with no offsets.
    Returns ``(located, unmatched)``.
    """
    located: list[Span] = []
    unmatched: list[Span] = []
    for phrase in phrases:
        pieces = [phrase]
        if phrase not in text:
            parts = [p.strip() for p in re.split(r",\s|，", phrase) if p.strip()]
            if len(parts) > 1 and all(p in text for p in parts):
                pieces = parts
        for piece in pieces:
            hits = _occurrences(text, piece)
            if not hits:
                unmatched.append(Span(label, piece, None, None))
            located.extend(Span(label, piece, s, s + len(piece)) for s in hits)
    return located, unmatched


def _occurrences(text: str, phrase: str) -> list[int]:
    starts, i = [], text.find(phrase)
    while i != -1:
        starts.append(i)
        i = text.find(phrase, i + len(phrase))
    return starts


def _fold(label: str) -> str:
    return " ".join(label.split()).casefold()
