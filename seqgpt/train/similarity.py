"""Contrastive training of the sentence encoder that ranks labels for classification.

Single-label classification blends the compact model's head with the cosine between a text's
embedding and each label name's embedding (:mod:`seqgpt.model.sentence`). Untrained, that
cosine is E5's general notion of relatedness; here the top layers of the full encoder learn
that a text's nearest label name is its class: a softmax over the label names of the batch
(each instance's own candidates, the hard negatives, plus every other instance's, the
in-batch ones), with the gold label(s) as positives.

Only the top ``train_layers`` layers change, so only they are saved (``similarity.safetensors``
in the model folder, beside the span model) and the lower layers still come from the
package. Pair tasks (NLI, paraphrase, coreference) are left out: their label names
("entailment", "paraphrase") say nothing a text's embedding could be near.

    python -m seqgpt.train.similarity --data mix.jsonl --out runs/sim --steps 700

What it buys (README, "Teach the classification blend your label sets"): the label sets it is
trained on, by a wide margin (atis intents 34 -> 92 cosine accuracy); label sets it never saw,
nothing (zero-shot dev selection mean 42.8 -> 40.8 after 700 steps on 515 label names). So it
is a tool for users with fixed label sets; the default model does not ship with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from seqgpt.backends.compact import SIMILARITY
from seqgpt.data import registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.encoders import E5_PREFIX, E5_SMALL, e5_tokenizer, load_encoder, mean_pool
from seqgpt.model.bert import Bert
from seqgpt.train.loop import (
    add_flags,
    cli,
    train_top_layers,
)

#: Classification sets of kind ``cls`` whose text is a pair and whose labels are yes/no.
PAIR_DATASETS = frozenset({"fewclue/bustm", "fewclue/csl", "fewclue/cluewsc"})


@dataclass
class SimilarityArgs:
    steps: int = 1500
    batch_size: int = 64
    lr: float = 3e-5
    warmup: int = 100
    weight_decay: float = 0.01
    temperature: float = 0.05  # E5's own contrastive temperature is 0.01; labels are short
    train_layers: int = 4  # the top layers trained (and shipped); the rest stay E5's
    max_tokens: int = 128
    seed: int = 1
    bfloat16: bool = False
    log_every: int = 20
    save_every: int = 250


@dataclass(frozen=True)
class LabelledText:
    text: str
    gold: tuple[str, ...]
    candidates: tuple[str, ...]  # the dataset's own label set: the hard negatives


def labelled_texts(instances: list[AtomicInstance]) -> list[LabelledText]:
    """The single-text classification instances, with the mixture's random foreign negatives
    (``meta["negatives"]``) dropped: in-batch labels already play that part."""
    out = []
    for i in instances:
        if i.task != "classify" or not i.gold or "#" in i.dataset:
            continue
        try:
            spec = registry.get(i.dataset)
        except registry.UnknownDatasetError:
            spec = None
        if spec is not None and (spec.kind == "nli" or spec.name in PAIR_DATASETS):
            continue
        foreign = set(i.meta.get("negatives", ()))
        candidates = tuple(label for label in i.labels if label not in foreign)
        out.append(LabelledText(i.text, tuple(i.gold), candidates))
    return out


def trained_keys(encoder: Bert, train_layers: int) -> list[str]:
    first = len(encoder.encoder.layer) - train_layers
    return [k for k in encoder.state_dict()
            if k.startswith("encoder.layer.") and int(k.split(".")[2]) >= first]


class _Embedder:
    """Mean-pooled, normalised embeddings; the frozen lower layers run without a graph."""

    def __init__(self, encoder: Bert, tokenizer, train_layers: int, max_tokens: int) -> None:  # noqa: ANN001
        self.encoder, self.tokenizer = encoder, tokenizer
        self.split = len(encoder.encoder.layer) - train_layers
        self.max_tokens = max_tokens

    def __call__(self, texts: list[str]) -> torch.Tensor:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens,
                               return_tensors="pt")
        mask = batch["attention_mask"]
        x = self.encoder(batch["input_ids"], mask, frozen_below=self.split)
        return torch.nn.functional.normalize(mean_pool(x, mask).float(), dim=-1)


def contrastive_loss(queries: torch.Tensor, labels: torch.Tensor, positives: torch.Tensor,
                     temperature: float) -> torch.Tensor:
    """Mean over texts of ``-log`` (softmax mass on the text's gold labels)."""
    logits = queries @ labels.T / temperature
    gold = logits.masked_fill(~positives, float("-inf")).logsumexp(-1)
    return (logits.logsumexp(-1) - gold).mean()


def batch_targets(items: list[LabelledText]) -> tuple[list[str], torch.Tensor]:
    """The batch's label pool (every candidate of every text, once) and the positives mask."""
    pool = list(dict.fromkeys(label for item in items for label in (*item.gold, *item.candidates)))
    index = {label: k for k, label in enumerate(pool)}
    positives = torch.zeros(len(items), len(pool), dtype=torch.bool)
    for b, item in enumerate(items):
        positives[b, [index[g] for g in item.gold]] = True
    return pool, positives


def train(data: list[LabelledText], out: Path, args: SimilarityArgs,
          evaluate: Callable[[Bert], float] | None = None) -> Path:
    """Train on ``data``; every ``save_every`` steps score the encoder with ``evaluate`` (higher
    is better) and keep the best weights as ``out/similarity.safetensors``. A run killed
    midway continues from its last checkpoint when started again with the same ``out``."""
    torch.manual_seed(args.seed)
    encoder, tokenizer = load_encoder(E5_SMALL)
    keys = set(trained_keys(encoder, args.train_layers))
    encoder.requires_grad_(False)
    params = [p for k, p in encoder.named_parameters() if k in keys]
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    embed = _Embedder(encoder, tokenizer, args.train_layers, args.max_tokens)

    def batch_loss(batch: list[int]) -> torch.Tensor:
        items = [data[n] for n in batch]
        pool, positives = batch_targets(items)
        with torch.autocast("cpu", torch.bfloat16, enabled=args.bfloat16):
            queries = embed([E5_PREFIX + item.text for item in items])
            labels = embed([E5_PREFIX + label for label in pool])
        return contrastive_loss(queries, labels, positives, args.temperature)

    return train_top_layers(
        out, args, len(data), encoder, optimiser, params,
        learning=list(encoder.encoder.layer[embed.split:]),  # the frozen layers stay E5's
        batch_loss=batch_loss,
        trained_weights=lambda: {k: v.detach().clone() for k, v in encoder.state_dict().items()
                                 if k in keys},
        evaluate=(lambda: evaluate(encoder)) if evaluate else None,
        best=SIMILARITY, checkpoint=_CHECKPOINT, rate_name="texts_per_s")


_CHECKPOINT = "similarity_checkpoint.pt"


@torch.no_grad()
def accuracy(encoder: Bert, tokenizer, instances: list[AtomicInstance],  # noqa: ANN001
             batch_size: int = 64) -> dict[str, float]:
    """Cosine-argmax accuracy per dataset of single-label classification ``instances``."""
    embed = _Embedder(encoder, tokenizer, 0, 512)
    hits: dict[str, list[bool]] = {}
    for dataset in dict.fromkeys(i.dataset for i in instances):
        group = [i for i in instances if i.dataset == dataset and i.task == "classify"]
        labels = list(dict.fromkeys(label for i in group for label in i.labels))
        vectors = embed([E5_PREFIX + x for x in labels])  # label names are a few tokens
        for s in range(0, len(group), batch_size):
            chunk = group[s:s + batch_size]
            queries = embed([E5_PREFIX + i.text for i in chunk])
            for i, row in zip(chunk, queries @ vectors.T, strict=True):
                allowed = torch.tensor([label in i.labels for label in labels])
                best = labels[int(row.masked_fill(~allowed, -2.0).argmax())]
                hits.setdefault(dataset, []).append(best in i.gold)
    return {d: 100 * sum(h) / len(h) for d, h in hits.items()}


_HELP = {
    "steps": "optimiser steps", "batch_size": "texts per step", "lr": "AdamW learning rate",
    "warmup": "linear warm-up steps before the cosine decay", "weight_decay": "AdamW weight decay",
    "temperature": "softmax temperature on the cosines",
    "train_layers": "top encoder layers trained and saved", "max_tokens": "text tokens kept",
    "seed": "random seed",
    "bfloat16": "bfloat16 autocast (faster on CPUs with AMX, on some with AVX512-BF16 only)",
    "log_every": "steps between progress lines",
    "save_every": "steps between dev evaluations and checkpoints",
}


def main() -> int:
    from seqgpt.evaluate.runner import read_jsonl
    from seqgpt.train.devset import selection_instances

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", action="append", required=True,
                        help="JSONL in the format `seqgpt eval` reads, or `seqgpt data build` "
                             "output (repeatable); classification lines are used")
    parser.add_argument("--out", required=True,
                        help="run folder: log, checkpoint, the best similarity.safetensors")
    parser.add_argument("--dev", default="trec,emotion_yin2019,clinc150,fewclue/iflytek,"
                                         "online_shopping_10_cats,fewrel",
                        help="zero-shot dev datasets (their selection splits) that pick the "
                             "best step by cosine accuracy")
    parser.add_argument("--dev-limit", type=int, default=100, help="instances per dev dataset")
    add_flags(parser, SimilarityArgs(), _HELP)
    raw = parser.parse_args()
    args = SimilarityArgs(**{k: getattr(raw, k) for k in asdict(SimilarityArgs())})
    data = labelled_texts([i for path in raw.data for i in read_jsonl(path)])
    print(f"{len(data)} labelled texts, "
          f"{len({label for d in data for label in d.candidates})} label names", file=sys.stderr)
    dev = selection_instances([n for n in raw.dev.split(",") if n], raw.dev_limit, 0)
    tokenizer = e5_tokenizer()  # the trainer loads the encoder itself: only its tokenizer here

    def evaluate(encoder: Bert) -> float:
        scores = accuracy(encoder, tokenizer, dev)
        print(json.dumps({k: round(v, 1) for k, v in scores.items()}), file=sys.stderr)
        return sum(scores.values()) / len(scores)

    train(data, Path(raw.out), args, evaluate)
    return 0


if __name__ == "__main__":
    sys.exit(cli(main))
