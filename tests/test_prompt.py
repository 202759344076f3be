"""Golden tests of the upstream format: literal prompts and literal answers."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqgpt import prompt
from seqgpt.types import Span


def test_render_english_one_label() -> None:
    assert prompt.render("Tim Cook visited Beijing.", ["person"], "extract") == (
        "输入: Tim Cook visited Beijing.\n抽取: person\n输出: [GEN]")


def test_render_english_many_labels_classify() -> None:
    assert prompt.render("I loved it", ["positive", "negative", "neutral"], "classify") == (
        "输入: I loved it\n分类: positive，negative，neutral\n输出: [GEN]")


def test_render_chinese() -> None:
    text = "阿里巴巴集团于1999年在杭州成立，创始人是马云。"
    assert prompt.render(text, ["人物", "地点", "机构"], "extract") == (
        "输入: 阿里巴巴集团于1999年在杭州成立，创始人是马云。\n抽取: 人物，地点，机构\n输出: [GEN]")
    assert prompt.render(text, ["科技"], "classify").encode("utf-8") == (
        "输入: 阿里巴巴集团于1999年在杭州成立，创始人是马云。\n分类: 科技\n输出: [GEN]"
    ).encode()


def test_split_labels_accepts_both_commas() -> None:
    assert prompt.split_labels("person, city，公司 ,") == ["person", "city", "公司"]


def test_chunking_matches_numpy_array_split() -> None:
    labels = [f"l{i}" for i in range(7)]
    assert prompt.chunk_labels(labels, "extract") == [labels[:4], labels[4:]]
    thirteen = [f"l{i}" for i in range(13)]
    assert [len(c) for c in prompt.chunk_labels(thirteen, "extract")] == [5, 4, 4]
    assert prompt.chunk_labels(labels[:6], "extract") == [labels[:6]]
    assert prompt.chunk_labels(thirteen, "classify") == [thirteen]


@pytest.mark.parametrize("labels, problem", [
    ([], "empty"), ([""], "empty"), (["a", "a"], "duplicate"), (["a\nb"], "'\\n'"),
    (["a，b"], "'，'"), (["a,b"], "','"), (["a\tb"], "'\\t'"), ([3], "must be a string"),
])
def test_bad_labels_are_named(labels: list, problem: str) -> None:
    with pytest.raises(prompt.InputError, match=re.escape(problem)):
        prompt.check_labels(labels)


def test_format_extraction_is_upstream_answer() -> None:
    answer = prompt.format_extraction({"person": ["Tim Cook", "Jobs"], "city": []})
    assert answer == "person: Tim Cook\tJobs\ncity: None"


def test_parse_extraction_upstream_answer() -> None:
    parsed = prompt.parse("person: Tim Cook\tSteve Jobs\ncity: None", "extract", ["person", "city"])
    assert parsed.phrases == {"person": ["Tim Cook", "Steve Jobs"], "city": []}
    assert parsed.warnings == []


def test_parse_extraction_tolerates_noise() -> None:
    answer = "\n人物: 马云\n\n人物: 马云\n机构: 阿里巴巴集团\n时间: 1999年\n地点"
    parsed = prompt.parse(answer, "extract", ["人物", "地点", "机构"])
    assert parsed.phrases == {"人物": ["马云"], "地点": [], "机构": ["阿里巴巴集团"]}
    assert len(parsed.warnings) == 2
    assert "'时间' was not asked for" in parsed.warnings[0]
    assert "no 'label:'" in parsed.warnings[1]


def test_parse_prefers_the_longest_label() -> None:
    parsed = prompt.parse("date of birth: 1990\ndate: today", "extract", ["date", "date of birth"])
    assert parsed.phrases == {"date": ["today"], "date of birth": ["1990"]}


def test_parse_full_width_colon_and_truncated_line() -> None:
    parsed = prompt.parse("city：Paris\tBer", "extract", ["city"])
    assert parsed.phrases == {"city": ["Paris", "Ber"]}


def test_parse_classification_all_joiners() -> None:
    labels = ["positive", "negative", "neutral"]
    for answer in ("positive，negative", "positive, negative", "positive\tnegative",
                   "positive\nnegative", "Positive，negative，positive"):
        assert prompt.parse(answer, "classify", labels).chosen == ["positive", "negative"]
    parsed = prompt.parse("happy", "classify", labels)
    assert parsed.chosen == [] and "'happy' is not one of the labels" in parsed.warnings[0]


def test_locate_every_occurrence_and_unmatched() -> None:
    text = "Paris is not Paris, Texas."
    located, unmatched = prompt.locate(text, "city", ["Paris", "London"])
    assert located == [Span("city", "Paris", 0, 5), Span("city", "Paris", 13, 18)]
    assert unmatched == [Span("city", "London", None, None)]


def test_locate_splits_comma_joined_answers_only_when_needed() -> None:
    text = "Washington, D.C. and Boston, Chicago"
    located, _ = prompt.locate(text, "city", ["Washington, D.C."])
    assert located == [Span("city", "Washington, D.C.", 0, 16)]
    located, unmatched = prompt.locate(text, "city", ["Boston，Chicago"])
    assert [s.text for s in located] == ["Boston", "Chicago"] and not unmatched
    assert all(text[s.start:s.end] == s.text for s in located)


@settings(max_examples=300, deadline=None)
@given(answer=st.text(), text=st.text(min_size=1),
       labels=st.lists(st.text(min_size=1).map(prompt.sanitize_label).filter(bool),
                       min_size=1, max_size=8, unique=True))
def test_parse_never_raises_and_offsets_are_valid(answer: str, text: str, labels: list) -> None:
    for task in ("extract", "classify"):
        parsed = prompt.parse(answer, task, labels)
        assert set(parsed.chosen) <= set(labels)
        for label, phrases in parsed.phrases.items():
            located, unmatched = prompt.locate(text, label, phrases)
            for span in located:
                assert text[span.start:span.end] == span.text
            assert all(s.start is None for s in unmatched)


def test_a_label_ending_with_a_question_mark_is_a_question() -> None:
    assert prompt.is_question("Who visited Beijing?") and prompt.is_question("谁去了北京？ ")
    assert not prompt.is_question("person") and not prompt.is_question("why? not")
