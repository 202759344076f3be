"""spaCy pipeline components backed by a seqgpt model (``pip install -e ".[spacy]"``).

    nlp = spacy.blank("en")
    nlp.add_pipe("seqgpt_ner", config={"labels": ["person", "city"]})
    nlp.add_pipe("seqgpt_textcat", config={"labels": ["travel", "sport"]})
    doc = nlp("Tim Cook visited Beijing.")
    doc.ents, doc.cats

The factories are found by spaCy through the ``spacy_factories`` entry points, so no import of
seqgpt is needed (and ``spacy.load`` of a saved pipeline works). Both components share one
model per ``model`` name (``null``: the embedded default).

Alignment. seqgpt returns character offsets; ``doc.ents`` needs token boundaries. Each span is
aligned with ``Doc.char_span(alignment_mode=alignment)``: ``"expand"`` (default) grows a span to
the tokens it touches, ``"contract"`` shrinks it to the tokens fully inside, ``"strict"`` keeps
only spans that already match tokens. A span that cannot be aligned is dropped, never guessed;
``doc.user_data[<component name>]`` lists every dropped span (``reason``: ``unaligned`` or
``overlap``) and every span whose boundaries alignment moved (``realigned``), each as
``{"label", "start", "end", "text", "reason"}`` with the model's original offsets.

Overlaps. ``doc.ents`` cannot overlap: among overlapping seqgpt spans the longest wins (spaCy's
``filter_spans``); entities already in ``doc.ents`` win over new ones unless
``overwrite_ents`` is true. Every aligned span, overlapping or not, is also kept in
``doc.spans[spans_key]`` with its score in ``attrs["scores"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.tokens import Span as TokenSpan
from spacy.util import filter_spans, minibatch

from seqgpt import prompt
from seqgpt.api import Model
from seqgpt.types import Classification, Extraction, SeqGPTError, Span

ALIGNMENTS = ("expand", "contract", "strict")
_MODELS: dict[str | None, Model] = {}


def shared_model(name: str | None) -> Model:
    """One loaded model per name, shared by every component of the process."""
    if name not in _MODELS:
        import seqgpt

        _MODELS[name] = seqgpt.load(name)
    return _MODELS[name]


class _ModelComponent:
    """Runs ``task`` (``Model.extract`` or ``Model.classify``) over docs in batches; blank docs
    are skipped and get the component's ``empty()`` notes in ``doc.user_data``."""

    task: str
    name: str
    model: Model
    labels: list[str]
    options: dict[str, Any]
    batch_size: int

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        call = getattr(self.model, self.task)
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            todo = [doc for doc in batch if doc.text.strip()]
            results = call([d.text for d in todo], self.labels, **self.options) if todo else []
            for doc, result in zip(todo, results, strict=True):
                self.annotate(doc, result)
            for doc in batch:
                doc.user_data.setdefault(self.name, self.empty())
            yield from batch

    def annotate(self, doc: Doc, result: Any) -> None:
        raise NotImplementedError

    def empty(self) -> dict[str, Any]:
        raise NotImplementedError


