"""What ``seqgpt train`` tells its user: help for every option, progress while it prepares."""

from __future__ import annotations

import argparse

import pytest

from seqgpt.cli import build_parser


def test_every_train_option_has_help_text() -> None:
    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    train = commands.choices["train"]
    missing = [a.option_strings[0] for a in train._actions
               if a.option_strings and not (a.help and a.help.strip())]
    assert missing == []
    text = train.format_help()
    assert "--lora-r LORA_R" in text and "generative only; default 8" in text
    assert "(default: compact 16, generative 8)" in " ".join(text.split())


def test_building_the_replay_sample_says_what_it_does(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    from seqgpt.data import mixture, registry
    from seqgpt.data.instance import AtomicInstance
    from seqgpt.train import replay

    made = [AtomicInstance(text=f"t{i}", task="classify", labels=["a"], dataset="d",
                           split="train", language="en", gold=["a"]) for i in range(10)]
    monkeypatch.setattr(registry, "data_root", lambda: ".")
    monkeypatch.setattr(registry, "names", lambda: [])
    monkeypatch.setattr(mixture, "build", lambda specs, stage, seed=0: mixture.Mixture(made))
    assert len(replay.build(6)) == 6
    err = capsys.readouterr().err
    assert "replay: building the pretrain mixture from 0 datasets (1/2)" in err
    assert "replay: finetune: 10 instances in 0 s, 3 sampled" in err
