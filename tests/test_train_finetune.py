"""Fine-tuning on a user's data: readers, replay, early stopping, the run folder, the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train import _instances, _tiny_model

from seqgpt.data.instance import AtomicInstance, DataFormatError
from seqgpt.train.adapt import TrainError, claim, training_args
from seqgpt.train.compact import Trainer, TrainingArgs
from seqgpt.train.devset import GRID
from seqgpt.train.replay import ReplayError, batch_indices, from_file
from seqgpt.train.userdata import read_training_file
from seqgpt.types import Span


def test_conll_and_csv_files_read_through_the_data_readers(tmp_path: Path) -> None:
    conll = tmp_path / "mine.conll"
    conll.write_text("Tim B-PER\nCook I-PER\nvisited O\nOslo B-LOC\n. O\n\nApple B-ORG\n")
    first, second = read_training_file(conll)
    assert first.text == "Tim Cook visited Oslo." and first.labels == ["PER", "LOC", "ORG"]
    assert [(s.label, s.text) for s in first.spans] == [("PER", "Tim Cook"), ("LOC", "Oslo")]
    assert second.spans == [Span("ORG", "Apple", 0, 5)]

    csv = tmp_path / "mine.csv"
    csv.write_text('id,text,label\n1,"great, really",pos\n2,awful,neg\n')
    rows = read_training_file(csv)
    assert [(r.text, r.gold, r.labels) for r in rows] == [
        ("great, really", ["pos"], ["pos", "neg"]), ("awful", ["neg"], ["pos", "neg"])]


def test_bad_user_files_are_named_with_their_line(tmp_path: Path) -> None:
    conll = tmp_path / "bad.conll"
    conll.write_text("Tim\tB-PER\nCook\tX-PER\n")
    with pytest.raises(DataFormatError, match=r"bad.conll:2: tag 'X-PER'"):
        read_training_file(conll)
    csv = tmp_path / "bad.csv"
    csv.write_text("text,category\nhello,a\n")
    with pytest.raises(DataFormatError, match="bad.csv:1: expected a header with columns"):
        read_training_file(csv)
    with pytest.raises(Exception, match="cannot tell the format"):
        other = tmp_path / "data.xml"
        other.write_text("<a/>")
        read_training_file(other)


def test_replay_batches_hold_the_asked_share_and_cover_each_epoch() -> None:
    per_epoch = 40 // 6
    seen = []
    for step in range(per_epoch):
        own, replayed = batch_indices(step, 0, 40, 6, 100, 10)
        assert len(own) == 6 and len(replayed) == 10 and max(replayed) < 100
        seen += own
    assert len(set(seen)) == len(seen) == 6 * per_epoch  # no repeats within an epoch
    assert batch_indices(3, 0, 40, 6, 100, 10) == batch_indices(3, 0, 40, 6, 100, 10)

    trainer = Trainer(_tiny_model(), _instances(), Path("unused"),
                      TrainingArgs(batch_size=8, replay_ratio=0.25), replay=_instances())
    assert trainer.per_batch() == (6, 2)
    with pytest.raises(ValueError, match="no replay instances"):
        Trainer(_tiny_model(), _instances(), Path("unused"), TrainingArgs(replay_ratio=0.5))


def test_replay_file_with_zero_shot_dev_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mix.jsonl"
    leaked = AtomicInstance("x y", "classify", ["a", "b"], "trec", "train", "en", gold=["a"])
    path.write_text(json.dumps(leaked.to_dict()) + "\n")
    with pytest.raises(ReplayError, match="zero-shot dev data \\(trec\\)"):
        from_file(path, 10)


def test_early_stopping_keeps_the_best_and_a_stopped_run_stays_stopped(tmp_path: Path) -> None:
    scores = iter([0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    args = TrainingArgs(steps=40, batch_size=8, warmup=1, eval_every=2, save_every=100,
                        log_every=100, patience=2)
    trainer = Trainer(_tiny_model(), _instances(), tmp_path, args, dev=lambda m: next(scores),
                      best_dir=tmp_path, evaluate_start=True)
    trainer.run()
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["step"] for r in log if "dev" in r] == [0, 2, 4]
    assert log[-1]["stopped"] == "early" and trainer.step == 4
    assert json.loads((tmp_path / "seqgpt_config.json").read_text())["card"]["step"] == 0

    again = Trainer(_tiny_model(), _instances(), tmp_path, args, dev=lambda m: 1.0)
    again.run()
    assert again.step == 4  # resumed as stopped: no more steps


def test_run_folder_is_claimed_once_and_resumed_only_with_the_same_data(tmp_path: Path) -> None:
    record = {"backend": "compact", "start": "default", "fingerprint": "abc", "replay": 0.5}
    out = tmp_path / "run"
    claim(out, record, resume=False)
    with pytest.raises(TrainError, match="unfinished run; pass --resume"):
        claim(out, record, resume=False)
    (out / "checkpoint.pt").write_bytes(b"")
    with pytest.raises(TrainError, match="other fingerprint"):
        claim(out, {**record, "fingerprint": "def"}, resume=True)
    claim(out, record, resume=True)
    (out / "checkpoint.pt").unlink()
    (out / "run.json").write_text(json.dumps({**record, "state": "finished"}))
    with pytest.raises(TrainError, match="finished run"):
        claim(out, record, resume=True)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    with pytest.raises(TrainError, match="not empty"):
        claim(stranger, record, resume=False)


def test_steps_come_from_epochs_and_replay_share() -> None:
    args = training_args({}, scratch=False, replay=0.5, n_instances=80, epochs=3, has_dev=True)
    assert (args.steps, args.eval_every, args.replay_ratio) == (30, 10, 0.5)  # 8 own per batch
    assert args.warmup == 15  # half the run when continuing a trained model
    assert args.max_tokens == 128 and args.label_augment_rate == 0.0  # continuing a model
    scratch = training_args({"steps": 7}, scratch=True, replay=0.0, n_instances=80, epochs=3,
                            has_dev=False)
    assert scratch.steps == 7 and scratch.max_tokens == TrainingArgs.max_tokens
    with pytest.raises(TrainError, match="unknown training setting 'lr'"):
        training_args({"lr": 1.0}, scratch=False, replay=0.5, n_instances=8, epochs=1,
                      has_dev=False)


def _user_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    lines = [{"text": f"{name} moved to {city} in May.",
              "spans": [{"label": "person", "start": 0, "end": len(name)},
                        {"label": "city", "start": len(name) + 9,
                         "end": len(name) + 9 + len(city)}]}
             for name, city in [("Alice Smith", "Oslo"), ("Bob Jones", "Lima"),
                                ("Carol White", "Kyiv"), ("Dan Brown", "Rome")]]
    data, dev = tmp_path / "mine.jsonl", tmp_path / "dev.jsonl"
    data.write_text("\n".join(json.dumps(x) for x in lines * 2) + "\n")
    dev.write_text("\n".join(json.dumps(x) for x in lines[:2]) + "\n")
    replay = tmp_path / "mix.jsonl"
    mix = [AtomicInstance("I loved this film", "classify", ["positive", "negative"], "sst2",
                          "train", "en", gold=["positive"]),
           AtomicInstance("Paris is big", "extract", ["location"], "conll2003", "train", "en",
                          spans=[Span("location", "Paris", 0, 5)])]
    replay.write_text("\n".join(json.dumps(i.to_dict()) for i in mix * 5) + "\n")
    return data, dev, replay


def test_train_command_fine_tunes_the_default_model_and_resumes(tmp_path: Path) -> None:
    import seqgpt
    from seqgpt.cli import main

    data, dev, replay = _user_files(tmp_path)
    out = tmp_path / "model"
    common = ["train", "--data", str(data), "--dev", str(dev), "--out", str(out),
              "--replay-data", str(replay), "--replay-size", "6", "--batch-size", "4",
              "--keep-checkpoint", "--threads", "2"]
    assert main([*common, "--steps", "2"]) == 0
    record = json.loads((out / "run.json").read_text())
    assert record["state"] == "finished" and record["replayed"] == 6
    card = (out / "MODEL_CARD.md").read_text()
    assert "replay: 50% of every batch" in card and "threshold picked on dev" in card
    threshold = json.loads((out / "seqgpt_config.json").read_text())["inference"]["threshold"]
    assert threshold == record["threshold"]["chosen"] in GRID
    nlu = seqgpt.load(out)
    result = nlu.extract("Eve Stone moved to Oslo in May.", ["person", "city"])
    assert all(result.text[s.start:s.end] == s.text for s in result.spans)

    assert main([*common, "--steps", "3", "--resume"]) == 0  # extends the kept checkpoint
    steps = [r["step"] for r in map(json.loads, (out / "log.jsonl").open()) if "loss" in r]
    assert steps == [2, 3]


def test_seqgpt_finetune_is_the_command_in_python(tmp_path: Path) -> None:
    import seqgpt
    import seqgpt.train

    assert seqgpt.finetune is seqgpt.train.finetune
    data, _, replay = _user_files(tmp_path)
    out = seqgpt.finetune(data, tmp_path / "py", replay_data=replay, replay_size=6, steps=1,
                          batch_size=4, threads=2)
    assert out == tmp_path / "py"
    assert json.loads((out / "run.json").read_text())["state"] == "finished"
    assert seqgpt.load(out).extract("Eve Stone moved to Oslo.", ["person"]).text


def test_finetune_names_an_unknown_backend(tmp_path: Path) -> None:
    from seqgpt.train import finetune

    with pytest.raises(TrainError, match="backend must be 'compact' or 'generative'"):
        finetune([], tmp_path / "out", backend="onnx")
