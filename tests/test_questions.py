"""Relation pairs become questions about their head (``seqgpt data questions``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from seqgpt.data import command, compose
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.questions import SUFFIX, relation_questions
from seqgpt.types import SeqGPTError

SENTENCE = "Tim Cook works for Apple and Beats in Cupertino ."


def _pair(head: str, tail: str, gold: list[str], dataset: str = "toy_re",
          language: str = "en", sentence: str = SENTENCE,
          negatives: tuple[str, ...] = ("located in", "live in")) -> AtomicInstance:
    labels = ["work for", "located in", "live in"]
    return AtomicInstance(
        text=compose.relation_text(sentence, head, tail), task="classify", labels=labels,
        dataset=dataset, split="train", language=language, gold=gold,
        meta={"head": head, "tail": tail, "head_start": sentence.index(head),
              "head_end": sentence.index(head) + len(head), "tail_start": sentence.index(tail),
              "tail_end": sentence.index(tail) + len(tail), "negatives": list(negatives)})


PAIRS = [_pair("Tim Cook", "Apple", ["work for"]), _pair("Tim Cook", "Beats", ["work for"]),
         _pair("Apple", "Cupertino", ["located in"]), _pair("Beats", "Apple", [])]


def test_one_question_per_head_and_relation_answered_by_every_tail() -> None:
    derived = relation_questions(PAIRS, unanswerable=0.0)
    assert [(d.labels, [s.text for s in d.spans]) for d in derived] == [
        (["What does Tim Cook work for?"], ["Apple", "Beats"]),
        (["What does Apple located in?"], ["Cupertino"])]
    for instance in derived:
        assert instance.task == "extract" and instance.text == SENTENCE
        assert instance.dataset == "toy_re" + SUFFIX
        assert all(SENTENCE[s.start:s.end] == s.text for s in instance.spans)


def test_unanswerable_questions_ask_a_relation_the_head_does_not_hold() -> None:
    derived = relation_questions(PAIRS, unanswerable=1.0)
    empty = [d for d in derived if not d.spans]
    assert len(empty) == 2 and len(derived) == 4
    # Tim Cook holds "work for" here; Apple's only relation is "located in", so its
    # unanswerable question can only be "live in"
    assert {d.labels[0] for d in empty} <= {"What does Tim Cook located in?",
                                            "What does Tim Cook live in?",
                                            "What does Apple live in?"}
    assert "What does Apple live in?" in {d.labels[0] for d in empty}
    assert relation_questions(PAIRS, unanswerable=1.0) == derived  # deterministic


def test_chinese_template_and_skipped_inputs() -> None:
    sentence = "《天才宝贝》由张根硕主演"
    zh = _pair("天才宝贝", "张根硕", ["主演"], language="zh", sentence=sentence, negatives=())
    pair_kind = _pair("Tim Cook", "Apple", ["work for"], dataset="semeval2010_task8")
    ner = AtomicInstance(text=SENTENCE, task="extract", labels=["person"], dataset="toy_ner",
                         split="train", language="en")
    derived = relation_questions([zh, pair_kind, ner])
    assert [(d.labels, [s.text for s in d.spans]) for d in derived] == [
        (["天才宝贝的主演是什么？"], ["张根硕"])]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(["data", "questions", *argv])


def test_questions_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mix = tmp_path / "mix.jsonl"
    mix.write_text("".join(json.dumps(p.to_dict()) + "\n" for p in PAIRS), encoding="utf-8")
    out = tmp_path / "q.jsonl"
    args = _args(str(mix), "-o", str(out), "--unanswerable", "0")
    assert args.func(args) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [AtomicInstance.from_dict(r) for r in records] == relation_questions(
        PAIRS, unanswerable=0.0)
    assert "2 questions (0 unanswerable) from 4 instances" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no task"}\n', encoding="utf-8")
    with pytest.raises(SeqGPTError, match=r"bad.jsonl:1: expected 'spans'"):
        args = _args(str(bad), "-o", str(out))
        args.func(args)
    broken = _pair("Tim Cook", "Apple", ["work for"]).to_dict()
    broken["meta"]["tail_end"] = 999
    bad.write_text(json.dumps(broken) + "\n", encoding="utf-8")
    with pytest.raises(SeqGPTError, match="head/tail in its meta is unusable"):
        args = _args(str(bad), "-o", str(out))
        args.func(args)
    with pytest.raises(SeqGPTError, match="--unanswerable must be in"):
        args = _args(str(mix), "-o", str(out), "--unanswerable", "2")
        args.func(args)
    with pytest.raises(SeqGPTError, match="no such file"):
        args = _args(str(tmp_path / "missing.jsonl"), "-o", str(out))
        args.func(args)
