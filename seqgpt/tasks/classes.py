"""Whole-text classification tasks: NLI on ``compose.pair_text(premise, hypothesis)`` (the
premise, then the hypothesis on the next line, as the training pairs were built), sentiment and
topic on the text itself. Each returns ``Model.classify``'s :class:`Classification`, one label
chosen (a generative model may choose none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from seqgpt.data import compose
from seqgpt.tasks import common
from seqgpt.tasks.common import TaskInputError
from seqgpt.types import Classification

if TYPE_CHECKING:
    from seqgpt.api import Model

NLI_LABELS = ("entailment", "neutral", "contradiction")
SENTIMENT_LABELS = ("positive", "negative")


def nli(model: Model, premise: str | list[str], hypothesis: str | list[str],
        labels: Sequence[str] | str = NLI_LABELS,
        **options: Any) -> Classification | list[Classification]:
    """Whether ``premise`` entails, is neutral to or contradicts ``hypothesis`` (or any other
    pair labels: ``("paraphrase", "not paraphrase")``). Lists of premises and hypotheses are
    paired in order. The result's ``text`` is the composed pair. A model with an NLI pair reader
    (the default one: :mod:`seqgpt.model.pairs`) answers NLI label sets (these three, or
    entailment / not entailment, any order; 蕴含 / 中立 / 矛盾) with it."""
    premises, single = common.texts(premise, "premise")
    hypotheses, single_h = common.texts(hypothesis, "hypothesis")
    if single != single_h or len(premises) != len(hypotheses):
        raise TaskInputError(f"premise and hypothesis must both be strings or lists of the "
                             f"same length, got {len(premises)} premise(s) and "
                             f"{len(hypotheses)} hypothesis(es)")
    pairs = [compose.pair_text(p.strip(), h.strip())
             for p, h in zip(premises, hypotheses, strict=True)]
    results = model.classify(pairs, common.names(labels, "labels"), **options)
    return results[0] if single else results


def sentiment(model: Model, text: str | list[str],
              labels: Sequence[str] | str = SENTIMENT_LABELS,
              **options: Any) -> Classification | list[Classification]:
    """The sentiment of each text among ``labels`` (any wording, any number of grades)."""
    return _classify(model, text, labels, "labels", options)


def topic(model: Model, text: str | list[str], topics: Sequence[str] | str,
          **options: Any) -> Classification | list[Classification]:
    """The topic of each text among ``topics``."""
    return _classify(model, text, topics, "topics", options)


def _classify(model: Model, text: object, labels: object, field: str,
              options: dict[str, Any]) -> Classification | list[Classification]:
    batch, single = common.texts(text)
    results = model.classify(batch, common.names(labels, field), **options)
    return results[0] if single else results
