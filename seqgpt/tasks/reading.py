"""Extractive reading comprehension as SeqGPT composes it (``seqgpt.data.squad``): extract from
the context with each question as a label (``prompt.sanitize_label(question)``: commas, which
separate labels, become semicolons). A question the model finds no span for is unanswerable
and gets ``None``.

Where the backend has an answer reader (a compact model folder with ``qa.safetensors``,
:mod:`seqgpt.model.qa`), the reader answers instead: the top layers of the full E5 read each
question with the context and point at the answer, or at "no answer" (a question is answered
where the reader's score reaches the ``answer_threshold`` option; an English question that
wants a statement also where all-MiniLM-L6-v2 finds a clause close enough to it,
``clause_threshold``).

Else, where the backend scores spans and carries the pretrained sentence encoder,
the answer is retrieved, then read: E5, trained on a billion question-passage pairs, ranks the
context's sentences by how well they answer the question, and the answer is the span that
best combines its own score with its sentence's rank, among every span scoring at least
``CANDIDATE_FLOOR``. Whether the question is answered at all stays the extract threshold's
call (some span reaches it). The trained span scorer alone mostly finds a span of the right
kind in the wrong sentence; E5's top sentence holds an answer for 83 % of drcd's selection
questions. Otherwise the answer is the best span found.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from seqgpt import prompt
from seqgpt.data.sentences import (
    Located,
    clause_bounds,
    sentence_bounds,
    sentence_span,
    stripped_span,
)
from seqgpt.encoders import minilm_reads
from seqgpt.model.sentence import standardised
from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.types import Span

if TYPE_CHECKING:
    from seqgpt.api import Model
    from seqgpt.model.qa import Reading
    from seqgpt.model.sentence import SentenceSimilarity

#: Lowest span score of a candidate answer when the answer is retrieved, then read: the right
#: span often scores far below the extract threshold once the question is answered at all.
CANDIDATE_FLOOR = 0.01
#: A candidate's rank is ``log(span score) + SENTENCE_WEIGHT * log p(its sentence)``, with
#: ``p`` the softmax over the context's sentences of E5's question-sentence cosines divided by
#: ``SENTENCE_TEMPERATURE``. Both, and the floor, were picked on the selection splits of the
#: zero-shot dev sets drcd and subjqa (never their reported splits): drcd token F1 18.1 -> 29.1,
#: subjqa answerable token F1 5.1 -> 10.3 (150 questions each, default model; weights 1 and 4
#: and temperature 0.05 did no better, a passage of two sentences worse).
SENTENCE_WEIGHT = 2.0
SENTENCE_TEMPERATURE = 0.02
#: An English opinion question's clause (MiniLM's ranking) is the one with the best
#: ``z(MiniLM cosine) + CLAUSE_READER_WEIGHT * z(reader's margin for the clause as the
#: answer)``, both standardised over the context's clauses. Picked on one half of SubjQA's
#: selection split (by review; answerable English opinion questions, token F1 of the clause):
#: 39.2 by MiniLM alone, 40.4 / 41.7 / 42.6 / 38.2 at 0.1 / 0.25 / 0.5 / 1; the other half
#: 41.8 -> 43.9 at 0.5. The reader alone: 25.1 and 24.7.
CLAUSE_READER_WEIGHT = 0.5
#: the smallest spread either term is divided by (a review whose clauses all score alike)
SPREAD_FLOOR = 0.02


@dataclass
class Answer:
    """The answer to ``question``: a span of the context (``span.label`` is the question as the
    model saw it), or ``None`` when the context does not answer it."""

    question: str
    span: Span | None = None

    @property
    def text(self) -> str | None:
        return None if self.span is None else self.span.text

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": common.span_dict(self.span)}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


Questions = str | list[str]
#: Per context: its questions as asked, as labels, and whether one question (not a list) was.
Plans = list[tuple[list[str], list[str], bool]]


#: What an answer can be: ``auto`` (a clause for questions that want a statement,
#: :func:`wants_statement`; the span found for the rest), the span found, the clause of the
#: context that answers the question best, or the whole sentence holding the span found.
UNITS = ("auto", "span", "clause", "sentence")
#: :data:`UNITS` in a sentence, for the CLI's and the service's help.
UNIT_HELP = ("what an answer is: auto (the default: a clause for questions that want a "
             "statement, which ask an opinion or a yes or no, or ask about a text in the first "
             "person for anything but a name, number, place or time; else the span found), "
             "span, clause (the clause of the context that answers best) or sentence (the "
             "sentence holding the span found)")

_AUXILIARY = ("am|is|are|was|were|do|does|did|can|could|will|would|should|shall|may|might|must|"
              "has|have|had")
#: Past participles ending a "how was ... ?" question ask how something came about, which a
#: span answers ("How was the gorge formed?"), not what it is like ("How was the food?").
_PARTICIPLE = r"\w+ed|known|made|built|done|born|seen|taken|written|given|called|named|found|used"
_ASKS_OPINION = re.compile(
    rf"^\W*(?:(?:{_AUXILIARY})(?:n't)?\b"  # a yes / no question
    rf"|how (?:is|are|was|were)\b(?!.*\b(?:{_PARTICIPLE})\W*$)|how (?:good|bad|well)\b"
    rf"|what about\b|how about\b)"
    rf"|\bwhat (?:do|did|does) (?:you|people|they) think\b|\byour (?:opinion|view)\b"
    rf"|\bhow do you (?:like|feel)\b"
    r"|吗\s*[？?]?\s*$|怎么样|如何评价|评价如何|好不好",
    re.IGNORECASE)


def answer(model: Model, context: str | list[str], questions: Questions | list[Questions],
           unit: str = "auto",
           **options: Any) -> Answer | list[Answer] | list[Answer | list[Answer]]:
    """Answer ``questions`` (one string or a list) from ``context``: one :class:`Answer` per
    question, in order. For a list of contexts give a list of questions (or question lists),
    one per context. Each question is answered on its own (its answer does not depend on the
    other questions asked with it); contexts asking the same question share one call.

    With a model that has an answer reader (the default model), ``answer_threshold`` (an
    option, like the others given at load time or here) is the lowest reader score that
    answers a question; lower answers more. An English question about English text that wants
    a statement (:func:`wants_statement`) is also answered, with its best clause, where
    all-MiniLM-L6-v2's cosine between the two reaches ``clause_threshold`` (0.6 for the
    default model; 1 leaves the call to the reader; the reader's score is kept): MiniLM tells
    better than the reader, trained on names and numbers, whether a review answers such a
    question (SubjQA's selection split: AUC 0.72 against 0.67).

    ``unit`` says what an answer is (:data:`UNITS`); a question is answered or not, with the
    same score, whatever the unit (but for the clause gate above, which units ``"auto"`` and
    ``"clause"`` apply). ``"span"``: the span found. ``"clause"``: the clause of the
    context (:func:`seqgpt.data.sentences.clause_bounds`) that the model's sentence encoder
    ranks as the best answer to the question (E5, trained on question-passage pairs, finds
    the clause that states an opinion better than the reader, trained on names and numbers,
    finds its span; English questions of English contexts are ranked by all-MiniLM-L6-v2
    where the model has it, :func:`_english_ranker`, together with the answer reader's
    reading of each clause as the answer where it has one, :data:`CLAUSE_READER_WEIGHT`); it
    needs a model with a sentence encoder, as the default model has.
    ``"sentence"``: the whole sentence holding the span found. ``"auto"`` (the default) answers
    with a clause, where the model has a sentence encoder, the questions that want a statement
    (:func:`wants_statement`: they ask what something is like or a yes or no, or ask about a
    text written in the first person, a review, anything but a name, a number, a place or a
    time), and the rest with the span found."""
    if unit not in UNITS:
        raise TaskInputError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    batch, single = common.texts(context, "context")
    asked = [questions] if single else questions
    if not isinstance(asked, list) or len(asked) != len(batch):
        raise TaskInputError(f"questions: give the questions of each context, one entry per "
                             f"context ({len(batch)})")
    plans: Plans = []
    for i, entry in enumerate(asked):
        where = "questions" if single else f"questions[{i}]"
        originals, one = _question_list(entry, where)
        plans.append((originals, [prompt.sanitize_label(q) for q in originals], one))
    clause_threshold, readings = None, None
    if getattr(model.backend, "reads_answers", False):
        read, readings = _reader_answers(model, batch, plans, options)
        opts = cast(Any, model.backend).options.updated(options)
        chosen = [[span if span is not None and (span.score or 0.0) >= opts.answer_threshold
                   else None for span in spans] for spans in read]
        clause_threshold = opts.clause_threshold
    else:
        read = chosen = _extracted_answers(model, batch, plans, options)
    retriever = _retriever(model) if unit in ("auto", "clause") else None
    if unit == "clause" and retriever is None:
        raise TaskInputError("unit='clause' needs a model with a sentence encoder (the default "
                             "model has one); use unit='sentence' with this model")
    answers: list[Answer | list[Answer]] = []
    for i, ((originals, _, one), best) in enumerate(zip(plans, chosen, strict=True)):
        if unit == "sentence":
            bounds = sentence_bounds(batch[i], prose=True)
            best = [_sentence_of(span, batch[i], bounds) for span in best]
        elif retriever is not None:
            first_person = _in_first_person(batch[i])  # read once, not per question
            statements = {k for k, question in enumerate(originals)
                          if _wants_statement(question, first_person)}
            found = [k for k in range(len(originals))
                     if read[i][k] is not None and (unit == "clause" or k in statements)]
            english = _english_ranker(model, batch[i], [originals[k] for k in found])
            # MiniLM's cosine is the better judge of whether a review answers an opinion
            # question; E5's (Chinese and mixed text) was never measured as one
            gate = clause_threshold if english is not None else None
            which = [k for k in found if best[k] is not None
                     or (gate is not None and k in statements)]
            best = _clauses(english or retriever, batch[i], originals, best, which,
                            unanswered=read[i], gate=gate,
                            readings=readings[i] if readings and english is not None else None)
        mine = [Answer(q, span) for q, span in zip(originals, best, strict=True)]
        answers.append(mine[0] if one else mine)
    return answers[0] if single else answers


def _reader_answers(model: Model, batch: list[str], plans: Plans, options: dict[str, Any],
                    ) -> tuple[list[list[Span | None]], list[list[Reading | None]]]:
    """Per context, the best span of each question by the backend's answer reader, whatever
    its score (``None`` where it found none), and the reading it came from: one reading per
    distinct (context, question)."""
    backend: Any = model.backend
    asked = list(dict.fromkeys((i, q) for i, (originals, _, _) in enumerate(plans)
                               for q in originals))
    read = backend.read([q for _, q in asked], [batch[i] for i, _ in asked], **options)
    readings: dict[tuple[int, str], Reading | None] = dict(zip(asked, read, strict=True))
    found = {(i, q): None if r is None else stripped_span(prompt.sanitize_label(q), batch[i],
                                                          r.start, r.end, r.score)
             for (i, q), r in readings.items()}
    return ([[found[i, q] for q in originals] for i, (originals, _, _) in enumerate(plans)],
            [[readings[i, q] for q in originals] for i, (originals, _, _) in enumerate(plans)])


def _extracted_answers(model: Model, batch: list[str], plans: Plans,
                       options: dict[str, Any]) -> list[list[Span | None]]:
    """Per context, the answer of each question by extraction with the question as label
    (retrieved, then read, where the backend has a sentence encoder)."""
    # One extract call per distinct question, over every context that asks it: a question is
    # never in a label group with another one, so no other question can take its span (the
    # compact model keeps spans from overlapping across labels; a generative model answers a
    # chunk of labels in one generation), and each answer is the one it gets when asked alone.
    calls: dict[str, list[int]] = {}
    for i, (_, labels, _) in enumerate(plans):
        for label in dict.fromkeys(labels):
            calls.setdefault(label, []).append(i)
    retriever = _retriever(model)
    # a backend that takes a threshold has options that say its default (and check the call's)
    backend: Any = model.backend
    threshold = backend.options.updated(options).threshold if retriever else 0.0
    asked_options = {**options, "threshold": min(threshold, CANDIDATE_FLOOR)} if retriever \
        else options
    found: dict[int, dict[str, list[Span]]] = {i: {} for i in range(len(plans))}
    for label, indices in calls.items():
        results = model.extract([batch[i] for i in indices], [label], **asked_options)
        for i, result in zip(indices, results, strict=True):
            found[i][label] = result.by_label().get(label, [])
    chosen: list[list[Span | None]] = []
    for i, (_, labels, _) in enumerate(plans):
        spans = [found[i].get(label, []) for label in labels]
        if retriever is None:
            chosen.append([common.best(candidates) for candidates in spans])
        else:
            bounds = sentence_bounds(batch[i], prose=True)
            chosen.append(_retrieve_then_read(retriever, batch[i], bounds, labels, spans,
                                              threshold))
    return chosen


#: A word of a text written in the first person ("I" and "I'm", not "World War I"; "us", not
#: "US").
_FIRST_PERSON = re.compile(r"(?<!War )\bI\b|\b(?:[Mm][ey]|[Ww]e|[Oo]ur|us)\b")
#: English questions that ask for a name, a number, a place or a time.
_ASKS_FACT = re.compile(
    r"^\W*(?:who|whom|whose|when|where|which"
    r"|how (?:many|much|long|old|far|often|big|fast|low|high)"
    r"|what (?:year|time|date|day|colou?r|size|amount|kind|type|brand|model|number)"
    r"|what(?:'s| is) the name)\b", re.IGNORECASE)


def wants_statement(question: str, context: str) -> bool:
    """Whether ``question`` about ``context`` is answered with a statement rather than a name
    or a number, which is what ``unit="auto"`` answers with a clause: it asks an opinion or a
    yes or no (:func:`asks_opinion`), or ``context`` is written in the first person (a review,
    a post: at least two words such as "I", "my", "we") and the question does not ask for a
    name, a number, a place or a time (who, when, where, how many, what year, ...).

    Why the text's voice: SubjQA's questions about reviews that no question form marks as
    opinions ("What is the customer service?", "How did you like the front desk?") are
    answered by statements too. On its selection split (1,468 questions; the gate and the
    clause ranking unchanged) token F1 went 51.4 -> 52.5 and answerable token F1 24.2 ->
    27.4; 4 of XQuAD-en's 240 Wikipedia paragraphs have two first-person words."""
    return _wants_statement(question, _in_first_person(context))


def _wants_statement(question: str, first_person: bool) -> bool:
    return asks_opinion(question) or (first_person and not _ASKS_FACT.search(question))


def _in_first_person(text: str) -> bool:
    """Whether ``text`` has two first-person words (the scan stops at the second)."""
    return len(list(itertools.islice(_FIRST_PERSON.finditer(text), 2))) == 2


def asks_opinion(question: str) -> bool:
    """Whether ``question`` asks what something is like or asks a yes or no (``How is the
    battery?``, ``Does the plot hold up?``, ``这家酒店怎么样？``): its answer is a statement
    rather than a name or a number. Read from its words (English and Chinese).

    What ``unit="auto"`` changed against ``"span"`` for the default model, on the selection
    splits of the zero-shot reading sets (300 questions each, ``answer_threshold`` 0.9):
    subjqa token F1 44.3 -> 47.0 and answerable token F1 10.1 -> 16.1 (72 % of its questions
    ask an opinion or a yes or no); drcd 46.4 either way (none of its questions does). With
    every subjqa question answered, answerable token F1 was 21.7 by the reader's span, 27.6
    by the clause holding it, 29.9 by E5's best sentence and 31.4 by E5's best clause."""
    return bool(_ASKS_OPINION.search(question))


def _clauses(retriever: SentenceSimilarity, context: str, questions: list[str],
             best: list[Span | None], which: list[int], unanswered: list[Span | None],
             gate: float | None, readings: list[Reading | None] | None = None,
             ) -> list[Span | None]:
    """``best`` with the answers at ``which`` replaced by the clause of ``context`` the
    sentence encoder ranks first for their question (the span's label and score kept); with
    the answer reader's ``readings`` of the questions, the rank also counts how well each
    clause reads as the answer (:data:`CLAUSE_READER_WEIGHT`; :meth:`Reading.margins`, from
    the windows already read). A question at ``which`` that ``best`` leaves
    unanswered is answered with its clause where the encoder's best cosine reaches ``gate``
    (its label and score from ``unanswered``, the reader's span below the threshold)."""
    if not which:
        return best
    bounds = clause_bounds(context)
    if not bounds:
        return best
    relevance = retriever.relevance([questions[k] for k in which],
                                    [context[s:e] for s, e in bounds])
    answered = {k: best[k] or unanswered[k] for k, row in zip(which, relevance, strict=True)
                if best[k] is not None or (gate is not None and float(row.max()) >= gate)}
    ranks = dict(zip(which, relevance, strict=True))
    for k in answered:
        reading = None if readings is None else readings[k]
        if reading is None:
            continue
        # a clause no window holds whole reads as -1e4: floored, so it cannot set the spread
        margins = reading.margins(bounds).clamp(min=-50.0)
        ranks[k] = standardised(ranks[k], SPREAD_FLOOR) \
            + CLAUSE_READER_WEIGHT * standardised(margins, SPREAD_FLOOR)
    out = list(best)
    for k, span in answered.items():
        assert span is not None
        start, end = bounds[int(ranks[k].argmax())]
        out[k] = Span(span.label, context[start:end], start, end, span.score)
    return out


def _sentences(span: Span, bounds: list[tuple[int, int]]) -> tuple[int, int]:
    """The first and last sentence ``span`` touches (spans of the model have offsets)."""
    assert span.start is not None and span.end is not None
    return sentence_span(cast(Located, span), bounds)


def _sentence_of(span: Span | None, context: str,
                 bounds: list[tuple[int, int]]) -> Span | None:
    """The sentences of ``context`` that ``span`` touches (one, unless it crosses an end), as a
    span with its label and score."""
    if span is None:
        return None
    first, last = _sentences(span, bounds)
    start, end = bounds[first][0], bounds[last][1]
    return Span(span.label, context[start:end], start, end, span.score)


def _english_ranker(model: Model, context: str,
                    questions: list[str]) -> SentenceSimilarity | None:
    """all-MiniLM-L6-v2, where the backend has it and it reads ``context`` and every question
    (English): it ranks a review's clauses against an opinion question better than E5-small.
    SubjQA's selection split (397 questions, the 261 opinion questions answered with a clause
    whatever the reader's score): answerable token F1 25.5 with E5's clause, 32.2 with
    MiniLM's."""
    if not questions or not all(minilm_reads(text) for text in [context, *questions]):
        return None
    return getattr(model.backend, "minilm", None)


def _retriever(model: Model) -> SentenceSimilarity | None:
    """The backend's pretrained sentence encoder, where it also scores spans."""
    if not common.takes_option(model, "threshold"):
        return None
    return getattr(model.backend, "similarity", None)


def _retrieve_then_read(retriever: SentenceSimilarity, context: str,
                        bounds: list[tuple[int, int]], questions: list[str],
                        candidates: list[list[Span]], threshold: float) -> list[Span | None]:
    """Per question: ``None`` unless a candidate reaches ``threshold``, else the candidate
    with the best rank (span score and its sentence's retrieval probability)."""
    answered = [any(s.score is not None and s.score >= threshold for s in spans)
                for spans in candidates]
    if not any(answered):
        return [None] * len(questions)
    asked = [q for q, yes in zip(questions, answered, strict=True) if yes]
    cosines = retriever.relevance(asked, [context[s:e] for s, e in bounds])
    log_p = iter((cosines / SENTENCE_TEMPERATURE).log_softmax(-1).tolist())
    best: list[Span | None] = []
    for spans, yes in zip(candidates, answered, strict=True):
        if not yes:
            best.append(None)
            continue
        row = next(log_p)

        def rank(span: Span, row: list[float] = row) -> float:
            sentence = _sentences(span, bounds)[0]  # where it starts
            return math.log(max(span.score or 0.0, 1e-9)) + SENTENCE_WEIGHT * row[sentence]

        best.append(max(spans, key=rank))
    return best


def _question_list(entry: object, where: str) -> tuple[list[str], bool]:
    if isinstance(entry, str):
        return [_question(entry, where)], True
    if not isinstance(entry, list) or not entry:
        raise TaskInputError(f"{where} must be a question or a non-empty list of questions, "
                             f"got {entry!r}"[:200])
    return [_question(q, f"{where}[{j}]") for j, q in enumerate(entry)], False


def _question(question: object, where: str) -> str:
    if not isinstance(question, str):
        raise TaskInputError(f"{where} must be a string, got {type(question).__name__}")
    if not prompt.sanitize_label(question):
        raise TaskInputError(f"{where} is empty; give a question")
    return question
