"""Complete person annotation becomes first-name / last-name rows (``seqgpt data name-parts``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from seqgpt.data import command
from seqgpt.data.instance import AtomicInstance
from seqgpt.data.name_parts import FIRST, LAST, SUFFIX, name_part_instances
from seqgpt.types import SeqGPTError, Span
from tests.shared_data import needs_data


def _ner(text: str, spans: list[tuple[str, str]], language: str = "en",
         partial: bool = False) -> AtomicInstance:
    found = [Span(label, words, text.index(words), text.index(words) + len(words))
             for words, label in spans]
    return AtomicInstance(text=text, task="extract", labels=["person", "location"],
                          dataset="toy_ner", split="train", language=language, spans=found,
                          meta={"partial": True} if partial else {})


GOOD = _ner("Anna Maria Kowalski met Tim Cook in Berlin .",
            [("Anna Maria Kowalski", "person"), ("Tim Cook", "person"), ("Berlin", "location")])
SKIPPED = [
    _ner("Cook met Anna Kowalski .", [("Cook", "person"), ("Anna Kowalski", "person")]),
    _ner("@timcook met Anna Kowalski .", [("@timcook", "person"), ("Anna Kowalski", "person")]),
    _ner("Berlin is big .", [("Berlin", "location")]),
    _ner("Anna Kowalski left .", [("Anna Kowalski", "person")], partial=True),
    _ner("Anna Kowalski 走了 .", [("Anna Kowalski", "person")], language="zh"),
]


def test_first_and_last_word_of_every_person_in_the_wording_asked() -> None:
    rows = [name_part_instances([GOOD], seed=seed)[0] for seed in range(40)]
    for row in rows:
        row.check()  # offsets match the text; every span's label is asked
        assert row.dataset == "toy_ner" + SUFFIX
        asked = [label for label in row.labels if label in FIRST + LAST]
        assert 1 <= len(asked) <= 2
        if len(asked) == 2:  # one wording per row: first name with last name, ...
            pair = tuple(sorted(asked, key=lambda a: a not in FIRST))
            assert pair in zip(FIRST, LAST, strict=True)
        got = {(s.label in FIRST, s.text) for s in row.spans if s.label in asked}
        want = {(True, "Anna"), (True, "Tim"), (False, "Kowalski"), (False, "Cook")}
        assert got == {pair for pair in want if any((a in FIRST) == pair[0] for a in asked)}
        # another label asked keeps its annotation; the whole name is never asked
        assert "person" not in row.labels
        assert ("location" in row.labels) == any(s.label == "location" for s in row.spans)
    assert {label for row in rows for label in row.labels} >= {*FIRST, *LAST}
    assert name_part_instances([GOOD], seed=3) == name_part_instances([GOOD], seed=3)


def test_sentences_whose_names_cannot_be_split_are_skipped() -> None:
    assert name_part_instances(SKIPPED) == []
    assert len(name_part_instances([GOOD, GOOD])) == 1  # a text is used once


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(["data", "name-parts", *argv])


def test_name_parts_command_refuses_zero_shot_sets_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(SeqGPTError, match="wnut17: zero-shot dev"):
        args = _args("--data", "wnut17", "-o", str(tmp_path / "np.jsonl"))
        args.func(args)
    with pytest.raises(SeqGPTError, match="does not exist"):
        args = _args("-o", str(tmp_path / "nowhere" / "np.jsonl"))
        args.func(args)


@needs_data
def test_name_parts_command_reads_training_splits(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "np.jsonl"
    args = _args("--data", "wikigold", "-o", str(out))
    assert args.func(args) == 0
    rows = [AtomicInstance.from_dict(json.loads(line))
            for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and all(row.dataset == "wikigold" + SUFFIX for row in rows)
    for row in rows:
        row.check()
    assert f"{len(rows)} name-part rows from" in capsys.readouterr().err
