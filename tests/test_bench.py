"""``seqgpt bench`` in quick mode on a tiny compact model and tiny reference configs."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from seqgpt import bench, prompt
from seqgpt.api import Model, ModelNotFoundError
from seqgpt.bench import references, subject
from seqgpt.types import SeqGPTError

# A fresh process builds the same tiny model: the cold start runs for real, only smaller.
_TINY_LOAD = """\
import torch
from seqgpt.model.bert import Bert, BertConfig
from seqgpt.api import Model, ModelNotFoundError
from seqgpt.backends.compact import CompactBackend
from seqgpt.encoders import e5_tokenizer
from seqgpt.model.spans import SpanModel, SpanModelConfig
tokenizer = e5_tokenizer()
torch.manual_seed(0)
encoder = Bert(BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=32,
                               max_position_embeddings=128))
nlu = Model(CompactBackend(SpanModel(encoder, SpanModelConfig(max_width=4, max_tokens=128)),
                           tokenizer, "tiny"))
"""


@pytest.fixture(scope="module")
def tiny() -> Model:
    namespace: dict = {}
    exec(_TINY_LOAD, namespace)  # the very model the cold-start process builds
    return namespace["nlu"]


def test_samples_are_seeded_25_word_texts_with_their_gold_spans() -> None:
    samples = bench.make_samples(32, seed=3)
    assert samples == bench.make_samples(32, seed=3)
    assert samples != bench.make_samples(32, seed=4)
    for sample in samples:
        assert 20 <= len(sample.text.split()) <= 32
        assert set(sample.spans) <= set(bench.EXTRACT_LABELS)
        for spans in sample.spans.values():
            assert all(span in sample.text for span in spans)
    assert len(bench.EXTRACT_LABELS_20) == len(set(bench.EXTRACT_LABELS_20)) == 20
    assert len(bench.CLASSIFY_LABELS_20) == len(set(bench.CLASSIFY_LABELS_20)) == 20
    prompt.check_labels(bench.EXTRACT_LABELS_20)
    prompt.check_labels(bench.CLASSIFY_LABELS_20)


def test_floor_inputs_are_what_the_model_feeds_its_encoder(tiny: Model) -> None:
    texts = [s.text for s in bench.make_samples(5)]
    batches = bench.encoder_batches(tiny, texts, bench.EXTRACT_LABELS)
    fed = []
    encoder = tiny.backend.model.encoder
    original = encoder.forward
    encoder.forward = lambda ids, mask: fed.append(ids.clone()) or original(ids, mask)
    try:
        tiny.extract(texts, bench.EXTRACT_LABELS)
    finally:
        del encoder.forward
    assert [b["input_ids"].tolist() for b in batches] == [ids.tolist() for ids in fed]


def test_quick_run_shape_and_ratios(tiny: Model, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    import torch
    from transformers import BloomConfig, DebertaV2Config

    deberta = DebertaV2Config(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        vocab_size=1000, relative_attention=True, position_buckets=16, max_relative_positions=-1,
        norm_rel_ebd="layer_norm", pos_att_type=["p2c", "c2p"], share_att_key=True,
        position_biased_input=False)
    monkeypatch.setattr(references, "deberta_v3_base_config", lambda: deberta)
    monkeypatch.setattr(references, "bloom_560m_config",
                        lambda: BloomConfig(hidden_size=16, n_layer=1, n_head=2, vocab_size=1000))
    monkeypatch.setattr(subject, "load_model", lambda name, untrained: (tiny, "tiny", _TINY_LOAD))
    monkeypatch.setattr(subject, "load_code", lambda name, untrained: _TINY_LOAD)
    parser = argparse.ArgumentParser()
    bench.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", "--quick", "--json",
                              "--threads", str(torch.get_num_threads())])
    assert args.func(args) == 0
    result = json.loads(capsys.readouterr().out)

    assert result["model"] == "tiny" and result["texts"] == 32 and result["batch_size"] == 32
    assert 20 <= result["words_per_text"] <= 32
    kinds = ("extract", "extract_no_hits", "extract_forward", "extract_floor", "extract_bf16",
             "classify", "classify_floor", "classify_bf16", "deberta", "deberta_bf16")
    assert set(result["rows"]) == {f"{k}_{n}" for k in kinds for n in ("5", "20")} | {"bloom_5"}
    for row in result["rows"].values():
        assert row["texts_per_s"] > 0
        assert math.isclose(row["ms_per_text"] * row["texts_per_s"], 1000)
    tokens = result["encoder_tokens_per_text"]
    assert 0 < tokens["5"] < tokens["20"]
    # random heads: roughly half of all (span, label) pairs pass the 0.5 threshold
    assert 0 < result["candidates_per_text"]["5"] < result["candidates_per_text"]["20"]

    assert result["bloom"]["texts"] == 1 and len(result["bloom"]["alongside_s"]) == 1
    (n,) = result["bloom"]["new_tokens"]
    assert 10 <= n <= 60  # the gold answer's length: one line per label
    assert result["bloom"]["prompt_tokens"][0] > n

    assert set(result["ratios"]) == {
        "extract_5_vs_floor", "extract_20_vs_floor", "extract_5_no_hits_vs_floor",
        "extract_20_no_hits_vs_floor", "classify_5_vs_floor",
        "classify_20_vs_floor", "deberta_5_vs_extract", "deberta_20_vs_extract",
        "deberta_bf16_5_vs_extract_bf16", "deberta_bf16_20_vs_extract_bf16",
        "bloom_5_vs_extract"}
    for ratio in result["ratios"].values():
        assert isinstance(ratio["value"], float) and ratio["value"] > 0
        assert isinstance(ratio["met"], bool)
    assert result["ratios"]["bloom_5_vs_extract"]["target"] == ">= 100"

    cold = result["cold_start"]
    assert 0 < cold["import_load_s"] < cold["process_s"]
    assert cold["first_extract_s"] > 0 and cold["peak_rss_mb"] > 50
    assert 0 < result["peak_rss_mb"]["after_ours"] <= result["peak_rss_mb"]["end"]
    assert 0 <= result["others_cpu_share"] <= 1

    report = bench.format_report(result)
    assert "bare encoder forward (floor), 20 labels" in report
    assert "span model forward (encoder + heads), 5 labels" in report
    assert "bloom_5_vs_extract" in report and "forced" in report
    assert "extract, bfloat16 option, 5 labels" in report


def test_model_choice_falls_back_to_the_untrained_default(
        tiny: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    import seqgpt

    def load(model: str | None = None) -> Model:
        if model is None:
            raise ModelNotFoundError("no embedded default")
        return tiny

    monkeypatch.setattr(seqgpt, "load", load)
    monkeypatch.setattr(subject, "untrained_default", lambda: tiny)
    nlu, name, code = bench.load_model(None)
    assert nlu is tiny and name.startswith("untrained default architecture")
    assert "did not load" in name and "untrained_default()" in code
    assert code != bench.load_code(None)  # the fallback: its cold start is measured again
    nlu, name, code = bench.load_model(None, untrained=True)
    assert nlu is tiny and "--untrained" in name and "untrained_default()" in code
    assert code == bench.load_code(None, untrained=True)
    nlu, name, code = bench.load_model("some/folder")
    assert nlu is tiny and name == "some/folder" and code == "nlu = seqgpt.load('some/folder')"
    assert code == bench.load_code("some/folder")


def test_untrained_stand_in_reads_the_shipped_architecture(
        tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import seqgpt.api
    from seqgpt.backends.compact import CONFIG

    folder = tmp_path / "default"
    folder.mkdir()
    monkeypatch.setattr(seqgpt.api, "DEFAULT_MODEL", folder)
    assert bench.default_architecture().encoder_layers == bench.DEFAULT_ENCODER_LAYERS
    (folder / CONFIG).write_text(json.dumps({"model": {"encoder_layers": 3, "max_width": 8}}))
    config = bench.default_architecture()
    assert (config.encoder_layers, config.max_width) == (3, 8)


def test_cli_registration_and_errors(tiny: Model) -> None:
    parser = argparse.ArgumentParser()
    bench.add_parser(parser.add_subparsers(dest="command"))
    with pytest.raises(SeqGPTError, match="either --model or --untrained"):
        bench.run(parser.parse_args(["bench", "--untrained", "--model", "m"]))
    with pytest.raises(SeqGPTError, match="--threads must be a positive integer"):
        bench.run(parser.parse_args(["bench", "--threads", "0"]))
    with pytest.raises(SeqGPTError, match="measures a compact model"):
        bench.measure(Model(backend=type("Other", (), {"name": "other"})()))
    with pytest.raises(SeqGPTError, match="cold-start process failed"):
        bench.cold_start("raise SystemExit('no model here')", "a text", ["label"])


def test_cold_start_reports_the_median_of_several_fresh_processes() -> None:
    result = bench.cold_start(_TINY_LOAD, "Tim Cook visited Beijing.", ["person"], runs=3)
    runs = result["load_s_runs"]
    assert len(runs) == 3 and runs == sorted(runs) and result["import_load_s"] == runs[1]
    assert 0 < result["import_load_s"] < result["process_s"]
    assert "median of 3 starts" in bench.format_report(
        {**_report_stub(), "cold_start": result})


def _report_stub() -> dict:
    row = {"texts_per_s": 1.0, "ms_per_text": 1000.0}
    return {"encoder_tokens_per_text": {"5": 1, "20": 2}, "candidates_per_text": {"5": 1, "20": 1},
            "bloom": {"texts": 1, "new_tokens": [1], "prompt_tokens": [2]}, "model": "m",
            "texts": 1, "words_per_text": 1.0, "seed": 0, "batch_size": 1, "threads": 1,
            "quick": True, "rows": {"extract_5": row}, "ratios": {},
            "peak_rss_mb": {"after_ours": 1, "end": 1}, "others_cpu_share": None}
