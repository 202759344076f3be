"""Pinned quality of the shipped default model, so a regression shows in CI.

The numbers are measured on held-in data (conll2003: trained on its train split; scored here on
a fixed seeded sample of its test split and of its dev split) with the shipped weights; a change
to the model, the featurizer or decoding that moves them by more than the tolerance fails.
Re-pin them (and say why in the commit) when a new model ships.
"""

from __future__ import annotations

import pytest

import seqgpt
from seqgpt.data import registry
from seqgpt.evaluate.runner import evaluate, sample
from seqgpt.types import SeqGPTError

#: conll2003 test, 50 seeded sentences (seed 0), entity micro-F1 of the shipped model (75.5
#: with h1 before it, 74.7 with np1, 72.0 with v6).
PINNED_CONLL_F1 = 77.9
TOLERANCE = 3.0
#: SNLI dev (the pair reader trained on SNLI train), 100 seeded pairs, accuracy of the shipped
#: model's NLI pair reader. Wider tolerance: 100 pairs, one answer is one point.
PINNED_SNLI_ACCURACY = 72.0
NLI_TOLERANCE = 5.0


def _shared_data() -> None:
    try:
        registry.data_root()
    except SeqGPTError as error:
        pytest.skip(f"the shared datasets are not beside the checkout ({error})")


def _instances(split: str, size: int):
    _shared_data()
    instances = [x for x in registry.read("conll2003", split) if x.task == "extract"]
    return sample(instances, size, 0, "conll2003")


@pytest.fixture(scope="module")
def nlu() -> seqgpt.Model:
    return seqgpt.load()


def test_held_in_f1_is_pinned(nlu: seqgpt.Model) -> None:
    [result] = evaluate(nlu, _instances("test", 50), batch_size=32).results
    assert 100 * result.f1 == pytest.approx(PINNED_CONLL_F1, abs=TOLERANCE)


def test_held_in_nli_accuracy_is_pinned(nlu: seqgpt.Model) -> None:
    _shared_data()
    pairs = sample(list(registry.read("glue_subsets_powerfulpromptft/SNLI", "dev")), 100, 0,
                   "snli-pinned")
    [result] = evaluate(nlu, pairs, batch_size=32).results
    assert 100 * result.accuracy == pytest.approx(PINNED_SNLI_ACCURACY, abs=NLI_TOLERANCE)


def test_a_long_document_finds_what_its_sentences_find(nlu: seqgpt.Model) -> None:
    # 200 sentences (370 entities; at 60 one entity moved recall by a point) joined into one
    # document. Recall lost to windowing with the shipped model: 3.5 points (5.1 when a span
    # took its best score over every window, not the score of the window holding it centrally).
    instances = _instances("dev", 200)
    labels = sorted({label for x in instances for label in x.labels})
    gold_sentences = {(i, s.start, s.end, s.label) for i, x in enumerate(instances)
                      for s in x.spans}
    alone = {(i, s.start, s.end, s.label) for i, r in
             enumerate(nlu.extract([x.text for x in instances], labels)) for s in r.spans}
    document, offsets = "", []
    for x in instances:
        offsets.append(len(document))
        document += x.text + " "
    found = {(s.start, s.end, s.label) for s in nlu.extract(document, labels).spans}
    gold = {(offsets[i] + a, offsets[i] + b, label) for i, a, b, label in gold_sentences}
    recall_alone = len(alone & gold_sentences) / len(gold_sentences)
    recall_document = len(found & gold) / len(gold)
    assert recall_document >= recall_alone - 0.05, (recall_alone, recall_document)


def test_a_repeated_sentence_gives_repeated_spans(nlu: seqgpt.Model) -> None:
    sentence = "Angela Merkel met Emmanuel Macron in Paris on Friday."
    once = nlu.extract(sentence, ["person", "city"]).spans
    assert {s.text for s in once} >= {"Angela Merkel", "Emmanuel Macron", "Paris"}
    text = " ".join([sentence] * 40)
    spans = nlu.extract(text, ["person", "city"]).spans
    for name in ("Angela Merkel", "Emmanuel Macron", "Paris"):
        assert sum(s.text == name for s in spans) >= 36, name  # 40 copies, a few may slip
