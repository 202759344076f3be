"""Metrics against values computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import pytest

from seqgpt.evaluate.metrics import (
    Counts,
    Report,
    Scorer,
    average,
    combined_score,
    exact_match,
    offset_key,
    rouge,
    rouge_l,
    rouge_n,
    set_counts,
    span_keys,
    string_key,
    tokenize,
)
from seqgpt.types import Span


def test_partial_overlap_span_is_one_false_positive_and_one_false_negative() -> None:
    # gold: "Tim Cook" person 0-8, "Beijing" city 17-24; predicted "Tim" 0-3 and Beijing.
    gold = [offset_key("person", 0, 8), offset_key("city", 17, 24)]
    pred = [offset_key("person", 0, 3), offset_key("city", 17, 24)]
    counts = set_counts(pred, gold)
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 1)
    assert counts.precision == 0.5 and counts.recall == 0.5 and counts.f1 == 0.5


def test_micro_counts_add_up_over_instances() -> None:
    total = Counts()
    total.add(set_counts([("person", 0, 3), ("city", 17, 24)],
                         [("person", 0, 8), ("city", 17, 24)]))
    total.add(set_counts([], [("org", 0, 5)]))  # nothing predicted
    # tp 1, fp 1, fn 2: P = 1/2, R = 1/3, F1 = 2 * 1/6 / (5/6) = 0.4
    assert total.precision == pytest.approx(0.5)
    assert total.recall == pytest.approx(1 / 3)
    assert total.f1 == pytest.approx(0.4)


def test_same_label_different_type_is_wrong() -> None:
    counts = set_counts([("org", 0, 8)], [("person", 0, 8)])
    assert (counts.tp, counts.fp, counts.fn) == (0, 1, 1)


def test_string_keys_ignore_surrounding_and_repeated_whitespace() -> None:
    assert string_key("city", " New  York ") == string_key("city", "New York")
    counts = set_counts([string_key("city", "New York"), string_key("city", "Paris")],
                        [string_key("city", "New  York")])
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)


def test_empty_prediction_and_empty_gold() -> None:
    nothing_found = set_counts([], [("person", 0, 8)])
    assert (nothing_found.precision, nothing_found.recall, nothing_found.f1) == (0.0, 0.0, 0.0)
    spurious = set_counts([("person", 0, 8)], [])
    assert (spurious.precision, spurious.recall, spurious.f1) == (0.0, 0.0, 0.0)
    # Nothing to find and nothing predicted: a perfect answer.
    both_empty = set_counts([], [])
    assert (both_empty.precision, both_empty.recall, both_empty.f1) == (1.0, 1.0, 1.0)


def test_multi_label_accuracy_and_micro_f1() -> None:
    scorer = Scorer("toy", "test", "classify")
    scorer.add_labels(["a"], ["a", "b"], "a", "a，b")         # tp 1, fn 1, not exact
    scorer.add_labels(["c", "a"], ["c"], "c，a", "c")          # tp 1, fp 1, not exact
    scorer.add_labels(["b"], ["b"], "b", "b")                  # tp 1, exact
    result = scorer.result()
    # tp 3, fp 1, fn 1 -> P = R = F1 = 3/4; accuracy 1/3
    assert result.precision == pytest.approx(0.75)
    assert result.recall == pytest.approx(0.75)
    assert result.f1 == pytest.approx(0.75)
    assert result.accuracy == pytest.approx(1 / 3)


def test_exact_match_ignores_order_but_not_extra_labels() -> None:
    assert exact_match(["b", "a"], ["a", "b"])
    assert not exact_match(["a", "b"], ["a"])
    assert exact_match([], [])


def test_tokenizer_splits_chinese_by_character_and_english_by_word() -> None:
    assert tokenize("Tim Cook访问了北京，OK!") == ["tim", "cook", "访", "问", "了", "北", "京",
                                                  "ok"]
    assert tokenize("person: None\tFoo_Bar") == ["person", "none", "foo", "bar"]
    assert tokenize("ＡＢＣ２０２３年") == ["abc2023", "年"]
    assert tokenize("  ，。 ") == []


def test_chinese_rouge() -> None:
    # pred 北 京 大 学, gold 北 京.
    # ROUGE-1: overlap 2, P = 2/4, R = 2/2, F = 2 * 0.5 * 1 / 1.5 = 2/3
    # ROUGE-2: pred bigrams 北京 京大 大学, gold 北京: P = 1/3, R = 1, F = 0.5
    # ROUGE-L: LCS 北京 = 2 -> same as ROUGE-1 = 2/3
    scores = rouge("北京大学", "北京")
    assert scores.rouge1 == pytest.approx(2 / 3)
    assert scores.rouge2 == pytest.approx(0.5)
    assert scores.rougeL == pytest.approx(2 / 3)


def test_chinese_extraction_answer_rouge() -> None:
    # 地 点 杭 州 vs 地 点 北 京: R1 = 2/4 = 0.5; bigrams 地点 点杭 杭州 vs 地点 点北 北京: 1/3;
    # LCS 地点 = 2 -> 0.5
    scores = rouge("地点: 杭州", "地点: 北京")
    assert (scores.rouge1, scores.rouge2, scores.rougeL) == pytest.approx((0.5, 1 / 3, 0.5))


def test_english_rouge_l_uses_order() -> None:
    # a b c d vs b a c d: unigrams all shared (R1 = 1); bigrams ab bc cd vs ba ac cd: 1/3;
    # longest common subsequence "a c d" = 3 of 4 -> 0.75
    pred, gold = tokenize("a b c d"), tokenize("B A C D")
    assert rouge_n(pred, gold, 1) == pytest.approx(1.0)
    assert rouge_n(pred, gold, 2) == pytest.approx(1 / 3)
    assert rouge_l(pred, gold) == pytest.approx(0.75)


def test_rouge_counts_repeated_ngrams_at_most_as_often_as_gold() -> None:
    # pred "the the the", gold "the cat": unigram overlap clipped to 1: P = 1/3, R = 1/2 -> 0.4
    assert rouge_n(tokenize("the the the"), tokenize("the cat"), 1) == pytest.approx(0.4)


def test_rouge_edge_cases() -> None:
    assert rouge("", "") == rouge("positive", "positive")
    assert rouge("", "").mean == 1.0
    assert rouge("", "person: Tim").mean == 0.0
    assert rouge("person: Tim", "").mean == 0.0
    # One-word answers have no bigrams: ROUGE-2 follows whether the words are the same.
    assert rouge("Positive", "positive").rouge2 == 1.0
    assert rouge("positive", "negative").mean == 0.0


def test_combined_score_of_an_extraction_dataset() -> None:
    scorer = Scorer("toy", "test", "extract")
    # Spans: tp 1, fp 0, fn 1 -> P 1, R 1/2, F1 2/3.
    # Answer "person: Tim Cook / city: None" vs gold "person: Tim Cook / city: Beijing":
    # 5 tokens each, 4 shared -> R1 = 0.8; bigrams 3 of 4 shared -> R2 = 0.75; LCS 4 -> RL = 0.8
    scorer.add_spans([("person", 0, 8)], [("person", 0, 8), ("city", 17, 24)],
                     "person: Tim Cook\ncity: None", "person: Tim Cook\ncity: Beijing")
    result = scorer.result()
    assert result.f1 == pytest.approx(2 / 3)
    assert (result.rouge1, result.rouge2, result.rougeL) == pytest.approx((0.8, 0.75, 0.8))
    # combined = (2/3 + (0.8 + 0.75 + 0.8) / 3) / 2 = (0.66667 + 0.78333) / 2 = 0.725
    assert result.combined == pytest.approx(0.725)
    assert result.accuracy is None
    assert combined_score(0.5, 1.0) == 0.75


def test_average_is_unweighted_and_accuracy_only_over_classification() -> None:
    extract = Scorer("ner", "test", "extract")
    extract.add_spans([], [("person", 0, 3)], "person: None", "person: Tim")      # F1 0
    classify = Scorer("sentiment", "test", "classify")
    for _ in range(3):
        classify.add_labels(["positive"], ["positive"], "positive", "positive")  # F1 1, acc 1
    report = Report([extract.result(), classify.result()])
    avg = report.average
    assert avg.n == 4
    assert avg.f1 == pytest.approx(0.5)          # (0 + 1) / 2, not weighted by size
    assert avg.accuracy == pytest.approx(1.0)    # the extraction row has no accuracy
    assert average([extract.result()]).accuracy is None
    table = report.format_table().splitlines()
    assert table[0].split()[:4] == ["dataset", "split", "task", "n"]
    assert table[1].split()[:4] == ["ner", "test", "extract", "1"]
    assert table[1].split()[7] == "-"            # Acc does not apply to extraction
    assert table[-1].split()[0] == "average"
    data = report.to_dict()
    assert data["average"]["f1"] == 0.5 and data["results"][1]["accuracy"] == 1.0


def test_span_keys_by_offsets_and_by_strings() -> None:
    gold = [Span("city", "Paris", 0, 5), Span("city", "Paris", 10, 15)]
    pred = [Span("city", "Paris", 0, 5), Span("city", "Lyon", None, None),
            Span("city", "Nice", None, None)]
    by_offsets = set_counts(span_keys(pred, True), span_keys(gold, True))
    # one located hit; both unlocated phrases are false positives; the second Paris is missed
    assert (by_offsets.tp, by_offsets.fp, by_offsets.fn) == (1, 2, 1)
    by_strings = set_counts(span_keys(pred, False), span_keys(gold, False))
    # by strings the two gold Paris collapse into one key
    assert (by_strings.tp, by_strings.fp, by_strings.fn) == (1, 2, 0)
