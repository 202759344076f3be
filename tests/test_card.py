"""The exported default model's card is written from the run: curve, data, scores, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seqgpt.backends.compact import CONFIG, WEIGHTS
from seqgpt.model.top_layers import dequantized
from seqgpt.train.card import refresh_card, write_card
from seqgpt.types import SeqGPTError


def _run(tmp_path: Path) -> tuple[Path, Path, Path]:
    run = tmp_path / "run"
    run.mkdir()
    (run / WEIGHTS).write_bytes(b"weights")
    config = {"model": {"base_encoder": "multilingual-e5-small", "encoder_layers": 5,
                        "max_width": 16, "max_tokens": 512, "dropout": 0.1},
              "inference": {"threshold": 0.4}, "card": {"step": 500, "args": {"steps": 600}}}
    (run / CONFIG).write_text(json.dumps(config))
    (run / "log.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"step": 250, "loss": 3.0}, {"step": 250, "dev": 0.1}, {"step": 500, "dev": 0.25}]))
    data = tmp_path / "mix.jsonl"
    data.write_text("\n".join(json.dumps({"dataset": d, "task": t}) for d, t in [
        ("conll2003", "extract"), ("conll2003", "extract"), ("agnews", "classify")]))
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({
        "settings": {"limit": 100, "seed": 0, "date": "2026-11-24"},
        "model": {"wnut17 (extract)": 40.0, "conll2003 (extract)": 60.0},
        "baseline": {"wnut17 (extract)": 1.0, "conll2003 (extract)": 2.0},
        "model_zero_shot_average": 40.0, "baseline_zero_shot_average": 1.0}))
    return run, data, scores


def test_card_and_config_come_from_the_run(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps({"model": "runs/x", "options": {}, "limit": 50, "seed": 0,
                                 "results": [{"task": "answer", "dataset": "drcd",
                                              "split": "test", "language": "zh", "n": 50,
                                              "scores": {"exact match": 0.2, "token F1": 0.31},
                                              "seconds": 4.0}]}))
    card = write_card(run, out, [data], scores, {"similarity_weight": 0.7},
                      notes="## Depth\n\nFive layers, measured.", task_scores=tasks)
    assert (out / WEIGHTS).read_bytes() == b"weights"
    config = json.loads((out / CONFIG).read_text())
    assert config["inference"] == {"threshold": 0.4, "similarity_weight": 0.7}
    text = card.read_text()
    assert "first 5 layers" in text and "| 500 | 25.0 |" in text and "| 250 | 10.0 |" in text
    assert "## Depth\n\nFive layers, measured." in text
    assert "`python benchmarks/zero_shot.py --limit 100 --seed 0`" in text
    assert "| conll2003 (extract), held-in: trained on | 60.0 | 2.0 |" in text
    assert "| **zero-shot average** | 40.0 | 1.0 |" in text
    assert "| conll2003 | 2 |" in text and "Reuters" in text
    assert "`seqgpt eval-tasks --limit 50 --seed 0`" in text
    assert "| answer | drcd | zh | test | 50 | exact match 20.0; token F1 31.0 | 4 |" in text


@pytest.mark.parametrize("change, error", [
    ({"settings": {"limit": 100, "seed": 0, "date": "2026-12-06", "split": "selection"}},
     "selection splits"),
    ({"baseline": None}, "no untrained baseline"),
])
def test_a_zero_shot_table_the_card_cannot_print_writes_nothing(
        tmp_path: Path, change: dict, error: str) -> None:
    run, data, scores = _run(tmp_path)
    table = {k: v for k, v in {**json.loads(scores.read_text()), **change}.items()
             if v is not None}
    scores.write_text(json.dumps(table))
    out = tmp_path / "shipped"
    with pytest.raises(SeqGPTError, match=error):
        write_card(run, out, [data], scores)
    assert not out.exists()


def test_a_bad_inference_option_writes_nothing(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    with pytest.raises(SeqGPTError, match="similarity_weight must be a number in"):
        write_card(run, out, [data], scores, {"similarity_weight": 7})
    with pytest.raises(SeqGPTError, match="unknown option 'simlarity'"):
        write_card(run, out, [data], scores, {"simlarity": 0.5})
    assert not out.exists()


def test_refresh_replaces_only_the_measured_tables(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores, notes="## Depth\n\nFive layers.")
    before = card.read_text()
    scores.write_text(json.dumps({
        "settings": {"limit": 200, "seed": 0, "date": "2026-12-03"},
        "model": {"wnut17 (extract)": 44.0}, "baseline": {"wnut17 (extract)": 3.0},
        "model_zero_shot_average": 44.0, "baseline_zero_shot_average": 3.0}))
    refresh_card(out, scores, None, note="Labels read with `query: `.")
    text = card.read_text()
    assert "| wnut17 (extract) | 44.0 | 3.0 |" in text and "| 40.0 | 1.0 |" not in text
    assert "## Re-measured with the weights unchanged\n\nLabels read with `query: `." in text
    # the training sections, the notes and the licences are the run's, as before
    assert text.split("## Re-measured")[0] == before.split("## Zero-shot")[0]
    assert text.split("## Licences")[1] == before.split("## Licences")[1]
    refresh_card(out, scores, None, note="Again.")  # a second refresh keeps one note
    assert card.read_text().count("## Re-measured") == 1 and "Again." in card.read_text()
    (out / "MODEL_CARD.md").write_text("# a card by hand\n")
    with pytest.raises(SeqGPTError, match="no '## Zero-shot dev sets"):
        refresh_card(out, scores, None)


def _pairs_run(tmp_path: Path) -> Path:
    from safetensors.torch import save_file

    run = tmp_path / "pairs"
    run.mkdir(parents=True)
    save_file({"head.weight": torch.randn(3, 8).half(), "head.bias": torch.randn(3).half()},
              str(run / "pairs.safetensors"))
    (run / "data.json").write_text(json.dumps({"ocnli": 10, "snli": 20}))
    (run / "args.json").write_text(json.dumps({"steps": 600, "batch_size": 32,
                                               "train_layers": 4}))
    (run / "log.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"step": 300, "loss": 0.9, "pairs_per_s": 28.5},
        {"dev_sets": {"sick2014": 50.0, "snli": 60.0}}, {"step": 300, "dev": 55.0},
        {"dev_sets": {"sick2014": 54.0, "snli": 70.0}}, {"step": 600, "dev": 62.0}]))
    return run


def test_refresh_adds_the_pair_reader_before_the_licences(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores)
    refresh_card(out, scores, None, note="Labels read with `query: `.")
    refresh_card(out, None, None, readers={"pairs": _pairs_run(tmp_path)})
    assert "## Re-measured with the weights unchanged\n\nLabels read with" in card.read_text()
    from safetensors.torch import load_file

    assert load_file(str(out / "pairs.safetensors"))["head.weight"].dtype == torch.int8
    text = card.read_text()
    reader = text.split("## NLI pair reader (`pairs.safetensors`)")[1].split("## Licences")[0]
    assert "top 4 layers" in reader and "600 steps x 32 pairs" in reader
    assert "28.5 pairs/s" in reader and "`ocnli` 10, `snli` 20" in reader
    assert "kept: step 600" in reader
    assert "| step | sick2014 | snli | mean |" in reader
    assert "| 600 | 54.0 | 70.0 | 62.0 |" in reader
    # refreshed again: still one section
    refresh_card(out, None, None, readers={"pairs": _pairs_run(tmp_path / "again")})
    assert card.read_text().count("## NLI pair reader") == 1
    with pytest.raises(SeqGPTError, match="not a finished seqgpt.train.pairs run"):
        refresh_card(out, None, None, readers={"pairs": tmp_path / "missing"})


def test_write_card_ships_the_pair_reader(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    text = write_card(run, out, [data], scores,
                      readers={"pairs": _pairs_run(tmp_path)}).read_text()
    assert (out / "pairs.safetensors").is_file() and "## NLI pair reader" in text
    assert "`ocnli`: CC BY-NC 2.0" in text  # its data's licences are listed with the mixture's


def _relations_run(folder: Path, steps: int, data: dict[str, int],
                   log: list[dict[str, object]]) -> Path:
    """A finished relation-reader run folder: a random head, its data counts, settings, log."""
    from safetensors.torch import save_file

    folder.mkdir()
    save_file({"head.weight": torch.randn(1, 8).half(), "head.bias": torch.randn(1).half()},
              str(folder / "relations.safetensors"))
    (folder / "data.json").write_text(json.dumps(data))
    (folder / "args.json").write_text(json.dumps({"steps": steps, "batch_size": 8,
                                                  "train_layers": 4}))
    (folder / "log.jsonl").write_text("\n".join(json.dumps(r) for r in log))
    return folder


def test_refresh_adds_the_relation_reader(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores)
    reader = _relations_run(tmp_path / "relations", 300,
                            {"semeval2010_task8": 9, "duie2_more": 4}, [
        {"step": 300, "loss": 1.2, "questions_per_s": 9.5},
        {"dev_sets": {"fewrel": 30.0, "ade_re": 80.0}}, {"step": 300, "dev": 55.0}])
    refresh_card(out, None, None, readers={"relations": reader})
    section = card.read_text().split("## Relation reader (`relations.safetensors`)")[1]
    assert "top 4 layers" in section and "300 steps x 8 questions" in section
    assert "| 300 | 30.0 | 80.0 | 55.0 |" in section.split("## Licences")[0]
    assert (out / "relations.safetensors").is_file()


def test_a_reader_trained_without_dev_sets_says_its_last_step_was_kept(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores)
    # without dev sets (--dev '') a trainer logs each saved step's number as its "dev" score
    reader = _relations_run(tmp_path / "relations", 800, {"semeval2010_task8": 9}, [
        {"step": 400, "dev": 400.0}, {"step": 800, "loss": 0.9, "questions_per_s": 8.1},
        {"step": 800, "dev": 800.0}])
    refresh_card(out, None, None, readers={"relations": reader})
    section = card.read_text().split("## Relation reader (`relations.safetensors`)")[1]
    section = section.split("## Licences")[0]
    assert "800 steps x 8 questions" in section and "8.1 questions/s" in section
    assert "- kept: the last step, 800" in section
    assert "best mean dev" not in section and "| step |" not in section
    assert (out / "relations.safetensors").is_file()


def test_refresh_mixes_a_continued_readers_last_step_with_the_one_it_replaces(
        tmp_path: Path) -> None:
    from safetensors.torch import load_file

    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores)
    refresh_card(out, None, None, readers={"pairs": _pairs_run(tmp_path / "first")})
    earlier = dequantized(load_file(str(out / "pairs.safetensors")))
    continued = _pairs_run(tmp_path / "continued")
    last = {"head.weight": torch.randn(3, 8), "head.bias": torch.randn(3)}
    torch.save({"weights": last, "step": 900}, continued / "pairs_checkpoint.pt")
    with (continued / "log.jsonl").open("a") as log:
        log.write("\n" + json.dumps({"step": 900, "loss": 0.5, "pairs_per_s": 28.0}))
    refresh_card(out, None, None, readers={"pairs": continued}, last=True, mix=0.25)
    installed = dequantized(load_file(str(out / "pairs.safetensors")))
    for name, value in last.items():
        expected = 0.25 * value + 0.75 * earlier[name]
        assert torch.allclose(installed[name], expected, atol=0.02 * expected.abs().max())
    section = card.read_text().split("## NLI pair reader (`pairs.safetensors`)")[1]
    assert "kept: the last step, 900" in section and "kept: step 600" not in section
    assert "installed as 0.25 x this reader + 0.75 x the reader it replaced" in section
    with pytest.raises(SeqGPTError, match="mix must be in"):
        refresh_card(out, None, None, readers={"pairs": continued}, mix=1.5)
    with pytest.raises(SeqGPTError, match="no checkpoint of its last step"):
        refresh_card(out, None, None, readers={"pairs": _pairs_run(tmp_path / "x")}, last=True)
    torch.save({"weights": {"other.weight": torch.randn(2, 2)}, "step": 1},
               continued / "pairs_checkpoint.pt")
    with pytest.raises(SeqGPTError, match="--mix needs the reader the run continued"):
        refresh_card(out, None, None, readers={"pairs": continued}, last=True, mix=0.5)


def test_refresh_adds_the_answer_reader_and_its_threshold(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], scores)
    reader = tmp_path / "qa"
    reader.mkdir()
    from safetensors.torch import load_file, save_file

    weights = {"head.weight": torch.randn(2, 8), "head.bias": torch.randn(2)}
    save_file({k: v.half() for k, v in weights.items()}, str(reader / "qa.safetensors"))
    (reader / "data.json").write_text(json.dumps({"cmrc2018": 5, "xquad/en": 7}))
    (reader / "args.json").write_text(json.dumps({"steps": 400, "batch_size": 16,
                                                  "train_layers": 6}))
    (reader / "log.jsonl").write_text("\n".join(json.dumps(r) for r in [
        {"step": 200, "loss": 2.0, "questions_per_s": 4.2},
        {"dev_sets": {"drcd": 30.0, "subjqa": 20.0}}, {"step": 200, "dev": 25.0}]))
    refresh_card(out, None, None, readers={"qa": reader}, inference={"answer_threshold": 0.3})
    text = card.read_text()
    section = text.split("## Answer reader (`qa.safetensors`)")[1].split("## Licences")[0]
    assert "top 6 layers" in section and "400 steps x 16 questions" in section
    assert "4.2 questions/s" in section and "| 200 | 30.0 | 20.0 | 25.0 |" in section
    installed = load_file(str(out / "qa.safetensors"))  # matrices as int8, a scale per row
    assert installed["head.weight"].dtype == torch.int8 and "head.weight.int8_scale" in installed
    assert torch.allclose(dequantized(installed)["head.weight"], weights["head.weight"],
                          atol=0.02)
    assert installed["head.bias"].dtype == torch.float16
    config = json.loads((out / "seqgpt_config.json").read_text())
    assert config["inference"]["answer_threshold"] == 0.3
    assert '"answer_threshold": 0.3' in text.split("## Training")[0]  # the options line too
    with pytest.raises(SeqGPTError, match="answer_threshold must be a number"):
        refresh_card(out, None, None, inference={"answer_threshold": 3})
    # the second sentence encoder gets its line under the options, once, and loses it at 0
    for weight in (0.3, 0.4):
        base = refresh_card(out, None, None, inference={"minilm_weight": weight}).read_text()
        base = base.split("## Training")[0]
        assert base.count("also reads `all-MiniLM-L6-v2`") == 1
        assert f"takes {weight} of the blend's cosine term" in base
    assert "span typing" not in base
    typed = refresh_card(out, None, None, inference={"span_typing_weight": 0.4}).read_text()
    assert typed.split("## Training")[0].count("extract's span typing the same term") == 1
    base = refresh_card(out, None, None, inference={"minilm_weight": 0}).read_text()
    assert "all-MiniLM-L6-v2" not in base


def test_a_continued_model_keeps_the_sections_of_its_unchanged_readers(tmp_path: Path) -> None:
    run, data, scores = _run(tmp_path)
    out = tmp_path / "shipped"
    write_card(run, out, [data], scores, readers={"pairs": _pairs_run(tmp_path)})
    # the next span model, trained on from `out`, ships the same reader without its run
    (run / "pairs.safetensors").write_bytes((out / "pairs.safetensors").read_bytes())
    (data.parent / "mix2.jsonl").write_text(json.dumps({"dataset": "agnews", "task": "classify"}))
    text = write_card(run, out, [data.parent / "mix2.jsonl"], scores).read_text()
    reader = text.split("## NLI pair reader (`pairs.safetensors`)")[1].split("## Licences")[0]
    assert "600 steps x 32 pairs" in reader and "| 600 | 54.0 | 70.0 | 62.0 |" in reader
    assert "`ocnli`: CC BY-NC 2.0" in text  # the reader's data still counts for the licences
    # a different reader file: its old section no longer describes it
    (run / "pairs.safetensors").write_bytes(b"another reader")
    text = write_card(run, out, [data], scores).read_text()
    assert "## NLI pair reader" not in text and "`ocnli`" not in text


def test_last_ships_the_checkpoint_weights_and_says_so(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from seqgpt.train.loop import save_state

    run, data, _ = _run(tmp_path)
    with pytest.raises(SeqGPTError, match="--keep-checkpoint"):
        write_card(run, tmp_path / "none", [data], None, last=True)
    weights = {"head.weight": torch.tensor([[0.5, -1.25]]),
               "encoder.embeddings.word_embeddings.weight": torch.ones(3, 2)}
    save_state(run / "checkpoint.pt", {"model": weights, "step": 600})
    (run / "log.jsonl").write_text((run / "log.jsonl").read_text()
                                   + "\n" + json.dumps({"step": 600, "dev": 0.2}))
    out = tmp_path / "shipped"
    card = write_card(run, out, [data], None, last=True).read_text()
    shipped = load_file(out / WEIGHTS)
    assert list(shipped) == ["head.weight"]  # the base package's embeddings never ship
    assert shipped["head.weight"].dtype == torch.float16
    assert shipped["head.weight"].tolist() == [[0.5, -1.25]]
    config = json.loads((out / CONFIG).read_text())["card"]
    assert config["step"] == 600 and config["dev"] == 0.2
    assert "- steps: 600 (the last step, chosen after the run over the best dev step)" in card
