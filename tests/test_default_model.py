"""The shipped default model: loads offline from the package and answers in English and Chinese."""

from __future__ import annotations

import pytest
import torch

import seqgpt


@pytest.fixture(scope="module")
def nlu() -> seqgpt.Model:
    return seqgpt.load()


def test_loads_offline_with_no_network(monkeypatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    model = seqgpt.load()
    assert model.extract("Tim Cook visited Beijing.", ["person"]).text


def test_english_and_chinese_spans_are_valid(nlu: seqgpt.Model) -> None:
    texts = ["Tim Cook visited Beijing last week with Apple engineers.",
             "阿里巴巴集团于1999年在杭州成立，创始人是马云。"]
    for result in nlu.extract(texts, ["person", "city", "company", "人物", "城市", "公司"]):
        for span in result.spans:
            assert result.text[span.start:span.end] == span.text
            assert 0.0 <= span.score <= 1.0


def test_classify_scores_every_label(nlu: seqgpt.Model) -> None:
    c = nlu.classify("I loved this movie, the acting was wonderful.", ["positive", "negative"])
    assert set(c.scores) == {"positive", "negative"} and len(c.labels) == 1
    assert all(0.0 <= s <= 1.0 for s in c.scores.values())


def test_sensible_answers_in_english_and_chinese(nlu: seqgpt.Model) -> None:
    english = nlu.extract("Tim Cook visited Beijing last week with Apple engineers.",
                          ["person", "city", "company"])
    assert ("person", "Tim Cook") in [(s.label, s.text) for s in english.spans]
    assert ("city", "Beijing") in [(s.label, s.text) for s in english.spans]
    chinese = nlu.extract("阿里巴巴集团于1999年在杭州成立，创始人是马云。",
                          ["人物", "城市", "公司"])
    assert ("人物", "马云") in [(s.label, s.text) for s in chinese.spans]
    c = nlu.classify("What is the capital of France?", ["location", "person", "number"])
    assert c.labels == ["location"]


def test_an_opinion_question_gets_a_clause_and_a_factoid_question_a_span(
        nlu: seqgpt.Model) -> None:
    review = "The screen is bright. Battery life is poor, it barely lasts a day."
    assert nlu.answer(review, "How is the battery?").text == "Battery life is poor"
    assert nlu.answer("Tim Cook visited Beijing in May.", "Who visited Beijing?").text == (
        "Tim Cook")
    # about a text in the first person, a question no form marks as an opinion wants a
    # statement too, unless it asks a name, a number, a place or a time
    stay = "We stayed two nights in May. The staff were friendly and helpful, and our room " \
        "was spotless."
    assert nlu.answer(stay, "What is the staff?").text == "The staff were friendly and helpful"
    assert nlu.answer(stay, "When did they stay?").text == "May"


def test_single_label_scores_are_a_distribution_multi_label_scores_are_not(
        nlu: seqgpt.Model) -> None:
    labels = ["positive", "negative", "neutral"]
    single = nlu.classify("I hated every minute of it.", labels)
    assert single.labels == ["negative"]
    assert abs(sum(single.scores.values()) - 1.0) < 1e-3
    multi = nlu.classify("I hated every minute of it.", labels, multi_label=True)
    assert multi.labels == [label for label in labels if multi.scores[label] >= 0.5]
    # multi-label scores are the head's own, the same as single-label without the blend
    head_only = nlu.classify("I hated every minute of it.", labels, similarity_weight=0.0)
    assert head_only.scores == multi.scores


def test_minilm_shares_the_cosine_term_only_for_english_texts_and_labels(
        nlu: seqgpt.Model) -> None:
    from seqgpt.encoders import minilm_reads

    assert minilm_reads("Book a table, s'il vous plait") and minilm_reads("2024-05-03 !!")
    assert not minilm_reads("Le café était très bon") and not minilm_reads("阿里巴巴在杭州")
    labels = ["travel", "cooking", "banking"]
    english, chinese = "Book me a flight to Paris.", "帮我订一张去巴黎的机票。"
    e5_alone = nlu.classify([english, chinese], labels, minilm_weight=0.0)
    shared = nlu.classify([english, chinese], labels, minilm_weight=0.5)
    minilm = nlu.backend.minilm([english], labels)[0]
    assert minilm.argmax().item() == 0  # MiniLM alone knows where a flight belongs
    assert shared[0].scores != pytest.approx(e5_alone[0].scores, abs=1e-4)
    assert shared[0].labels == ["travel"]
    # a Chinese text, or any label MiniLM cannot read, keeps E5's cosines alone
    assert shared[1].scores == pytest.approx(e5_alone[1].scores, abs=1e-4)
    mixed = ["travel", "烹饪", "banking"]
    assert nlu.classify(english, mixed, minilm_weight=0.5).scores == pytest.approx(
        nlu.classify(english, mixed, minilm_weight=0.0).scores, abs=1e-4)
    with pytest.raises(seqgpt.SeqGPTError, match="minilm_weight must be a number in"):
        nlu.classify(english, labels, minilm_weight=2)


def test_the_head_counts_in_proportion_to_the_labels_it_was_taught(nlu: seqgpt.Model) -> None:
    from dataclasses import replace

    backend = nlu.backend
    config = backend.model.config
    assert config.class_names and "joy" in config.class_names  # the mixture's gold names
    assert backend.familiarity(["Joy ", "sadness"]) == 1.0
    text = "What does the abbreviation NASA stand for?"
    unknown = ["answer is a person", "answer is a number", "answer is a place"]
    assert backend.familiarity(unknown) == 0.0
    # a label set the head was never taught is the sentence encoders' alone (no head pass)
    alone = backend.cosine_term([text], unknown, backend.options)[0].softmax(-1)
    assert list(nlu.classify(text, unknown).scores.values()) == pytest.approx(
        alone.tolist(), abs=1e-4)
    # half of a set taught: the head gets half of its share of the blend; a folder that
    # records no class names gives the head its whole share, as before
    mixed = ["joy", "sadness", "answer is a person", "answer is a number"]
    assert backend.familiarity(mixed) == 0.5
    gated = nlu.classify(text, mixed).scores
    weight = backend.options.similarity_weight
    try:
        backend.model.config = replace(config, class_names=None)
        assert backend.familiarity(mixed) == 1.0
        assert gated == pytest.approx(nlu.classify(
            text, mixed, similarity_weight=1 - (1 - weight) / 2).scores, abs=1e-4)
        assert gated != pytest.approx(nlu.classify(text, mixed).scores, abs=1e-4)
    finally:
        backend.model.config = config


def test_span_typing_moves_labels_never_spans(nlu: seqgpt.Model) -> None:
    texts = ["Barack Obama flew to Paris with a vial of sarin gas.",
             "The rebels fired an AK-47 at the convoy near Mosul on Tuesday.",
             "阿里巴巴集团于1999年在杭州成立，创始人是马云。"]
    labels = ["person", "place", "weapon", "substance", "date", "组织"]
    head = nlu.extract(texts, labels, span_typing_weight=0.0)
    cosine = nlu.extract(texts, labels, span_typing_weight=1.0)
    changed = 0
    for plain, typed in zip(head, cosine, strict=True):
        # the same spans with the same scores: only a label can change
        assert [(s.start, s.end, s.score) for s in plain.spans] == \
            [(s.start, s.end, s.score) for s in typed.spans]
        for span, before in zip(typed.spans, plain.spans, strict=True):
            term = nlu.backend.cosine_term([span.text], labels, nlu.backend.options)[0]
            assert span.label == labels[int(term.argmax())]  # weight 1: the cosine term alone
            changed += span.label != before.label
    assert changed  # the cosine and the head disagree somewhere, else this tests nothing
    # at the default weight, spans whose head lead no cosine could close skip the encoders:
    # the labels are still those of the blend over every span
    from seqgpt.backends.compact import TYPING_FLOOR, _blend

    backend, weight = nlu.backend, 0.4
    found = backend.candidates(texts, labels, backend.options.updated(
        {"threshold": TYPING_FLOOR}))
    for result, scores in zip(nlu.extract(texts, labels, span_typing_weight=weight), found,
                              strict=True):
        for span in result.spans:
            head = torch.tensor([[scores.get((span.start, span.end, label), TYPING_FLOOR)
                                  for label in labels]])
            term = backend.cosine_term([span.text], labels, backend.options)
            assert span.label == labels[int(_blend(head, term, weight).argmax())]
    # the order the labels come in changes nothing, and one label leaves nothing to choose
    shuffled = nlu.extract(texts, labels[::-1], span_typing_weight=0.5)
    assert [r.spans for r in shuffled] == [r.spans for r in nlu.extract(
        texts, labels, span_typing_weight=0.5)]
    alone = nlu.extract(texts, ["person"], span_typing_weight=1.0)
    assert alone == nlu.extract(texts, ["person"], span_typing_weight=0.0)
    with pytest.raises(seqgpt.SeqGPTError, match="span_typing_weight must be a number in"):
        nlu.extract(texts, labels, span_typing_weight=1.5)


def test_many_labels_are_read_in_one_pass_and_still_ranked(nlu: seqgpt.Model) -> None:
    # "joy" is a class the head was taught, so the head has a share of the blend and reads
    labels = [f"unrelated topic {i}" for i in range(40)] + ["travel", "cooking", "banking", "joy"]
    texts = ["Book me a flight to Paris and a hotel near the station.",
             "How long should I bake the bread, and at what temperature?"]
    assert 0 < nlu.backend.familiarity(labels) < 1
    results = nlu.classify(texts, labels)
    assert [r.labels for r in results] == [["travel"], ["cooking"]]
    for r in results:
        assert set(r.scores) == set(labels) and abs(sum(r.scores.values()) - 1.0) < 1e-3
    passes = []
    original = nlu.backend.featurizer.windows
    nlu.backend.featurizer.windows = lambda text, group: passes.append(group) or original(
        text, group)
    try:
        nlu.classify(texts[:1], labels)
        assert len(passes) == 1 and len(passes[0]) == nlu.backend.options.max_labels_per_pass
        nlu.classify(texts[:1], labels[:-1])  # none of them taught: the cosines alone
    finally:
        del nlu.backend.featurizer.windows
    assert len(passes) == 1


def test_bfloat16_option_gives_the_same_answers_with_close_scores(nlu: seqgpt.Model) -> None:
    texts = ["Tim Cook visited Beijing last week with Apple engineers.",
             "阿里巴巴集团于1999年在杭州成立，创始人是马云。"]
    # One language's labels per text: "company" and "公司" tie on 阿里巴巴集团 (0.712 vs 0.715),
    # and a tie may fall either way at a lower precision.
    for text, labels in zip(texts, (["person", "city", "company"], ["人物", "城市", "公司"]),
                            strict=True):
        full, half = nlu.extract(text, labels), nlu.extract(text, labels, bfloat16=True)
        assert [(s.label, s.start, s.end) for s in full.spans] == \
            [(s.label, s.start, s.end) for s in half.spans]
        for a, b in zip(full.spans, half.spans, strict=True):
            assert abs(a.score - b.score) < 0.05
    question = "What is the capital of France?"
    classes = ["location", "person", "number"]
    full, half = nlu.classify(question, classes), nlu.classify(question, classes, bfloat16=True)
    assert half.labels == full.labels == ["location"]
    assert all(abs(full.scores[k] - half.scores[k]) < 0.05 for k in classes)
    with pytest.raises(seqgpt.SeqGPTError, match="option bfloat16 must be true or false"):
        nlu.extract(texts[0], labels, bfloat16="yes")


def test_nli_reads_the_pair(nlu: seqgpt.Model) -> None:
    # the pair reader (pairs.safetensors) ships with the default model
    assert nlu.nli("A man is playing a guitar on stage.",
                   "A man is performing music.").labels == ["entailment"]
    assert nlu.nli("A man is sleeping in his bed.",
                   "A man is running a marathon.").labels == ["contradiction"]
    assert nlu.nli("A woman is cutting vegetables.",
                   "The woman is a famous chef.").labels == ["neutral"]
    assert nlu.nli("两个孩子在公园里踢足球。", "孩子们在户外玩耍。",
                   ["蕴含", "中立", "矛盾"]).labels == ["蕴含"]


def test_shipped_weights_stay_within_their_size_budget() -> None:
    from seqgpt.api import DEFAULT_MODEL

    # the budget for the folder's weights (span model + readers): 60 MB
    total = sum(f.stat().st_size for f in DEFAULT_MODEL.glob("*.safetensors"))
    assert total <= 60_000_000, f"{total / 1e6:.1f} MB of weights in {DEFAULT_MODEL}"
