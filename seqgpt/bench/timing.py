"""Timing the calls ``seqgpt bench`` compares: interleaved rounds, and the floor (the bare
encoder forward on exactly the token ids the compact model feeds it)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

import torch

from seqgpt.api import Model
from seqgpt.bench.samples import CLASSIFY_LABELS
from seqgpt.bench.subject import compact_backend
from seqgpt.encoders import minilm_reads
from seqgpt.model.spans import collate


def timings(calls: Mapping[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each call. Rounds interleave the calls, so that load from other
    processes on a shared machine hits every call alike and the ratios stay fair."""
    for call in calls.values():
        call()  # warm-up: first calls allocate buffers and pick kernels
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in seconds.items()}


def row(seconds: float, texts: int) -> dict[str, float]:
    return {"texts_per_s": texts / seconds, "ms_per_text": 1000 * seconds / texts}


def encoder_batches(nlu: Model, texts: list[str], labels: list[str],
                    spans: bool = True) -> list[dict[str, torch.Tensor]]:
    """The batches the compact backend builds for ``texts`` and ``labels`` (extraction, or
    classification with ``spans=False``), in its order: their ids are what its encoder gets."""
    backend = compact_backend(nlu)
    opts = backend.options
    features = [f for text in texts for group in backend.label_groups(labels, opts)
                for f in backend.featurizer.windows(text, group)]
    features.sort(key=lambda f: len(f.input_ids))
    width = backend.model.config.max_width if spans else 1
    return [collate(features[i:i + opts.batch_size], width, backend.pad_id)
            for i in range(0, len(features), opts.batch_size)]


def forward(module: Callable[..., object], batches: list[dict[str, torch.Tensor]],
            vocab_size: int | None = None, whole: bool = False,
            bfloat16: bool = False) -> Callable[[], None]:
    """One forward of ``module`` (a torch module, or anything called like one) over all
    ``batches``: the whole span model (``whole``) or an encoder on ids and mask, ids folded into
    ``vocab_size`` (cost depends on the token count, not on which ids); ``bfloat16``: under
    autocast, as our ``bfloat16`` option runs."""
    inputs = [b if whole else
              {"input_ids": b["input_ids"] % vocab_size if vocab_size else b["input_ids"],
               "attention_mask": b["attention_mask"]} for b in batches]

    def run() -> None:
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
            for batch in inputs:
                if whole:
                    module(batch)
                else:
                    module(**batch)

    return run


def sentence_floor(nlu: Model, texts: list[str]) -> Callable[[], None]:
    """The sentence encoders' forward over ``texts``: single-label classify's second pass when
    the model blends in text-label similarity, and its third (MiniLM) when ``minilm_weight``
    shares the cosine term for English texts (nothing to do when it does not blend)."""
    backend = compact_backend(nlu)
    if not getattr(backend.options, "similarity_weight", 0):
        return lambda: None
    encoders = [backend.similarity]
    if backend.options.minilm_weight and all(minilm_reads(t) for t in texts):
        encoders.append(backend.minilm)
    passes = []
    for similarity in encoders:
        similarity(texts[:1], CLASSIFY_LABELS)  # load it, outside the timing
        queries = sorted((similarity.prefix + t for t in texts), key=len)
        batches = [dict(similarity.tokenizer(queries[i:i + similarity.batch_size],
                                             padding=True, return_tensors="pt"))
                   for i in range(0, len(queries), similarity.batch_size)]
        passes.append(forward(similarity.encoder, batches))
    return chain(*passes)


def chain(*calls: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for call in calls:
            call()

    return run


def candidates_per_text(nlu: Model, batches: list[dict[str, torch.Tensor]], texts: int) -> float:
    """(span, label) pairs scored over the threshold: the work extract's decoding does after
    the forward. Untrained heads put about half of all pairs there, a trained model a few."""
    backend = compact_backend(nlu)
    total = 0
    with torch.inference_mode():
        for batch in batches:
            span_logits, _ = backend.model(batch)
            valid = batch["span_mask"][:, :, None] & batch["label_mask"][:, None, :]
            total += int(((span_logits.sigmoid() >= backend.options.threshold) & valid).sum())
    return total / texts

