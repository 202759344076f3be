"""Training: loss goes down, a killed run resumes from its checkpoint, bad data is named."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from seqgpt.data.instance import AtomicInstance
from seqgpt.train.augment import augment_labels, variants
from seqgpt.train.compact import Trainer, TrainingArgs
from seqgpt.types import SeqGPTError, Span


def _tiny_model():
    import torch
    from transformers import BertConfig, BertModel

    from seqgpt.encoders import e5_tokenizer
    from seqgpt.model.spans import SpanModel, SpanModelConfig

    tokenizer = e5_tokenizer()
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=32,
                                   max_position_embeddings=128))
    model = SpanModel(encoder, SpanModelConfig(max_width=4, max_tokens=128, dropout=0.0))
    model.tokenizer = tokenizer
    return model


def _instances() -> list[AtomicInstance]:
    rng = random.Random(0)
    out = []
    for i in range(24):
        name = rng.choice(["Alice", "Bob", "Carol"])
        text = f"{name} lives in Oslo ."
        out.append(AtomicInstance(text, "extract", ["person", "city"], "syn", "train", "en",
                                  spans=[Span("person", name, 0, len(name)),
                                         Span("city", "Oslo", len(name) + 10, len(name) + 14)]))
        out.append(AtomicInstance("good" if i % 2 else "bad", "classify", ["pos", "neg"], "syn",
                                  "train", "en", gold=["pos" if i % 2 else "neg"]))
    return out


def test_loss_decreases_and_resume_continues(tmp_path: Path) -> None:
    args = TrainingArgs(steps=12, batch_size=8, head_lr=1e-2, encoder_lr=1e-3, warmup=1,
                        save_every=6, log_every=2, label_augment_rate=0.0, description_rate=0.0)
    Trainer(_tiny_model(), _instances(), tmp_path, args).run()
    losses = [r["loss"] for r in map(json.loads, (tmp_path / "log.jsonl").open()) if "loss" in r]
    assert losses[-1] < losses[0]
    assert (tmp_path / "best" / "model.safetensors").is_file()

    # A second run with more steps resumes from step 12 instead of starting over.
    longer = TrainingArgs(**{**args.__dict__, "steps": 14})
    trainer = Trainer(_tiny_model(), _instances(), tmp_path, longer)
    assert trainer.resume() and trainer.step == 12
    trainer.run()
    steps = [r["step"] for r in map(json.loads, (tmp_path / "log.jsonl").open()) if "loss" in r]
    assert steps[-1] == 14 and steps.count(12) == 1


def test_label_variants_keep_meaning_and_names_distinct() -> None:
    assert "cities" in variants("city") and "departure city" not in variants("city")
    assert "date of birth" in variants("date_of_birth")
    renamed = augment_labels(["person", "people"], random.Random(0), rate=1.0)
    shown = [renamed.get(x, x) for x in ["person", "people"]]
    assert len(set(shown)) == 2


def test_descriptions_stand_in_for_labels_within_the_label_budget() -> None:
    from seqgpt.model.spans import Featurizer
    from seqgpt.train.compact import make_examples

    meanings = {"person": ["a human being"], "city": ["a large town " * 20],
                "pos": ["a large town " * 40]}  # over the 64-token label limit
    renamed = augment_labels(["person", "city"], random.Random(0), rate=0.0,
                             descriptions=meanings, description_rate=1.0)
    assert renamed == {"person": "a human being", "city": "a large town " * 20}
    model = _tiny_model()
    featurizer = Featurizer(model.tokenizer, model.config)
    args = TrainingArgs(label_augment_rate=0.0, description_rate=1.0)
    [example] = make_examples(_instances()[0], featurizer, random.Random(0), args, meanings)
    # The long description would eat the text's half of the window: the name is shown instead.
    assert sorted(example.labels) == ["a human being", "city"]
    assert {example.labels[k] for _, _, k in example.gold_spans} == {"a human being", "city"}
    [example] = make_examples(_instances()[1], featurizer, random.Random(0), args, meanings)
    assert sorted(example.labels) == ["neg", "pos"]


def test_train_command_names_bad_data(tmp_path: Path, capsys) -> None:
    from seqgpt.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "task": "extract", "labels": ["a"]}\n{"oops": 1}\n')
    assert main(["train", "--data", str(bad), "--out", str(tmp_path / "run")]) == 2
    assert f"{bad}:2: field 'text' must be a non-empty string" in capsys.readouterr().err
    with pytest.raises(SeqGPTError, match="missing.jsonl: no such file"):
        from seqgpt.train.userdata import read_training_file

        read_training_file(tmp_path / "missing.jsonl")
