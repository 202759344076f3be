"""The public entry point: ``seqgpt.load()`` and the :class:`Model` every caller talks to."""

from __future__ import annotations

import os
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, overload

from seqgpt import prompt
from seqgpt.errors import ModelNotFoundError
from seqgpt.types import Classification, Extraction

if typing.TYPE_CHECKING:  # result types of the composite-task methods
    from types import ModuleType

    from seqgpt import tasks


class Backend(Protocol):
    """What a backend implements; batching and validation happen in :class:`Model`."""

    name: str

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]: ...

    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]: ...


class Model:
    """Open-domain NLU over any label set: :meth:`extract` spans, :meth:`classify` texts.

    Pass one text to get one result, or a list of texts to get a list of results (batched
    inside). Labels are a list of strings (or one string split on ``,`` / ``，``).
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __repr__(self) -> str:
        return f"Model({self.backend.name!r})"

    @overload
    def extract(self, text: str, labels: Sequence[str] | str, **options: Any) -> Extraction: ...
    @overload
    def extract(self, text: list[str], labels: Sequence[str] | str,
                **options: Any) -> list[Extraction]: ...

    def extract(self, text, labels, **options):
        """Find every span of ``text`` that answers each label.

        >>> nlu.extract("Tim Cook visited Beijing.", ["person", "city"]).spans  # doctest: +SKIP
        [Span(label='person', text='Tim Cook', start=0, end=8, ...), ...]
        """
        texts, single = _texts(text)
        results = self.backend.extract(texts, prompt.check_labels(labels), **options)
        return results[0] if single else results

    @overload
    def classify(self, text: str, labels: Sequence[str] | str,
                 **options: Any) -> Classification: ...
    @overload
    def classify(self, text: list[str], labels: Sequence[str] | str,
                 **options: Any) -> list[Classification]: ...

    def classify(self, text, labels, **options):
        """Choose the labels that apply to the whole ``text`` (possibly several).

        >>> nlu.classify("I loved it", ["positive", "negative"]).labels  # doctest: +SKIP
        ['positive']
        """
        texts, single = _texts(text)
        results = self.backend.classify(texts, prompt.check_labels(labels), **options)
        return results[0] if single else results

    # Composite tasks (seqgpt.tasks): compositions of extract and classify, for any backend.

    def ner(self, text: str | list[str], types: Sequence[str] | str,
            **options: Any) -> Extraction | list[Extraction]:
        """Entities of ``types`` (see :func:`seqgpt.tasks.ner`)."""
        return _tasks().ner(self, text, types, **options)

    def entity_type(self, text: str | list[str], span: Any, types: Sequence[str] | str,
                    **options: Any) -> tasks.EntityType | list[tasks.EntityType]:
        """The type of a given mention (see :func:`seqgpt.tasks.entity_type`)."""
        return _tasks().entity_type(self, text, span, types, **options)

    def relations(self, text: str | list[str], relation_types: Any,
                  entity_types: Sequence[str] | str | None = None,
                  **options: Any) -> tasks.RelationExtraction | list[tasks.RelationExtraction]:
        """Entities, then the relations between them (see :func:`seqgpt.tasks.relations`).

        >>> nlu.relations("Tim Cook works for Apple.", ["works for"]).relations  # doctest: +SKIP
        [Relation(head=Span(label='person', text='Tim Cook', ...), tail=..., label='works for')]
        """
        return _tasks().relations(self, text, relation_types, entity_types, **options)

    def events(self, text: str | list[str], schema: dict[str, Sequence[str]],
               **options: Any) -> tasks.EventExtraction | list[tasks.EventExtraction]:
        """Events of ``schema`` = ``{event type: [roles]}`` (see :func:`seqgpt.tasks.events`)."""
        return _tasks().events(self, text, schema, **options)

    def answer(self, context: str | list[str], questions: str | list[Any],
               **options: Any) -> tasks.Answer | list[Any]:
        """Extractive answers to questions (see :func:`seqgpt.tasks.answer`)."""
        return _tasks().answer(self, context, questions, **options)

    def slots(self, text: str | list[str], slots: Sequence[str] | str,
              intents: Sequence[str] | str | None = None,
              **options: Any) -> tasks.SlotFilling | list[tasks.SlotFilling]:
        """Slot values and the intent (see :func:`seqgpt.tasks.slots`)."""
        return _tasks().slots(self, text, slots, intents, **options)

    def nli(self, premise: str | list[str], hypothesis: str | list[str],
            labels: Sequence[str] | str = ("entailment", "neutral", "contradiction"),
            **options: Any) -> Classification | list[Classification]:
        """Entailment between two texts (see :func:`seqgpt.tasks.nli`)."""
        return _tasks().nli(self, premise, hypothesis, labels, **options)

    def sentiment(self, text: str | list[str],
                  labels: Sequence[str] | str = ("positive", "negative"),
                  **options: Any) -> Classification | list[Classification]:
        """The sentiment of a text (see :func:`seqgpt.tasks.sentiment`)."""
        return _tasks().sentiment(self, text, labels, **options)

    def topic(self, text: str | list[str], topics: Sequence[str] | str,
              **options: Any) -> Classification | list[Classification]:
        """The topic of a text (see :func:`seqgpt.tasks.topic`)."""
        return _tasks().topic(self, text, topics, **options)

    def extract_json(self, text: str | list[str], schema: dict[str, Any],
                     **options: Any) -> tasks.JSONExtraction | list[tasks.JSONExtraction]:
        """JSON that validates against ``schema`` (see :func:`seqgpt.tasks.extract_json`)."""
        return _tasks().extract_json(self, text, schema, **options)


def _tasks() -> ModuleType:
    """:mod:`seqgpt.tasks`, imported on the first composite-task call rather than at the top:
    it would about double what ``import seqgpt`` takes (``python -X importtime``), and most
    callers only extract and classify."""
    from seqgpt import tasks

    return tasks


#: The embedded default model, shipped inside the package.
DEFAULT_MODEL = Path(__file__).parent / "weights" / "default"


def load(model: str | os.PathLike[str] | None = None, **options: Any) -> Model:
    """Load a model.

    - ``load()``: the embedded default, a compact extractor + classifier (offline, CPU-fast).
      Options: ``threshold``, ``label_threshold``, ``nested``, ``multi_label``,
      ``similarity_weight``, ``minilm_weight``, ``span_typing_weight``, ``cosine_floor``,
      ``outer_span_ratio``, ``outer_span_max_inner``, ``answer_threshold``,
      ``clause_threshold``, ``relation_threshold``, ``relation_question_weight``, ``symbol_spans``,
      ``answer_questions``, ``batch_size``, ``max_labels_per_pass``, ``bfloat16`` (faster on
      some CPUs with bfloat16 instructions, slower on others; ``seqgpt bench`` times both).
    - ``load("path/to/folder")``: a compact model folder (one with ``seqgpt_config.json``,
      e.g. written by ``seqgpt train``), else a causal LM folder in the upstream format.
    - ``load("DAMO-NLP/SeqGPT-560M")``: a hub id, loaded as a generative model. Options
      (``device``, ``num_beams``, ``max_new_tokens``, ``repetition_penalty``, ``batch_size``,
      ...) go to the generative backend.
    - ``load("baseline:multilingual-e5-small")``: the untrained cosine-similarity baseline.
    """
    # The backends are imported here, not at the top: they import torch (about a second of a
    # cold start), and only the chosen one is needed.
    from seqgpt.backends.compact import CONFIG, CompactBackend

    if model is None:
        if not (DEFAULT_MODEL / CONFIG).is_file():
            raise ModelNotFoundError(
                f"the embedded default model is missing from {DEFAULT_MODEL}; reinstall seqgpt "
                "or pass a model: seqgpt.load('DAMO-NLP/SeqGPT-560M') or a local folder")
        return Model(CompactBackend.from_folder(DEFAULT_MODEL, **options))
    if isinstance(model, str) and model.startswith("baseline:"):
        from seqgpt.backends.similarity import SimilarityBackend

        return Model(SimilarityBackend(model.removeprefix("baseline:"), **options))
    if _is_path(model) and (Path(model).expanduser() / CONFIG).is_file():
        return Model(CompactBackend.from_folder(Path(model).expanduser(), **options))
    from seqgpt.backends.generative import GenerativeBackend

    return Model(GenerativeBackend.from_pretrained(
        Path(model) if _is_path(model) else os.fspath(model), **options))


def _is_path(model: str | os.PathLike[str]) -> bool:
    """A hub id is ``owner/name``; anything else that looks like a path is treated as one."""
    text = os.fspath(model)
    if isinstance(model, os.PathLike) or Path(text).expanduser().exists():
        return True
    return text.startswith((".", "~", "/")) or text.count("/") > 1 or "\\" in text


def _texts(text: object) -> tuple[list[str], bool]:
    if isinstance(text, str):
        return [prompt.check_text(text)], True
    if isinstance(text, (list, tuple)):
        if not text:
            raise prompt.InputError("text is an empty list; give at least one text")
        return [prompt.check_text(t, f"text[{i}]") for i, t in enumerate(text)], False
    raise prompt.InputError("text must be a string or a list of strings, "
                            f"got {type(text).__name__}")