class SeqGPTNer(_ModelComponent):
    """Fills ``doc.ents`` (and ``doc.spans[spans_key]``) from ``Model.extract``."""

    task = "extract"

    def __init__(self, name: str, model: Model, labels: list[str],
                 options: dict[str, Any] | None = None, alignment: str = "expand",
                 overwrite_ents: bool = False, spans_key: str | None = "seqgpt",
                 batch_size: int = 32) -> None:
        if alignment not in ALIGNMENTS:
            raise SeqGPTError(f"{name}: alignment must be one of {', '.join(ALIGNMENTS)}, "
                              f"got {alignment!r}")
        self.name = name
        self.model = model
        self.labels = _labels(name, labels)
        self.options = dict(options or {})
        self.alignment = alignment
        self.overwrite_ents = overwrite_ents
        self.spans_key = spans_key
        self.batch_size = batch_size

    def annotate(self, doc: Doc, result: Extraction) -> None:
        self.set_annotations(doc, result.spans)

    def empty(self) -> dict[str, Any]:
        return {"dropped": [], "realigned": []}

    def set_annotations(self, doc: Doc, spans: list[Span]) -> None:
        dropped: list[dict[str, Any]] = []
        realigned: list[dict[str, Any]] = []
        aligned: dict[TokenSpan, Span] = {}
        for span in spans:
            if span.start is None or span.end is None:  # a span the model could not locate
                continue
            token_span = doc.char_span(span.start, span.end, label=span.label,
                                       alignment_mode=self.alignment)
            if token_span is None:
                dropped.append(_note(span, "unaligned"))
                continue
            if (token_span.start_char, token_span.end_char) != (span.start, span.end):
                realigned.append(_note(span, "realigned"))
            aligned.setdefault(token_span, span)
        if self.spans_key:
            group = SpanGroup(doc, name=self.spans_key, spans=list(aligned))
            group.attrs["scores"] = [span.score for span in aligned.values()]
            doc.spans[self.spans_key] = group
        new = filter_spans(list(aligned))
        old = list(doc.ents)
        if self.overwrite_ents:
            ents = new + [s for s in old if not _overlaps(s, new)]
        else:
            ents = old + [s for s in new if not _overlaps(s, old)]
        dropped += [_note(span, "overlap") for s, span in aligned.items() if s not in ents]
        doc.ents = sorted(ents, key=lambda s: s.start)
        doc.user_data[self.name] = {"dropped": dropped, "realigned": realigned}


class SeqGPTTextcat(_ModelComponent):
    """Fills ``doc.cats`` (a score per label) from ``Model.classify``; the labels the model
    chose (one, or with ``multi_label`` every one over the threshold) are in
    ``doc.user_data[<component name>]["chosen"]``. Models without scores give 1.0 to the chosen
    labels and 0.0 to the others."""

    task = "classify"

    def __init__(self, name: str, model: Model, labels: list[str],
                 options: dict[str, Any] | None = None, batch_size: int = 32) -> None:
        self.name = name
        self.model = model
        self.labels = _labels(name, labels)
        self.options = dict(options or {})
        self.batch_size = batch_size

    def annotate(self, doc: Doc, result: Classification) -> None:
        for label in self.labels:
            score = result.scores.get(label)
            chosen = float(label in result.labels)
            doc.cats[label] = chosen if score is None else score
        doc.user_data[self.name] = {"chosen": list(result.labels)}

    def empty(self) -> dict[str, Any]:
        return {"chosen": []}


@Language.factory(
    "seqgpt_ner", assigns=["doc.ents", "doc.spans"],
    default_config={"labels": [], "model": None, "options": {}, "alignment": "expand",
                    "overwrite_ents": False, "spans_key": "seqgpt", "batch_size": 32})
def make_ner(nlp: Language, name: str, labels: list[str], model: str | None,
             options: dict[str, Any], alignment: str, overwrite_ents: bool,
             spans_key: str | None, batch_size: int) -> SeqGPTNer:
    return SeqGPTNer(name, shared_model(model), labels, options, alignment, overwrite_ents,
                     spans_key, batch_size)


@Language.factory(
    "seqgpt_textcat", assigns=["doc.cats"],
    default_config={"labels": [], "model": None, "options": {}, "batch_size": 32})
def make_textcat(nlp: Language, name: str, labels: list[str], model: str | None,
                 options: dict[str, Any], batch_size: int) -> SeqGPTTextcat:
    return SeqGPTTextcat(name, shared_model(model), labels, options, batch_size)


def _labels(name: str, labels: list[str]) -> list[str]:
    try:
        return prompt.check_labels(labels)
    except SeqGPTError as err:
        raise SeqGPTError(f'{name}: config "labels": {err}') from None


def _note(span: Span, reason: str) -> dict[str, Any]:
    return {"label": span.label, "start": span.start, "end": span.end, "text": span.text,
            "reason": reason}


def _overlaps(span: TokenSpan, others: list[TokenSpan]) -> bool:
    return any(span.start < o.end and o.start < span.end for o in others)
