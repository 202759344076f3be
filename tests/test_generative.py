"""The generative backend on a tiny random causal LM built at test time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny import build_tiny_causal_lm

import seqgpt
from seqgpt import prompt
from seqgpt.types import SeqGPTError, Span


def _upstream_answer(folder: Path, text: str, labels: list[str], task: str, **decoding) -> str:
    """Upstream's inference steps, written out independently of our backend."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.padding_side = "left"
    tokenizer.truncation_side = "left"
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    word = {"extract": "抽取", "classify": "分类"}[task]
    joined = ",".join(labels).replace(",", "，")
    p = "输入: {}\n{}: {}\n输出: {}".format(text, word, joined, "[GEN]")
    inputs = tokenizer([p], return_tensors="pt", padding=True, truncation=True, max_length=1024)
    with torch.no_grad():
        out = model.generate(**inputs, num_beams=4, do_sample=False, **decoding)
    return tokenizer.decode(out[0][len(inputs["input_ids"][0]):], skip_special_tokens=True)


def test_raw_answer_equals_upstream_inference(tiny_model_dir: Path) -> None:
    nlu = seqgpt.load(tiny_model_dir, max_new_tokens=12)
    for text, labels, task in (("Tim Cook visited Beijing.", ["person", "city"], "extract"),
                               ("我很喜欢这部电影", ["正面", "负面"], "classify")):
        expected = _upstream_answer(tiny_model_dir, text, labels, task, max_new_tokens=12)
        run = nlu.extract if task == "extract" else nlu.classify
        assert run(text, labels).raw == expected


@pytest.mark.parametrize("arch", ["bloom", "gpt2"])
def test_batch_equals_one_by_one(tmp_path: Path, arch: str) -> None:
    nlu = seqgpt.load(build_tiny_causal_lm(tmp_path, arch=arch), max_new_tokens=8)
    texts = ["short", "a considerably longer text about Tim Cook in Beijing, 北京", "中文文本"]
    labels = ["person", "city", "company"]
    batched = nlu.extract(texts, labels)
    assert [r.raw for r in batched] == [nlu.extract(t, labels).raw for t in texts]
    classified = nlu.classify(texts, labels, batch_size=2)
    assert [c.raw for c in classified] == [nlu.classify(t, labels).raw for t in texts]


def test_large_label_sets_are_chunked_and_merged(tiny_nlu, monkeypatch) -> None:
    labels = [f"l{i}" for i in range(7)]
    prompts: list[str] = []
    real = prompt.render
    monkeypatch.setattr(prompt, "render", lambda *a: prompts.append(real(*a)) or prompts[-1])
    result = tiny_nlu.extract("some text", labels)
    assert prompts == [real("some text", labels[:4], "extract"),
                       real("some text", labels[4:], "extract")]
    assert result.raw.count("\n") >= 1  # two chunk answers joined by a newline


def _scripted(nlu, answers: list[str], monkeypatch) -> None:
    """Make generate() return the given answers (per prompt, in order) after the prompt."""
    tokenizer = nlu.backend.tokenizer
    queue = list(answers)

    def generate(input_ids, **_: object) -> torch.Tensor:
        rows = [tokenizer(queue.pop(0), add_special_tokens=False)["input_ids"] for _ in input_ids]
        width = max(len(r) for r in rows)
        pad = tokenizer.pad_token_id
        tail = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        return torch.cat([input_ids, tail], dim=1)

    monkeypatch.setattr(nlu.backend.model, "generate", generate)


def test_answers_become_spans_with_offsets(tmp_path: Path, monkeypatch) -> None:
    nlu = seqgpt.load(build_tiny_causal_lm(tmp_path))
    text = "Tim Cook visited Beijing and Shanghai."
    _scripted(nlu, ["person: Tim Cook\ncity: Beijing\tShanghai\tParis\nfoo: bar"], monkeypatch)
    result = nlu.extract(text, ["person", "city"])
    assert result.spans == [Span("person", "Tim Cook", 0, 8), Span("city", "Beijing", 17, 24),
                            Span("city", "Shanghai", 29, 37)]
    assert result.unmatched == [Span("city", "Paris", None, None)]
    assert any("'foo' was not asked for" in w for w in result.warnings)
    assert result.to_seqgpt() == "person: Tim Cook\ncity: Beijing\tShanghai\tParis"
    assert json.loads(result.to_json())["spans"][0] == {
        "label": "person", "text": "Tim Cook", "start": 0, "end": 8, "score": None}


