"""The generative recipe on a tiny random causal LM: what the loss sees, two stages end to end,
LoRA, and the command."""

from __future__ import annotations

import json
from pathlib import Path

from tiny import build_tiny_causal_lm

from seqgpt import prompt
from seqgpt.data.instance import AtomicInstance
from seqgpt.train.generative import IGNORE, GenerativeArgs, Pair, encode, pairs_of
from seqgpt.types import Span

TEXT = "Tim Cook visited Beijing."
ZH = "阿里巴巴集团于1999年在杭州成立。"


def _extract() -> AtomicInstance:
    return AtomicInstance(TEXT, "extract", ["person", "city"], "toy", "train", "en",
                          spans=[Span("person", "Tim Cook", 0, 8), Span("city", "Beijing", 17, 24)])


def _classify() -> AtomicInstance:
    return AtomicInstance(ZH, "classify", ["公司", "城市"], "toy", "train", "zh", gold=["公司"])


def test_pairs_are_upstream_prompts_chunked_as_inference_asks() -> None:
    labels = [f"type{i}" for i in range(8)]
    instance = AtomicInstance(TEXT, "extract", labels, "toy", "train", "en",
                              spans=[Span("type5", "Beijing", 17, 24)])
    first, second = pairs_of([instance])
    assert first.prompt == prompt.render(TEXT, labels[:4], "extract")
    assert second.answer == prompt.format_extraction({x: ["Beijing"] if x == "type5" else []
                                                      for x in labels[4:]})
    [pair] = pairs_of([_classify()])
    assert pair == Pair(prompt.render(ZH, ["公司", "城市"], "classify"), "公司")


def test_loss_sees_only_answer_tokens_after_the_left_padded_prompt(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    pairs = pairs_of([_extract(), _classify()])
    batch = encode(pairs, tokenizer, GenerativeArgs(), accepts_positions=True)
    for row, pair in enumerate(pairs):
        prompt_ids = tokenizer(pair.prompt)["input_ids"]  # as the backend tokenises it
        answer_ids = tokenizer(pair.answer, add_special_tokens=False)["input_ids"]
        n = len(prompt_ids) + len(answer_ids) + 1
        pad = batch["input_ids"].shape[1] - n
        assert batch["attention_mask"][row, :pad].sum() == 0  # left padding
        assert batch["input_ids"][row, pad:].tolist() == (prompt_ids + answer_ids
                                                          + [tokenizer.eos_token_id])
        labels = batch["labels"][row].tolist()
        assert set(labels[:pad + len(prompt_ids)]) == {IGNORE}
        assert labels[pad + len(prompt_ids):] == answer_ids + [tokenizer.eos_token_id]
        assert batch["position_ids"][row, pad:].tolist() == list(range(n))


def test_two_stage_recipe_learns_to_answer_in_the_upstream_format(tmp_path: Path,
                                                                  tiny_model_dir: Path) -> None:
    import seqgpt
    from seqgpt.train.generative import train_generative

    out = train_generative(None, tmp_path / "model", start=tiny_model_dir,
                           stages={"pretrain": [_classify(), _extract()],
                                   "finetune": [_extract(), _classify()]},
                           steps=30, batch_size=2, lr=1e-2, log_every=5, save_every=100)
    log = [json.loads(line) for line in (out / "log.jsonl").open()]
    for stage in ("pretrain", "finetune"):
        losses = [r["loss"] for r in log if r["stage"] == stage]
        assert losses[-1] < losses[0]
    assert not (out / "checkpoint.pt").exists() and (out / "MODEL_CARD.md").is_file()

    nlu = seqgpt.load(out, max_new_tokens=16, num_beams=1)
    result = nlu.extract(TEXT, ["person", "city"])
    assert result.raw == "person: Tim Cook\ncity: Beijing"
    assert [(s.label, s.start, s.end) for s in result.spans] == [("person", 0, 8),
                                                                 ("city", 17, 24)]
    assert nlu.classify(ZH, ["公司", "城市"]).labels == ["公司"]


def test_train_command_generative_with_lora_writes_a_plain_model(tmp_path: Path) -> None:
    import seqgpt
    from seqgpt.cli import main

    lm = build_tiny_causal_lm(tmp_path / "gpt2", arch="gpt2")
    data = tmp_path / "mine.jsonl"
    data.write_text(json.dumps({"text": TEXT, "spans": [
        {"label": "person", "start": 0, "end": 8}, {"label": "city", "start": 17, "end": 24}]})
        + "\n")
    out = tmp_path / "model"
    assert main(["train", "--backend", "generative", "--from", str(lm), "--data", str(data),
                 "--out", str(out), "--replay", "0", "--steps", "3", "--batch-size", "2",
                 "--lora", "--lr", "1e-3"]) == 0
    assert not (out / "adapter_config.json").exists()  # adapters merged into the weights
    assert not (out / "checkpoint.pt").exists()  # run state removed at the end
    from safetensors.torch import load_file

    before, after = load_file(lm / "model.safetensors"), load_file(out / "model.safetensors")
    assert before["transformer.wte.weight"].equal(after["transformer.wte.weight"])  # frozen
    assert not before["transformer.h.0.attn.c_attn.weight"].equal(
        after["transformer.h.0.attn.c_attn.weight"])  # the trained adapter, merged
    assert seqgpt.load(out, max_new_tokens=4, num_beams=1).extract(TEXT, ["person"]).raw
    assert main(["train", "--backend", "generative", "--from", str(lm), "--data", str(data),
                 "--out", str(out), "--replay", "0", "--steps", "3"]) == 2  # finished: refused
    assert main(["train", "--backend", "generative", "--from", str(lm), "--data", str(data),
                 "--out", str(tmp_path / "other"), "--encoder-lr", "1e-5"]) == 2


def test_generative_run_keeps_the_best_dev_weights_and_resumes(tmp_path: Path,
                                                               tiny_model_dir: Path) -> None:
    from seqgpt.train.generative import train_generative

    stages = {"pretrain": [_extract()], "finetune": [_classify()]}
    out = tmp_path / "model"
    common = dict(start=tiny_model_dir, stages=stages, batch_size=1, lr=1e-2, log_every=1,
                  keep_checkpoint=True)
    train_generative(None, out, dev=[_extract()], steps=2, **common)
    log = [json.loads(line) for line in (out / "log.jsonl").open()]
    assert [(r["stage"], r["step"]) for r in log if "dev_loss" in r] == [
        ("pretrain", 0), ("pretrain", 1), ("pretrain", 2), ("finetune", 0), ("finetune", 1),
        ("finetune", 2)]
    assert "Dev loss" in (out / "MODEL_CARD.md").read_text()

    train_generative(None, out, dev=[_extract()], steps=3, resume=True, **common)
    log = [json.loads(line) for line in (out / "log.jsonl").open()]
    trained = [(r["stage"], r["step"]) for r in log if "loss" in r]
    assert trained == [("pretrain", 1), ("pretrain", 2), ("finetune", 1), ("finetune", 2),
                       ("finetune", 3)]  # only the last stage went on
