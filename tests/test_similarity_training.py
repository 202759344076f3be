"""Contrastive training of the classification blend's sentence encoder, and how a model folder
carries its trained layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seqgpt.backends.compact import SIMILARITY, CompactBackend, save
from seqgpt.data.instance import AtomicInstance
from seqgpt.encoders import E5_SMALL
from seqgpt.model.sentence import SentenceSimilarity
from seqgpt.train import similarity
from seqgpt.train.loop import cli
from seqgpt.types import SeqGPTError


def _classify(dataset: str, text: str, gold: str, labels: list[str],
              negatives: tuple[str, ...] = ()) -> AtomicInstance:
    return AtomicInstance(text=text, task="classify", labels=labels, dataset=dataset,
                          split="train", language="en", gold=[gold],
                          meta={"negatives": list(negatives)} if negatives else {})


def test_labelled_texts_keep_single_text_classification_only() -> None:
    kept = _classify("agnews", "Stocks fell.", "business", ["business", "sports", "physics"],
                     negatives=("physics",))
    dropped = [
        _classify("glue_subsets_powerfulpromptft/MNLI", "A man.\nA person.", "entailment",
                  ["entailment", "neutral", "contradiction"]),
        _classify("fewclue/bustm", "a\nb", "同义", ["同义", "不同义"]),
        AtomicInstance(text="Tim Cook", task="extract", labels=["person"], dataset="conll2003",
                       split="train", language="en"),
        _classify("conll04_re#questions", "x", "y", ["y", "z"]),
    ]
    texts = similarity.labelled_texts([kept, *dropped])
    # the mixture's foreign negative is gone: in-batch labels play that part
    assert texts == [similarity.LabelledText("Stocks fell.", ("business",),
                                             ("business", "sports"))]


def test_batch_targets_pool_labels_once() -> None:
    items = [similarity.LabelledText("a", ("x",), ("x", "y")),
             similarity.LabelledText("b", ("y", "z"), ("y", "z"))]
    pool, positives = similarity.batch_targets(items)
    assert pool == ["x", "y", "z"]
    assert positives.tolist() == [[True, False, False], [False, True, True]]


def test_contrastive_loss_is_low_when_texts_sit_on_their_labels() -> None:
    labels = torch.eye(3)
    positives = torch.eye(3, dtype=torch.bool)
    right = similarity.contrastive_loss(torch.eye(3), labels, positives, 0.05)
    wrong = similarity.contrastive_loss(torch.eye(3)[[1, 2, 0]], labels, positives, 0.05)
    assert right.item() < 0.01 < 10 < wrong.item()
    # several gold labels: mass on any of them counts
    both = torch.tensor([[True, True, False]] * 3)
    assert similarity.contrastive_loss(torch.eye(3)[[0, 1, 0]], labels, both, 0.05) < 0.01


def test_training_saves_only_top_layers_and_resumes(tmp_path: Path) -> None:
    data = [similarity.LabelledText("The match ended 2-1.", ("sports",), ("sports", "business")),
            similarity.LabelledText("Shares rose 3%.", ("business",), ("sports", "business"))]
    args = similarity.SimilarityArgs(steps=2, batch_size=2, warmup=1, train_layers=1,
                                     save_every=1, log_every=1)
    scores = iter([1.0, 0.5, 2.0])
    path = similarity.train(data, tmp_path, args, lambda encoder: next(scores))
    from safetensors.torch import load_file

    weights = load_file(str(path))
    assert weights and all(k.startswith("encoder.layer.11.") for k in weights)
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["dev"] for r in records if "dev" in r] == [1.0, 0.5]
    # asked for one more step, the run goes on from step 2 instead of starting over
    similarity.train(data, tmp_path, similarity.SimilarityArgs(
        steps=3, batch_size=2, warmup=1, train_layers=1, save_every=1, log_every=1),
        lambda encoder: next(scores))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["step"] for r in records if "dev" in r] == [1, 2, 3]
    assert not torch.equal(load_file(str(path))["encoder.layer.11.output.dense.weight"],
                           weights["encoder.layer.11.output.dense.weight"])  # step 3 was best


def test_sentence_similarity_takes_trained_layers() -> None:
    plain = SentenceSimilarity(E5_SMALL)
    key = "encoder.layer.11.output.LayerNorm.bias"
    # a uniform shift would vanish in the mean pooling's normalisation: shift some dimensions
    shifted = plain.encoder.state_dict()[key] + torch.linspace(-1, 1, 384)
    tuned = SentenceSimilarity(E5_SMALL, tuned={key: shifted.half()})
    texts, labels = ["The match ended 2-1."], ["sports", "business"]
    assert not torch.allclose(plain(texts, labels), tuned(texts, labels))
    with pytest.raises(SeqGPTError, match="do not fit multilingual-e5-small"):
        SentenceSimilarity(E5_SMALL, tuned={"encoder.layer.99.x": shifted})


def test_texts_and_labels_are_embedded_the_same_way() -> None:
    # one prefix on both sides (``seqgpt.encoders.E5_PREFIX``): a label repeating the text
    # is the text's own embedding (with ``passage: `` on labels this cosine was 0.95)
    similarity = SentenceSimilarity(E5_SMALL)
    text = "Book me a table for two at eight."
    cosines = similarity([text, "Stocks fell."], [text, "restaurant booking"])
    assert cosines[0, 0].item() == pytest.approx(1.0, abs=1e-5)
    assert cosines[1, 0] < 0.95


def test_a_full_label_cache_starts_over_without_losing_the_labels_asked() -> None:
    similarity = SentenceSimilarity(E5_SMALL)
    similarity.max_cached_labels = 3
    first = similarity.label_vectors(["sports", "business"])
    # "sports" is cached, "music" and "travel" overflow the cache: all three still come back
    again = similarity.label_vectors(["sports", "music", "travel"])
    assert torch.allclose(again[0], first[0], atol=1e-6) and again.shape == (3, 384)
    assert similarity.label_vectors([]).shape == (0, 384)


def test_model_folder_keeps_its_trained_sentence_encoder(tmp_path: Path) -> None:
    from seqgpt.api import DEFAULT_MODEL

    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    state = {"encoder.layer.11.output.dense.bias": torch.full((384,), 0.25, dtype=torch.float16)}
    backend.model.similarity_state = state
    save(backend.model, tmp_path / "tuned")
    assert (tmp_path / "tuned" / SIMILARITY).is_file()
    again = CompactBackend.from_folder(tmp_path / "tuned")
    assert again.model.similarity_state is not None
    assert torch.equal(again.model.similarity_state["encoder.layer.11.output.dense.bias"],
                       state["encoder.layer.11.output.dense.bias"])
    bias = again.similarity.encoder.state_dict()["encoder.layer.11.output.dense.bias"]
    assert torch.allclose(bias, torch.full((384,), 0.25))


def test_command_names_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["similarity", "--data", str(tmp_path / "nope.jsonl"),
                                     "--out", str(tmp_path / "run")])
    assert cli(similarity.main) == 2
    assert "nope.jsonl: cannot read the file" in capsys.readouterr().err