def test_chinese_answer_and_classification(tmp_path: Path, monkeypatch) -> None:
    nlu = seqgpt.load(build_tiny_causal_lm(tmp_path))
    text = "阿里巴巴集团于1999年在杭州成立，创始人是马云。"
    _scripted(nlu, ["人物: 马云\n地点: 杭州", "公司，城市"], monkeypatch)
    spans = nlu.extract(text, ["人物", "地点"]).spans
    assert [(s.label, s.start, s.end) for s in spans] == [("地点", 13, 15), ("人物", 22, 24)]
    c = nlu.classify(text, ["公司", "城市", "人物"])
    assert c.labels == ["公司", "城市"]
    assert c.scores == {"公司": 1.0, "城市": 1.0, "人物": 0.0}
    assert c.to_seqgpt() == "公司，城市"


def test_long_text_is_left_truncated_and_flagged(tiny_nlu) -> None:
    result = tiny_nlu.extract("word " * 400, ["person"], max_length=64)
    assert result.truncated and "left truncation" in result.warnings[-1]
    assert not tiny_nlu.extract("word", ["person"]).truncated


def test_bad_options_and_inputs(tiny_nlu) -> None:
    with pytest.raises(SeqGPTError, match="unknown option 'beams'"):
        tiny_nlu.extract("text", ["a"], beams=2)
    with pytest.raises(SeqGPTError, match="num_beams must be a positive integer"):
        tiny_nlu.extract("text", ["a"], num_beams=0)
    with pytest.raises(SeqGPTError, match="text is empty"):
        tiny_nlu.extract("  ", ["a"])
    with pytest.raises(SeqGPTError, match=r"text\[1\] must be a string"):
        tiny_nlu.classify(["ok", 3], ["a"])
    with pytest.raises(SeqGPTError, match="text is an empty list"):
        tiny_nlu.classify([], ["a"])
    with pytest.raises(SeqGPTError, match="duplicate"):
        tiny_nlu.classify("ok", ["a", "a"])


def test_load_errors_name_what_was_expected(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(seqgpt.ModelNotFoundError, match="does not exist"):
        seqgpt.load(tmp_path / "missing")
    with pytest.raises(seqgpt.ModelNotFoundError, match="no config.json"):
        seqgpt.load(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(SeqGPTError, match="cannot load the model"):
        seqgpt.load(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(seqgpt.ModelNotFoundError, match="'DAMO-NLP/SeqGPT-560M' is neither") as e:
        seqgpt.load("DAMO-NLP/SeqGPT-560M")
    assert "HF_HUB_OFFLINE" in str(e.value) and "local folder" in str(e.value)
    monkeypatch.setattr("seqgpt.api.DEFAULT_MODEL", tmp_path / "not-installed")
    with pytest.raises(seqgpt.ModelNotFoundError, match="embedded default model is missing"):
        seqgpt.load()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(min_size=1).filter(str.strip), min_size=1, max_size=3),
       labels=st.lists(st.text(min_size=1).map(prompt.sanitize_label).filter(bool),
                       min_size=1, max_size=8, unique=True))
def test_random_inputs_give_valid_results(tiny_nlu, texts: list[str], labels: list[str]) -> None:
    for result in tiny_nlu.extract(texts, labels, num_beams=1, max_new_tokens=6):
        for span in result.spans:
            assert result.text[span.start:span.end] == span.text
    for c in tiny_nlu.classify(texts, labels, num_beams=1, max_new_tokens=6):
        assert set(c.labels) <= set(labels)
