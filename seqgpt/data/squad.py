"""Readers of extractive reading comprehension -> one extract instance per question:
text = the context, labels = ``[prompt.sanitize_label(question)]`` (questions hold commas that
would split the label list), spans = the located answers (several distinct references of a
SQuAD dev question are all gold), reference strings in ``meta["answers"]``.

Options (documented per dataset in the catalogue; the default is strict: any mismatch raises):
``relocate_answers`` (an answer not at its ``answer_start`` but present in the context is taken
at the occurrence nearest to it), ``skip_unlocated`` (a question none of whose answers occurs
in the context is skipped and logged), ``skip_empty_questions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from seqgpt import prompt
from seqgpt.data import readkit
from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.data.registry import DatasetSpec
from seqgpt.types import Span

NO_ANSWER = "ANSWERNOTFOUND"


class _Questions:
    """Builds the instances of one split and counts the documented skips."""

    def __init__(self, spec: DatasetSpec, split: str) -> None:
        opts: Mapping[str, Any] = spec.options
        self.spec = spec
        self.split = split
        self.relocate: bool = opts.get("relocate_answers", False)
        self.skip_unlocated: bool = opts.get("skip_unlocated", False)
        self.skip_empty: bool = opts.get("skip_empty_questions", False)
        self.skips = {"empty question": 0, "no answer found in the context": 0}

    def make(self, context: str, question: str, found: list[tuple[int, int]],
             references: list[str], meta: dict[str, Any], path: Path, line: int | None,
             where: str) -> AtomicInstance | None:
        label = prompt.sanitize_label(question)
        if not label:
            if self.skip_empty:
                self.skips["empty question"] += 1
                return None
            raise DataFormatError(path, line, f"{where}: empty question")
        if references and not found:
            if self.skip_unlocated:
                self.skips["no answer found in the context"] += 1
                return None
            raise DataFormatError(path, line, f"{where}: no answer of {references} is in the "
                                              "context")
        spans = [Span(label, context[s:e], s, e) for s, e in sorted(set(found))]
        return AtomicInstance(text=context, task="extract", labels=[label],
                              dataset=self.spec.name, split=self.split,
                              language=self.spec.language, spans=spans,
                              meta={**meta, "answers": references})

    def done(self, path: Path) -> None:
        readkit.report_skips(self.spec, self.split, path, self.skips)
        self.skips = dict.fromkeys(self.skips, 0)


def read_squad(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """SQuAD v1.1 JSON: ``data[].paragraphs[].{context, qas[].{id, question, answers[].{text,
    answer_start}}}``. An answer must sit at its ``answer_start`` (see ``relocate_answers``)."""
    questions = _Questions(spec, split)
    for path in readkit.split_paths(spec, root, split):
        data = readkit.load_json(path)
        articles = data.get("data") if isinstance(data, dict) else None
        if not isinstance(articles, list):
            raise DataFormatError(path, None, "expected an object with a 'data' list")
        for a, article in enumerate(articles):
            paragraphs = readkit.need(article, "paragraphs", path, None, list, f"data[{a}]")
            for p, paragraph in enumerate(paragraphs):
                where = f"data[{a}].paragraphs[{p}]"
                context = readkit.need(paragraph, "context", path, None, str, where)
                for q, qa in enumerate(readkit.need(paragraph, "qas", path, None, list, where)):
                    instance = _squad_question(questions, context, qa, path, f"{where}.qas[{q}]")
                    if instance is not None:
                        yield instance
        questions.done(path)


def _squad_question(questions: _Questions, context: str, qa: Any, path: Path,
                    where: str) -> AtomicInstance | None:
    if not isinstance(qa, dict):
        raise DataFormatError(path, None, f"{where}: expected an object")
    question = readkit.need(qa, "question", path, None, str, where)
    found, references = [], []
    for answer in readkit.need(qa, "answers", path, None, list, where):
        if not isinstance(answer, dict):
            raise DataFormatError(path, None, f"{where}: answers should be objects")
        text = readkit.need(answer, "text", path, None, str, where)
        start = readkit.need(answer, "answer_start", path, None, int, where)
        if text not in references:
            references.append(text)
        located = _at_or_near(context, text, start, questions.relocate)
        if located is None and not questions.skip_unlocated:
            raise DataFormatError(path, None, f"{where}: answer {text!r} is not at "
                                              f"answer_start {start}")
        if located is not None:
            found.append(located)
    meta = {"id": qa.get("id", where)}
    return questions.make(context, question, found, references, meta, path, None, where)


def _at_or_near(context: str, answer: str, start: int,
                relocate: bool) -> tuple[int, int] | None:
    """Offsets of a non-empty answer at ``start`` or, if ``relocate``, at its nearest occurrence."""
    if not answer.strip():
        return None
    if start >= 0 and context[start:start + len(answer)] == answer:
        return start, start + len(answer)
    if not relocate:
        return None
    hits = [m.start() for m in re.finditer(re.escape(answer), context)]
    if not hits:
        return None
    best = min(hits, key=lambda hit: abs(hit - start))
    return best, best + len(answer)


_INDICES = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


def read_subjqa(spec: DatasetSpec, root: Path, split: str) -> Iterator[AtomicInstance]:
    """SubjQA CSV (header; ``question``, ``review`` ending in `` ANSWERNOTFOUND``,
    ``human_ans_spans``, ``human_ans_indices`` = ``(start, end)``). Unanswerable questions
    (``ANSWERNOTFOUND``) give no spans. The answer strings are tokenised (``service !``) and
    sometimes lost words (``slow slow slow`` for ``slow, slow, slow``) while the review is
    not, so an answer is the review's text matched ignoring white space (nearest to its
    indices), else the text at its indices when the answer's words are an in-order subset of
    it with at most 3 words missing."""
    questions = _Questions(spec, split)
    columns = ("question", "review", "human_ans_spans", "human_ans_indices")
    for path in readkit.split_paths(spec, root, split):
        rows = readkit.csv_rows(path)
        _, header = next(rows, (1, []))
        if any(name not in header for name in columns):
            raise DataFormatError(path, 1, f"expected a header with columns {list(columns)}")
        where = {name: header.index(name) for name in header}
        for line_no, row in rows:
            if len(row) != len(header):
                raise DataFormatError(path, line_no, f"expected {len(header)} fields, "
                                                     f"got {len(row)}")
            context = row[where["review"]].removesuffix(" " + NO_ANSWER)
            answer = row[where["human_ans_spans"]]
            found, references = [], []
            if answer != NO_ANSWER:
                match = _INDICES.match(row[where["human_ans_indices"]].strip())
                if match is None:
                    raise DataFormatError(path, line_no, "human_ans_indices should be "
                                                         "'(start, end)'")
                references.append(answer)
                start, end = int(match.group(1)), int(match.group(2))
                located = (_loose_match(context, answer, start)
                           or _word_match(context, answer, start, end))
                found = [located] if located else []
            meta: dict[str, Any] = {"domain": path.parent.name}
            if "q_review_id" in where:
                meta["id"] = row[where["q_review_id"]]
            instance = questions.make(context, row[where["question"]], found, references, meta,
                                      path, line_no, "row")
            if instance is not None:
                yield instance
        questions.done(path)


def _loose_match(context: str, answer: str, start: int) -> tuple[int, int] | None:
    """The answer in the context with any white space between its characters, nearest to
    ``start``; the match never begins or ends with white space."""
    chars = [re.escape(c) for c in answer if not c.isspace()]
    if not chars:
        return None
    hits = list(re.finditer(r"\s*".join(chars), context))
    if not hits:
        return None
    best = min(hits, key=lambda m: abs(m.start() - start))
    return best.start(), best.end()


def _word_match(context: str, answer: str, start: int, end: int) -> tuple[int, int] | None:
    """``context[start:end]`` (white space trimmed) when the answer's words are an in-order
    subset of its words, at most 3 of them missing from the answer."""
    piece = context[start:end]
    wanted, present = _words(answer), _words(piece)
    remaining = iter(present)
    if not wanted or len(present) > len(wanted) + 3 or not all(w in remaining for w in wanted):
        return None
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + len(piece.rstrip())


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
