"""The compact backend's machinery on a tiny random encoder: windows, label groups, offsets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqgpt import prompt
from seqgpt.api import Model
from seqgpt.backends.compact import CompactBackend, _decode, _owners, save
from seqgpt.data.instance import AtomicInstance
from seqgpt.model.spans import Featurizer, LabelTooLongError, SpanModel, SpanModelConfig, collate
from seqgpt.model.words import split_words
from seqgpt.types import SeqGPTError, Span


@pytest.fixture(scope="module")
def tiny_compact() -> Model:
    import torch

    from seqgpt.encoders import e5_tokenizer
    from seqgpt.model.bert import Bert, BertConfig

    tokenizer = e5_tokenizer()
    torch.manual_seed(0)
    encoder = Bert(BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=32,
                                   max_position_embeddings=128))
    model = SpanModel(encoder, SpanModelConfig(max_width=4, max_tokens=128))
    model.tokenizer = tokenizer
    return Model(CompactBackend(model, tokenizer, "tiny"))


def test_words_cover_every_script() -> None:
    text = "Tim Cook's iPhone-15, 阿里巴巴 😀 café"
    words = [text[s:e] for s, e in split_words(text)]
    assert words == ["Tim", "Cook", "'", "s", "iPhone", "-", "15", ",", "阿", "里", "巴", "巴",
                     "😀", "café"]


def test_long_text_is_windowed_with_overlap(tiny_compact: Model) -> None:
    featurizer = tiny_compact.backend.featurizer
    text = " ".join(f"w{i}" for i in range(300))
    windows = featurizer.windows(text, ["person"])
    assert len(windows) > 2
    assert windows[0].words[0] == (0, 2) and windows[-1].words[-1][1] == len(text)
    for a, b in zip(windows, windows[1:], strict=False):
        assert b.words[0][0] < a.words[-1][1]  # consecutive windows overlap
    assert all(len(w.input_ids) <= 128 for w in windows)


def test_spans_never_cut_a_token(tiny_compact: Model) -> None:
    # "腾讯" and "北京" are single tokens holding two words (characters) each: no span may
    # start or end between their characters, since those cuts have no encoder state of their own.
    text = "李明毕业于北京大学，现任腾讯公司工程师。"
    tokenizer = tiny_compact.backend.featurizer.tokenizer
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)[
        "offset_mapping"]
    inside = {c for s, e in offsets for c in range(s + 1, e)}  # cuts within one token
    assert {text.index("讯"), text.index("京")} <= inside
    result = tiny_compact.extract(text, ["人名", "公司", "学校"], threshold=0.0, nested=True)
    assert result.spans  # threshold 0: every allowed span is a candidate
    assert all(s.start not in inside and s.end not in inside for s in result.spans)
    assert any(s.start == text.index("腾") for s in result.spans)  # whole tokens still start spans


def test_each_span_of_a_long_text_is_judged_by_the_window_holding_it_centrally() -> None:
    # one text, one label group, two windows listed out of reading order: chars 60-160 and
    # 0-100; they overlap on 60-100, so the first window owns up to char 80
    judge = _owners([(0, ("x",), 60, 160), (0, ("x",), 0, 100), (1, ("x",), 0, 100)])
    assert judge(1, 10, 20) == 1  # inside the first window's own part
    assert judge(1, 90, 95) == 0  # seen by the first window, owned by the second
    assert judge(0, 90, 95) == 0
    assert judge(1, 70, 100) is None  # its owner cuts it at its end: every window judges it
    assert judge(0, 150, 160) == 0  # the last window cuts nothing
    assert judge(2, 90, 100) == 2  # another text's single window owns all of it


def test_a_text_without_words_has_no_candidates(tiny_compact: Model) -> None:
    backend = tiny_compact.backend
    assert isinstance(backend, CompactBackend)
    options = backend.options.updated({"threshold": 0.0})
    found = backend.candidates(["\u3000", "a b"], ["x"], options)
    assert found[0] == {} and found[1]  # an ideographic space alone holds no word


def test_decode_flat_and_nested() -> None:
    candidates = {(0, 10, "org"): 0.9, (0, 4, "city"): 0.8, (5, 12, "x"): 0.7, (20, 25, "y"): 0.6}
    assert [k for k, _ in _decode(candidates, nested=False)] == [(0, 10, "org"), (20, 25, "y")]
    assert [k for k, _ in _decode(candidates, nested=True)] == [
        (0, 10, "org"), (0, 4, "city"), (20, 25, "y")]


def test_a_containing_span_can_outrank_the_unconfident_spans_inside_it() -> None:
    # "北京市政府" (org, 0.2) around "北京市" (loc, 0.31), "Tony Blinken" (1.0) inside a title
    candidates = {(0, 5, "org"): 0.2, (0, 3, "loc"): 0.31, (10, 48, "person"): 0.11,
                  (36, 48, "person"): 1.0, (50, 60, "x"): 0.5}
    plain = _decode(candidates, nested=False)
    assert [k for k, _ in plain] == [(36, 48, "person"), (50, 60, "x"), (0, 3, "loc")]
    assert _decode(candidates, nested=False, outer_ratio=1.0) == plain  # 1.0: as before
    kept = _decode(candidates, nested=False, outer_ratio=0.5, max_inner=0.8)
    assert [k for k, _ in kept] == [(36, 48, "person"), (50, 60, "x"), (0, 5, "org")]
    assert dict(kept)[(0, 5, "org")] == 0.2  # its own score, not the one it outranked
    # too weak against the inner span (0.2 < 0.7 x 0.31), or the inner span is confident
    assert (0, 3, "loc") in dict(_decode(candidates, nested=False, outer_ratio=0.7,
                                          max_inner=0.8))
    assert (0, 3, "loc") in dict(_decode(candidates, nested=False, outer_ratio=0.5,
                                          max_inner=0.3))
    assert (10, 48, "person") not in dict(_decode(candidates, nested=False, outer_ratio=0.1))
    # nested decoding keeps both anyway
    assert (0, 3, "loc") in dict(_decode(candidates, nested=True, outer_ratio=0.5))


def test_scores_and_thresholds(tiny_compact: Model) -> None:
    text = "Tim Cook visited Beijing. 阿里巴巴集团于1999年在杭州成立"
    everything = tiny_compact.extract(text, ["person", "city"], threshold=0.0, nested=True)
    assert everything.spans and all(0 <= s.score <= 1 for s in everything.spans)
    assert tiny_compact.extract(text, ["person"], threshold=1.0).spans == []
    c = tiny_compact.classify(text, ["a", "b", "c"])
    assert len(c.labels) == 1 and c.labels[0] == max(c.scores, key=c.scores.get)
    multi = tiny_compact.classify(text, ["a", "b", "c"], multi_label=True, threshold=0.0)
    assert sorted(multi.labels) == ["a", "b", "c"]
    with pytest.raises(SeqGPTError, match="threshold must be a number in"):
        tiny_compact.extract(text, ["a"], threshold=2)
    with pytest.raises(SeqGPTError, match="unknown option 'beams'"):
        tiny_compact.extract(text, ["a"], beams=2)
    with pytest.raises(SeqGPTError, match="cosine_floor must be a positive number"):
        tiny_compact.classify(text, ["a", "b"], cosine_floor=0)


def test_many_labels_and_huge_text(tiny_compact: Model) -> None:
    labels = [f"label number {i}" for i in range(500)]
    text = ("Ünïcödé 😀 mixed 中文 text\n\n" * 2500)[:50_000]
    result = tiny_compact.extract(text, labels[:3], threshold=0.9)
    assert all(text[s.start:s.end] == s.text for s in result.spans)
    c = tiny_compact.classify("short text", labels)
    assert set(c.scores) == set(labels)


def test_save_and_load_roundtrip(tiny_compact: Model, tmp_path: Path, monkeypatch) -> None:
    model = tiny_compact.backend.model
    save(model, tmp_path, card={"note": "test"})
    import seqgpt.backends.compact as compact

    def rebuild(config: SpanModelConfig) -> SpanModel:
        fresh = SpanModel(type(model.encoder)(model.encoder.config), config)
        fresh.encoder.embeddings.word_embeddings.weight.data.copy_(
            model.encoder.embeddings.word_embeddings.weight.data)  # the "package" part
        fresh.tokenizer = model.tokenizer
        return fresh

    monkeypatch.setattr(compact, "build", rebuild)
    loaded = Model(CompactBackend.from_folder(tmp_path))
    text = "Tim Cook visited Beijing."
    a = tiny_compact.classify(text, ["x", "y"]).scores
    b = loaded.classify(text, ["x", "y"]).scores
    assert a == pytest.approx(b, abs=2e-3)  # fp16 storage
    # a folder written before an option was retired still loads; a caller passing it is told
    config = json.loads((tmp_path / "seqgpt_config.json").read_text())
    config["inference"] = {"threshold": 0.3, "head_logit_floor": 0.78}
    (tmp_path / "seqgpt_config.json").write_text(json.dumps(config))
    older = CompactBackend.from_folder(tmp_path)
    assert older.options.threshold == 0.3
    with pytest.raises(SeqGPTError, match="option 'head_logit_floor' was retired: the single"):
        Model(older).classify(text, ["x", "y"], head_logit_floor=0.78)
    (tmp_path / "seqgpt_config.json").write_text("{}")
    with pytest.raises(SeqGPTError, match="not a seqgpt compact model config"):
        CompactBackend.from_folder(tmp_path)


def test_classification_reads_the_text_and_label_tokens(tiny_compact: Model) -> None:
    featurizer = tiny_compact.backend.featurizer
    features = featurizer.windows("Tim Cook visited Beijing.", ["city", "chief executive"])
    batch = collate(features, 4, 1)
    ids = features[0].input_ids
    text_ids = featurizer.text_tokens("Tim Cook visited Beijing.")[0]
    assert [ids[t] for t in batch["text_mask"][0].nonzero().flatten()] == text_ids
    weights = batch["label_tokens"][0]
    assert weights.sum(-1).tolist() == pytest.approx([1.0, 1.0])
    for k, label in enumerate(["city", "chief executive"]):
        read = [ids[t] for t in weights[k].nonzero().flatten()]
        assert read == [featurizer.marker_id, *featurizer.label_ids(label)]


def test_configs_keep_the_class_names_the_head_was_taught() -> None:
    config = SpanModelConfig(class_names=("joy", "sadness"))
    again = SpanModelConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and again.class_names == ("joy", "sadness")
    assert SpanModelConfig.from_dict({"class_pooling": "mean"}).class_names is None


def test_training_records_the_class_names_it_teaches(tiny_compact: Model, tmp_path: Path) -> None:
    from dataclasses import replace

    from seqgpt.train.compact import Trainer, TrainingArgs, taught_class_names

    texts = [AtomicInstance(text="I am so happy", task="classify", labels=["Joy ", "anger"],
                            dataset="d", split="train", language="en", gold=["Joy "]),
             AtomicInstance(text="premise\nhypothesis", task="classify",
                            labels=["entailment", "neutral"], dataset="d", split="train",
                            language="en", gold=["entailment"]),  # a pair text: its reader's
             AtomicInstance(text="Paris", task="extract", labels=["city"], dataset="d",
                            split="train", language="en", spans=[Span("city", "Paris", 0, 5)])]
    assert taught_class_names(texts, ["sadness"]) == ("joy", "sadness")
    model = tiny_compact.backend.model
    start = model.config
    try:
        model.config = replace(start, class_names=("sadness",))
        Trainer(model, texts, tmp_path / "a", TrainingArgs(steps=1))
        assert model.config.class_names == ("joy", "sadness")
        model.config = replace(start, class_names=None)  # a folder that never recorded them
        Trainer(model, texts, tmp_path / "b", TrainingArgs(steps=1))
        assert model.config.class_names is None
    finally:
        model.config = start


def test_configs_saved_before_class_pooling_keep_the_cls_read_out() -> None:
    assert SpanModelConfig.from_dict({"max_width": 4}).class_pooling == "cls"
    assert SpanModelConfig.from_dict({"class_pooling": "mean"}).class_pooling == "mean"
    assert SpanModelConfig().class_pooling == "mean"
    with pytest.raises(ValueError, match="class_pooling must be"):
        SpanModelConfig(class_pooling="max")


def test_training_examples_map_gold_spans_to_words(tiny_compact: Model) -> None:
    from seqgpt.train.compact import TrainingArgs, make_examples

    text = "Tim Cook visited Beijing."
    inst = AtomicInstance(text, "extract", ["person", "city"], "t", "train", "en",
                          spans=[Span("person", "Tim Cook", 0, 8), Span("city", "Beijing", 17, 24)])
    featurizer = Featurizer(tiny_compact.backend.featurizer.tokenizer,
                            tiny_compact.backend.model.config)
    [example] = make_examples(inst, featurizer, random.Random(0),
                              TrainingArgs(label_augment_rate=0.0))
    named = sorted((i, j, example.labels[k]) for i, j, k in example.gold_spans)
    assert named == [(0, 1, "person"), (3, 3, "city")]


def test_training_masks_what_is_unknown(tiny_compact: Model) -> None:
    from seqgpt.train.compact import TrainingArgs, batch_targets, make_examples

    featurizer = Featurizer(tiny_compact.backend.featurizer.tokenizer,
                            tiny_compact.backend.model.config)
    width = featurizer.config.max_width
    args = TrainingArgs(label_augment_rate=0.0)
    typed = AtomicInstance("Tim Cook visited Beijing.", "extract", ["person", "businessman"],
                           "t", "train", "en", meta={"partial": True},
                           spans=[Span("person", "Tim Cook", 0, 8),
                                  Span("businessman", "Tim Cook", 0, 8)])
    full = AtomicInstance("阿里巴巴在杭州。", "extract", ["公司"], "t", "train", "zh",
                          spans=[Span("公司", "阿里巴巴", 0, 4)])
    examples = [ex for inst in (typed, full)
                for ex in make_examples(inst, featurizer, random.Random(0), args)]
    batch = collate([ex.features for ex in examples], width, 1)
    batch_targets(examples, width, batch)
    # partial: only the one typed mention is known, under both of its types
    assert batch["span_known"][0].nonzero().flatten().tolist() == [1]
    assert batch["span_targets"][0, 1].tolist() == [1.0, 1.0]
    # full annotation: every span on token boundaries is known, none that cuts a token
    feature = examples[1].features
    spans = [(i, j) for i in range(len(feature.words))
             for j in range(i, min(len(feature.words), i + width))]
    known = batch["span_known"][1, :len(spans)].tolist()
    first, last = feature.word_first_token, feature.word_last_token
    for (i, j), is_known in zip(spans, known, strict=True):
        cuts = (i > 0 and first[i] == last[i - 1]) or (j < len(first) - 1
                                                       and last[j] == first[j + 1])
        assert is_known == (not cuts)
    assert any(known) and not all(known)  # 阿里巴巴 spans several characters per token


def test_long_texts_keep_their_windows(tiny_compact: Model) -> None:
    from seqgpt.train.compact import TrainingArgs, make_examples

    featurizer = Featurizer(tiny_compact.backend.featurizer.tokenizer,
                            tiny_compact.backend.model.config)
    text = " ".join(["word"] * 400) + " Tim Cook"
    inst = AtomicInstance(text, "extract", ["person"], "t", "train", "en",
                          spans=[Span("person", "Tim Cook", len(text) - 8, len(text))])
    args = TrainingArgs(max_tokens=64, max_windows=2)
    examples = make_examples(inst, featurizer, random.Random(0), args)
    assert len(examples) == 2
    assert any(ex.gold_spans for ex in examples)  # the window with the mention is kept


def test_label_order_does_not_change_answers(tiny_compact: Model) -> None:
    text = "Tim Cook visited Beijing and met Angela Merkel at Apple's store."
    labels = ["person", "city", "company", "organization", "event"]
    a = tiny_compact.extract(text, labels, threshold=0.0, nested=True)
    b = tiny_compact.extract(text, labels[::-1], threshold=0.0, nested=True)
    assert [(s.label, s.start, s.end, s.score) for s in a.spans] == \
        [(s.label, s.start, s.end, s.score) for s in b.spans]
    assert tiny_compact.classify(text, labels).scores == \
        tiny_compact.classify(text, labels[::-1]).scores


def test_labels_needing_several_passes_read_siblings_together(tiny_compact: Model) -> None:
    backend = tiny_compact.backend
    opts = backend.options.updated({"max_labels_per_pass": 3})
    labels = ["arrival weekday", "airline", "city", "departure weekday", "arrival city",
              "weekday"]
    groups = backend.label_groups(labels, opts)
    assert sorted(x for g in groups for x in g) == sorted(labels)
    by_label = {x: n for n, g in enumerate(groups) for x in g}
    # names sharing their last word compete in one pass (alphabetical order would split them)
    assert by_label["weekday"] == by_label["arrival weekday"] == by_label["departure weekday"]
    assert by_label["city"] == by_label["arrival city"]
    assert backend.label_groups(labels[::-1], opts) == groups  # still a set
    # one pass: the plain sorted order, as before
    assert backend.label_groups(labels, backend.options) == [sorted(labels)]
    text = "Fly from Boston to Denver on monday with Delta."
    a = tiny_compact.extract(text, labels, threshold=0.0, max_labels_per_pass=3)
    b = tiny_compact.extract(text, labels[::-1], threshold=0.0, max_labels_per_pass=3)
    assert [(x.label, x.start, x.end, x.score) for x in a.spans] == \
        [(x.label, x.start, x.end, x.score) for x in b.spans]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1).filter(str.strip),
       labels=st.lists(st.text(min_size=1).map(prompt.sanitize_label).filter(bool),
                       min_size=1, max_size=6, unique=True))
def test_random_inputs_give_valid_offsets(tiny_compact: Model, text: str, labels: list) -> None:
    featurizer = tiny_compact.backend.featurizer
    limit = featurizer.config.max_label_tokens
    if any(len(featurizer.tokenizer(x, add_special_tokens=False)["input_ids"]) > limit
           for x in labels):
        with pytest.raises(LabelTooLongError, match=f"at most {limit} tokens"):
            tiny_compact.extract(text, labels)
        return
    result = tiny_compact.extract(text, labels, threshold=0.3)
    for span in result.spans:
        assert text[span.start:span.end] == span.text and 0 <= span.score <= 1


def test_multi_label_classify_has_its_own_threshold(tiny_compact: Model) -> None:
    text, labels = "Tim Cook visited Beijing.", ["x", "y", "z"]
    backend = tiny_compact.backend
    start = backend.options
    try:
        backend.options = start.updated({"threshold": 0.0, "label_threshold": 1.0})
        assert tiny_compact.classify(text, labels, multi_label=True).labels == []
        # the one threshold classify has: a call's threshold is the label threshold
        assert len(tiny_compact.classify(text, labels, multi_label=True, threshold=0.0).labels) == 3
        assert backend.options.label_threshold == 1.0  # the call did not change the defaults
    finally:
        backend.options = start


def test_a_threshold_sweep_scores_once_and_matches_fresh_passes(
        tiny_compact: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    from seqgpt.evaluate.runner import evaluate
    from seqgpt.train.devset import results_by_option, threshold_on

    backend = tiny_compact.backend
    texts = ["Tim Cook visited Beijing.", "Angela Merkel met Apple in Paris.",
             "阿里巴巴在杭州。"]
    labels = ["person", "city", "company"]
    # Thresholds inside the random model's score range, so each keeps a different set, and
    # gold = what the middle one finds: precision and recall then move with the threshold.
    scores = sorted(v for found in backend.candidates(texts, labels, backend.options.updated(
        {"threshold": 0.0})) for v in found.values())
    grid = tuple(scores[len(scores) * q // 4] for q in (1, 2, 3))
    gold = tiny_compact.extract(texts, labels, threshold=grid[1])
    instances = [AtomicInstance(t, "extract", labels, "t", "dev", "en", spans=g.spans)
                 for t, g in zip(texts, gold, strict=True)]
    calls = []
    score = CompactBackend._score
    monkeypatch.setattr(CompactBackend, "_score",
                        lambda self, *a, **k: calls.append(1) or score(self, *a, **k))
    swept = results_by_option(backend, instances, "threshold", grid)
    assert len(calls) == 1  # one batch of three texts, scored once for the whole grid
    found = []
    for threshold in grid:
        fresh = evaluate(Model(CompactBackend(backend.model, backend.model.tokenizer, "t",
                                              backend.options.updated(
                                                  {"threshold": threshold}))), instances)
        [got], [want] = swept[threshold], fresh.results
        assert (got.precision, got.recall, got.f1) == (want.precision, want.recall, want.f1)
        found.append((got.precision, got.recall))
    assert len(set(found)) == 3  # each threshold answered differently
    best, means = threshold_on(backend, instances, grid)
    assert means == {t: swept[t][0].f1 for t in grid} and means[best] == max(means.values())


def test_spans_of_only_symbols_are_dropped_unless_asked(tiny_compact: Model) -> None:
    text = "@ Bob -- 😀 joined !"
    shown = tiny_compact.extract(text, ["person"], threshold=0.0, nested=True)
    assert shown.spans and all(any(c.isalnum() for c in s.text) for s in shown.spans)
    kept = tiny_compact.extract(text, ["person"], threshold=0.0, nested=True, symbol_spans=True)
    assert {"@", "--", "😀", "!"} <= {s.text for s in kept.spans}
    with pytest.raises(SeqGPTError, match="symbol_spans must be true or false"):
        tiny_compact.extract(text, ["person"], symbol_spans="yes")


def test_the_blend_lets_a_sure_head_keep_its_label_and_an_unsure_one_defer() -> None:
    from seqgpt.backends.compact import _blend

    cosines = torch.tensor([[-1.0, 1.0, 0.0]] * 2)  # standardised: the encoders prefer label 1
    sure = [0.98, 0.01, 0.01]  # logits about 3.9, -4.6, -4.6: a label set it was trained on
    unsure = [0.08, 0.05, 0.05]  # every label low, label 0 barely ahead
    scores = _blend(torch.tensor([sure, unsure]), cosines, 0.8)
    assert scores.argmax(-1).tolist() == [0, 1]
    assert torch.allclose(scores.sum(-1), torch.ones(2))
    # a label the head did not read (nan) ranks as its text's lowest head term
    unread = _blend(torch.tensor([[0.9, float("nan"), 0.1]]), torch.zeros(1, 3), 0.0)
    assert unread[0, 1] == pytest.approx(unread[0, 2])
