"""The trainers' shared mechanics (seqgpt.train.loop): schedule, batch split, run log, early
stopping and checkpoints, each checked on its own, without a model."""

from __future__ import annotations

import math
import pickle
from fractions import Fraction
from pathlib import Path

import pytest

from seqgpt.train import loop
from seqgpt.train.loop import EarlyStopping, StopsEarly


def test_warm_up_reaches_one_then_the_cosine_reaches_zero_at_total() -> None:
    warmup, total = 4, 20
    assert [loop.warmup_cosine(s, warmup, total) for s in range(warmup)] == [0.25, 0.5, 0.75, 1.0]
    assert loop.warmup_cosine(warmup, warmup, total) == 1.0  # the decay starts from the top
    assert loop.warmup_cosine(warmup + 8, warmup, total) == pytest.approx(0.5)  # half-way
    assert loop.warmup_cosine(total, warmup, total) == pytest.approx(0.0, abs=1e-12)
    decay = [loop.warmup_cosine(s, warmup, total) for s in range(warmup, total + 1)]
    assert decay == sorted(decay, reverse=True)
    # A resumed run given more steps than its schedule: the factor stays at 0, never rises.
    assert loop.warmup_cosine(total + 5, warmup, total) == loop.warmup_cosine(total, warmup, total)


def test_without_warm_up_the_first_step_is_at_the_full_rate() -> None:
    assert loop.warmup_cosine(0, 0, 10) == 1.0
    assert loop.warmup_cosine(10, 0, 10) == pytest.approx(0.0, abs=1e-12)
    assert loop.warmup_cosine(0, 0, 0) == 1.0  # a zero-step schedule divides by max(1, ...)


def test_batch_split_keeps_the_old_formula_and_the_batch_size() -> None:
    def old(batch_size: int, ratio: float) -> tuple[int, int]:  # the trainers' former copies
        if not ratio:
            return batch_size, 0
        own = max(1, round(batch_size * (1 - ratio)))
        return own, batch_size - own

    for batch_size in (1, 2, 7, 8, 16):
        for ratio in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
            own, replayed = loop.batch_split(batch_size, ratio)
            assert (own, replayed) == old(batch_size, ratio)
            assert own >= 1 and replayed >= 0 and own + replayed == batch_size
    assert loop.batch_split(8, 0.25) == (6, 2)
    assert loop.batch_split(8, 0.0) == (8, 0)
    assert loop.batch_split(16, 0.5) == (8, 8)
    assert loop.batch_split(4, 0.99) == (1, 3)  # one own row even when nearly all is replay


def test_early_stopping_stops_after_patience_evaluations_without_gain_and_not_before() -> None:
    early = EarlyStopping(patience=3)
    assert early.update(0.5) and early.best == 0.5 and early.since_best == 0
    assert not early.update(0.4) and not early.stopped
    assert not early.update(0.5) and not early.stopped  # equal is no gain
    assert early.since_best == 2
    assert early.update(0.6) and early.since_best == 0  # a gain starts the count again
    for _ in range(2):
        assert not early.update(0.1)
        assert not early.stopped
    assert not early.update(0.1)
    assert early.stopped and early.since_best == 3 and early.best == 0.6


def test_no_patience_never_stops() -> None:
    early = EarlyStopping()
    early.update(1.0)
    for _ in range(100):
        early.update(0.0)
    assert not early.stopped and early.since_best == 100


def test_the_first_evaluation_is_always_a_new_best() -> None:
    early = EarlyStopping(patience=1)
    assert early.best == -math.inf
    assert early.update(-1e9)  # a dev loss, negated: any score beats the start
    assert not early.update(-1e9) and early.stopped


def test_early_stopping_state_keeps_the_checkpoint_keys_and_loads_back() -> None:
    early = EarlyStopping(patience=2)
    early.update(0.3)
    early.update(0.2)
    assert early.state() == {"best": 0.3, "since_best": 1, "stopped": False}
    again = EarlyStopping(patience=2)
    again.load({"step": 40, **early.state()})  # the keys sit among a checkpoint's others
    assert again == early
    # A checkpoint from before early stopping existed has only "best": resumes unstopped.
    old = EarlyStopping(patience=2)
    old.load({"best": 0.7})
    assert (old.best, old.since_best, old.stopped) == (0.7, 0, False)


def test_a_trainer_shows_its_early_stopping_state() -> None:
    class Run(StopsEarly):
        def __init__(self) -> None:
            self.early = EarlyStopping(patience=1)

    run = Run()
    run.early.update(0.5)
    run.early.update(0.4)
    assert (run.best, run.since_best, run.stopped) == (0.5, 1, True)
    with pytest.raises(AttributeError):
        run.best = 1.0  # type: ignore[misc]  # read-only: the state lives in one place


def test_records_are_appended_one_line_each(tmp_path: Path) -> None:
    assert loop.read_records(tmp_path) == []  # no log yet
    loop.append_record(tmp_path, {"step": 2, "loss": 0.5})
    loop.append_record(tmp_path, {"step": 2, "dev": 0.25, "stage": "finetune"})
    assert (tmp_path / "log.jsonl").read_text(encoding="utf-8") == (
        '{"step": 2, "loss": 0.5}\n{"step": 2, "dev": 0.25, "stage": "finetune"}\n')
    assert loop.read_records(tmp_path) == [{"step": 2, "loss": 0.5},
                                  {"step": 2, "dev": 0.25, "stage": "finetune"}]


def test_a_saved_state_loads_back_equal(tmp_path: Path) -> None:
    import torch

    state = {"model": {"w": torch.arange(6.0).reshape(2, 3)}, "step": 12, "best": -math.inf,
             "since_best": 2, "stopped": True, "history": [{"stage": "pretrain", "step": 1}],
             "args": {"lr": 2e-5, "device": ""}}
    path = tmp_path / "checkpoint.pt"
    loop.save_state(path, state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temp file left
    loaded = loop.load_state(path)
    assert loaded is not None
    assert torch.equal(loaded.pop("model")["w"], state.pop("model")["w"])  # type: ignore[index]
    assert loaded == state
    on_cpu = loop.load_state(path, map_location="cpu")
    assert on_cpu is not None and on_cpu["model"]["w"].device.type == "cpu"
    assert loop.load_state(tmp_path / "missing.pt") is None


def test_a_state_is_read_as_data_not_code(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.pt"
    loop.save_state(path, {"step": 1, "odd": Fraction(1, 3)})  # any pickled object, not plain data
    with pytest.raises(pickle.UnpicklingError):
        loop.load_state(path)

