"""``seqgpt bench``: speed and memory of the compact model against its floor and two references.

One run, the same texts (about 25 English words each, generated from a seed) and batch 32:

- our ``extract`` and ``classify`` with 5 and 20 labels (texts/s, ms/text);
- the floor: the bare encoder forward on exactly the token ids the compact model feeds it;
- GLiNER-M's encoder: a random DeBERTa-v3-base forward over the same label+text token counts;
- SeqGPT-560M's architecture: a random BLOOM-560M generating an upstream answer with upstream's
  beam search (4 beams, no sampling) for the upstream prompt, answer length forced;
- our extract and classify with the ``bfloat16`` option, and DeBERTa under bfloat16 autocast;
- cold start of a fresh process (import + load, then the first extract; the median of three)
  and peak memory.

Weight values do not change any of these costs, so an untrained model measures the same as a
trained one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seqgpt import prompt
from seqgpt.api import Model, ModelNotFoundError
from seqgpt.model.spans import SpanModelConfig
from seqgpt.types import SeqGPTError

BATCH = 32
EXTRACT_LABELS = ["person", "organization", "city", "date", "product"]
EXTRACT_LABELS_20 = EXTRACT_LABELS + [
    "country", "event", "money", "percentage", "time", "law", "language", "disease",
    "sports team", "vehicle", "award", "religion", "nationality", "facility", "artwork"]
CLASSIFY_LABELS = ["business", "technology", "politics", "health", "travel"]
CLASSIFY_LABELS_20 = CLASSIFY_LABELS + [
    "sports", "science", "entertainment", "education", "weather", "crime", "environment",
    "finance", "food", "fashion", "music", "religion", "law", "transport", "history"]

# Sentence templates of about 25 words; the slots are the gold spans of EXTRACT_LABELS.
_TEMPLATES = [
    "{person} flew to {city} on {date} to present the new {product} to investors after months "
    "of delays at {organization}.",
    "On {date}, {organization} announced that {person} will lead its office in {city}, where the "
    "team should double in size.",
    "Reporters in {city} said {person} had criticised {organization} on {date} for raising the "
    "price of the {product} without warning.",
    "{person} bought the new {product} in {city} on {date}, but it stopped working within a week "
    "and {organization} refused to replace it.",
    "Shares of {organization} fell on {date} after {person} warned that sales of the {product} "
    "in {city} were far below expectations.",
    "During a visit to {city} on {date}, {person} praised the volunteers of {organization} who "
    "repaired houses damaged by the winter floods.",
    "The {product} designed by {organization} will be tested by {person} and a few doctors in a "
    "hospital in {city} from {date}.",
    "{person} told the conference in {city} that {organization} would stop selling the {product} "
    "by {date} and focus on cheaper models.",
]
_FILLERS = {
    "person": ["Anna Schmidt", "Carlos Mendes", "Priya Nair", "James O'Connor", "Li Wei",
               "Fatima Haddad", "Tomasz Kowalski", "Emily Carter", "Kenji Watanabe",
               "Sofia Rossi", "David Okafor", "Hannah Becker"],
    "organization": ["Siemens", "Nordwind Energy", "Apex Robotics", "Bluebird Airlines",
                     "Helix Pharmaceuticals", "Orion Motors", "Crestline Bank", "Vantage Labs"],
    "city": ["Lisbon", "Nairobi", "Toronto", "Osaka", "Munich", "Buenos Aires", "Melbourne",
             "Krakow", "Seattle", "Cairo"],
    "date": ["Monday", "Friday", "March 3", "12 October", "June 21", "last Thursday",
             "the end of May"],
    "product": ["Model X3 tablet", "Aurora phone", "Pulse smartwatch", "Nova 7 laptop",
                "Echo heart monitor", "Falcon drone"],
}


@dataclass(frozen=True)
class Sample:
    text: str
    spans: dict[str, list[str]]  # label -> gold span texts, in order


def make_samples(n: int, seed: int = 0) -> list[Sample]:
    """``n`` English texts of about 25 words with their gold spans, the same for the same seed."""
    rng = random.Random(seed)
    samples = []
    for i in range(n):
        template = _TEMPLATES[i % len(_TEMPLATES)]
        fill = {label: rng.choice(values) for label, values in _FILLERS.items()}
        spans = {label: [value] for label, value in fill.items() if "{" + label + "}" in template}
        samples.append(Sample(template.format(**fill), spans))
    return samples


def deberta_v3_base_config() -> Any:
    """DeBERTa-v3-base's sizes (GLiNER-M's encoder)."""
    from transformers import DebertaV2Config

    return DebertaV2Config(
        hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        vocab_size=128100, relative_attention=True, position_buckets=256,
        max_relative_positions=-1, norm_rel_ebd="layer_norm", pos_att_type=["p2c", "c2p"],
        share_att_key=True, position_biased_input=False)


def bloom_560m_config() -> Any:
    """BLOOM-560M's sizes (SeqGPT-560M's architecture)."""
    from transformers import BloomConfig

    return BloomConfig(hidden_size=1024, n_layer=24, n_head=16, vocab_size=250880)


@dataclass(frozen=True)
class Plan:
    repeats: int  # timed rounds of every compact, floor and DeBERTa call (median taken)
    bloom_texts: int  # texts generated by BLOOM, one at a time as upstream does
    cold_starts: int  # fresh processes started (the median one reported)


DEFAULT_ENCODER_LAYERS = 5  # the shipped model's depth, if its config cannot be read

FULL = Plan(repeats=5, bloom_texts=3, cold_starts=3)
QUICK = Plan(repeats=1, bloom_texts=1, cold_starts=1)


# ------------------------------------------------------------------------------- the model
def untrained_default() -> Model:
    """The default model's architecture with untrained heads: the trained one's cost, except
    for extract's decoding of the pairs over the threshold (see :func:`candidates_per_text`)."""
    from seqgpt.backends.compact import CompactBackend, build

    config = default_architecture()
    model = build(config)
    return Model(CompactBackend(model, model.tokenizer, f"untrained compact "
                                f"({config.base_encoder}, {config.encoder_layers} layers)"))


def default_architecture() -> SpanModelConfig:
    """The shipped default model's architecture, read from its config so the untrained
    stand-in always costs what the shipped model costs."""
    from seqgpt.api import DEFAULT_MODEL
    from seqgpt.backends.compact import CONFIG

    try:
        return SpanModelConfig(**json.loads((DEFAULT_MODEL / CONFIG).read_text("utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):  # no shipped model: the same recipe
        return SpanModelConfig(encoder_layers=DEFAULT_ENCODER_LAYERS)


def load_code(name: str | None, untrained: bool = False) -> str:
    """The statements :func:`load_model` will return for these arguments when the model
    loads, known before anything is loaded."""
    if untrained:
        return _UNTRAINED_CODE
    return f"nlu = seqgpt.load({name!r})" if name else "nlu = seqgpt.load()"


def load_model(name: str | None, untrained: bool = False) -> tuple[Model, str, str]:
    """The model to measure, what to call it, and the statements that load it as ``nlu``:
    ``name``, else the embedded default, else (or with ``untrained``) its untrained
    architecture."""
    import seqgpt

    if untrained:
        return _untrained("asked for with --untrained")
    if name:
        return seqgpt.load(name), name, load_code(name)
    try:
        nlu = seqgpt.load()
        return nlu, f"embedded default ({nlu.backend.name})", load_code(None)
    except ModelNotFoundError:
        return _untrained("the embedded default model did not load")


def _untrained(why: str) -> tuple[Model, str, str]:
    return (untrained_default(),
            f"untrained default architecture: build(default_architecture()), "
            f"random heads ({why})", _UNTRAINED_CODE)


_UNTRAINED_CODE = "from seqgpt.bench import untrained_default\nnlu = untrained_default()"


# ------------------------------------------------------------------------------ measuring
def _timings(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
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


def _row(seconds: float, texts: int) -> dict[str, float]:
    return {"texts_per_s": texts / seconds, "ms_per_text": 1000 * seconds / texts}


def encoder_batches(nlu: Model, texts: list[str], labels: list[str],
                    spans: bool = True) -> list[dict[str, torch.Tensor]]:
    """The batches the compact backend builds for ``texts`` and ``labels`` (extraction, or
    classification with ``spans=False``), in its order: their ids are what its encoder gets."""
    from seqgpt.model.spans import collate

    backend = nlu.backend
    opts = backend.options
    features = [f for text in texts for group in backend.label_groups(labels, opts)
                for f in backend.featurizer.windows(text, group)]
    features.sort(key=lambda f: len(f.input_ids))
    width = backend.model.config.max_width if spans else 1
    return [collate(features[i:i + opts.batch_size], width, backend.pad_id)
            for i in range(0, len(features), opts.batch_size)]


def _forward(module: torch.nn.Module, batches: list[dict[str, torch.Tensor]],
             vocab_size: int | None = None, whole: bool = False,
             bfloat16: bool = False) -> Callable[[], None]:
    """One forward of ``module`` over all ``batches``: the whole span model (``whole``) or an
    encoder on ids and mask, ids folded into ``vocab_size`` (cost depends on the token count,
    not on which ids); ``bfloat16``: under autocast, as our ``bfloat16`` option runs."""
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
    """The sentence encoder's forward over ``texts``: single-label classify's second pass when
    the model blends in text-label similarity (nothing to do when it does not)."""
    backend = nlu.backend
    if not getattr(backend.options, "similarity_weight", 0):
        return lambda: None
    similarity = backend.similarity
    similarity(texts[:1], CLASSIFY_LABELS)  # load it, outside the timing
    queries = sorted((similarity.prefixes[0] + t for t in texts), key=len)
    batches = [dict(similarity.tokenizer(queries[i:i + similarity.batch_size], padding=True,
                                         return_tensors="pt"))
               for i in range(0, len(queries), similarity.batch_size)]
    return _forward(similarity.encoder, batches)


def _chain(*calls: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for call in calls:
            call()

    return run


def candidates_per_text(nlu: Model, batches: list[dict[str, torch.Tensor]], texts: int) -> float:
    """(span, label) pairs scored over the threshold: the work extract's decoding does after
    the forward. Untrained heads put about half of all pairs there, a trained model a few."""
    backend = nlu.backend
    total = 0
    with torch.inference_mode():
        for batch in batches:
            span_logits, _ = backend.model(batch)
            valid = batch["span_mask"][:, :, None] & batch["label_mask"][:, None, :]
            total += int(((span_logits.sigmoid() >= backend.options.threshold) & valid).sum())
    return total / texts


def _random_model(cls: Any, config: Any, seed: int) -> torch.nn.Module:
    """``cls(config)`` with N(0, 0.02) weights: one fill pass instead of transformers' slower
    per-module init (15 s for BLOOM-560M on 2 cores)."""
    from transformers.initialization import no_init_weights

    with no_init_weights():
        model = cls(config)
    model.tie_weights()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.02, generator=generator)
    return model.eval()


def bloom_generation(config: Any, tokenizer: Any, samples: list[Sample], labels: list[str],
                     seed: int = 0, alongside: Callable[[], object] | None = None
                     ) -> dict[str, Any]:
    """Per-text cost of upstream's decoding with a random BLOOM: beam search, 4 beams, one text
    per call. Random weights never choose EOS, so each answer is forced to the token length of
    the gold answer (``prompt.format_extraction`` of the sample's spans). ``alongside`` is
    timed right before each text (``alongside_s``): a comparison under the same machine load."""
    from transformers import BloomForCausalLM

    model = _random_model(BloomForCausalLM, config, seed)

    def ids(text: str) -> torch.Tensor:
        raw = tokenizer(text, add_special_tokens=False)["input_ids"]
        return torch.tensor([raw]) % config.vocab_size

    def generate(input_ids: torch.Tensor, new_tokens: int) -> torch.Tensor:
        with torch.inference_mode():
            return model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids), num_beams=4,
                do_sample=False, min_new_tokens=new_tokens, max_new_tokens=new_tokens,
                pad_token_id=config.pad_token_id, eos_token_id=config.eos_token_id)

    generate(ids(samples[0].text)[:, :8], 2)  # warm-up on a short prompt: kernels, caches
    seconds, alongside_s, prompt_tokens, new_tokens = [], [], [], []
    for sample in samples:
        if alongside:
            start = time.perf_counter()
            alongside()
            alongside_s.append(time.perf_counter() - start)
        prompt_ids = ids(prompt.render(sample.text, labels, "extract"))
        answer = prompt.format_extraction({label: sample.spans.get(label, [])
                                           for label in labels})
        n = len(tokenizer(answer, add_special_tokens=False)["input_ids"])
        start = time.perf_counter()
        output = generate(prompt_ids, n)
        seconds.append(time.perf_counter() - start)
        if output.shape[1] != prompt_ids.shape[1] + n:
            raise SeqGPTError(f"BLOOM generated {output.shape[1] - prompt_ids.shape[1]} tokens, "
                              f"expected exactly {n} (min_new_tokens = max_new_tokens)")
        prompt_tokens.append(prompt_ids.shape[1])
        new_tokens.append(n)
    return {"texts": len(samples), "prompt_tokens": prompt_tokens, "new_tokens": new_tokens,
            "ms_per_text": 1000 * statistics.median(seconds),
            "texts_per_s": 1 / statistics.median(seconds), "alongside_s": alongside_s}


_CHILD = """\
import json, sys, time
start = time.perf_counter()
import seqgpt
{load}
loaded = time.perf_counter()
nlu.extract({text!r}, {labels!r})
done = time.perf_counter()
try:  # this process's own peak: getrusage would count the parent's (see cold_start)
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20 if sys.platform ==
                                                                  "darwin" else 1 << 10)
print(json.dumps({{"import_load_s": loaded - start, "first_extract_s": done - loaded,
                  "peak_rss_mb": peak}}))
"""


def cold_start(load_code: str, text: str, labels: list[str], runs: int = 1) -> dict[str, Any]:
    """A fresh interpreter: ``import seqgpt`` + load, then one extract, and its peak RSS; with
    ``runs`` > 1 the run with the median load time, and every load time in ``load_s_runs``
    (one fresh start on this shared virtual machine varied from 1.9 to 3.7 s).

    The peak is the child's VmHWM where /proc exists: Linux keeps ``ru_maxrss`` over fork and
    exec, so getrusage in a child of a 2 GB process reports at least 2 GB."""
    if runs > 1:
        done = sorted((cold_start(load_code, text, labels) for _ in range(runs)),
                      key=lambda run: run["import_load_s"])
        return {**done[len(done) // 2], "load_s_runs": [run["import_load_s"] for run in done]}
    import seqgpt

    root = str(Path(seqgpt.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD.format(load=load_code, text=text,
                                                               labels=labels)],
                          capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SeqGPTError(f"the cold-start process failed (exit {done.returncode}): {tail}")
    return {"process_s": wall, **json.loads(done.stdout.strip().splitlines()[-1])}


def _cpu_seconds() -> tuple[float, float] | None:
    """CPU seconds busy on the whole machine (steal included) and used by this process and its
    children, or None without Linux's /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    ours = sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), ours


def _others_share(before: tuple[float, float] | None, after: tuple[float, float] | None,
                  wall: float) -> float | None:
    """Share of the machine's CPU time that other processes used during the run: well above 0,
    they competed with the timed calls and the absolute numbers are slower than on idle cores."""
    if before is None or after is None:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return min(1.0, max(0.0, others / (wall * (os.cpu_count() or 1))))


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20 if sys.platform == "darwin" else 1 << 10)  # bytes there, else KiB


def measure(nlu: Model, *, quick: bool = False, seed: int = 0, model_name: str = "",
            load_code: str | None = None, deberta_config: Any = None,
            bloom_config: Any = None, cold: dict[str, float] | None = None) -> dict[str, Any]:
    """Every number of ``seqgpt bench`` as a JSON-ready dict. ``deberta_config`` and
    ``bloom_config`` default to the real reference sizes; ``load_code`` (statements defining
    ``nlu``) is run in a fresh process for the cold start unless ``cold`` already holds one
    (skipped when both are None)."""
    from transformers import DebertaV2Model

    from seqgpt.backends.compact import CompactBackend

    if not isinstance(nlu.backend, CompactBackend):
        raise SeqGPTError(f"seqgpt bench measures a compact model; {nlu!r} is not one (the "
                          "generative architecture is measured as the BLOOM-560M reference)")
    plan = QUICK if quick else FULL
    cpu_before, wall_before = _cpu_seconds(), time.perf_counter()
    samples = make_samples(BATCH, seed)
    texts = [s.text for s in samples]
    # A fresh process first, while this one is still small (``run`` starts it earlier still,
    # before this process has loaded the model at all).
    if cold is None and load_code:
        cold = cold_start(load_code, texts[0], EXTRACT_LABELS, plan.cold_starts)

    settings = {"5": (EXTRACT_LABELS, CLASSIFY_LABELS),
                "20": (EXTRACT_LABELS_20, CLASSIFY_LABELS_20)}
    model, encoder = nlu.backend.model, nlu.backend.model.encoder
    extract_batches, calls, tokens, candidates = {}, {}, {}, {}
    for n, (extract_labels, classify_labels) in settings.items():
        batches = extract_batches[n] = encoder_batches(nlu, texts, extract_labels)
        classify_batches = encoder_batches(nlu, texts, classify_labels, spans=False)
        calls[f"extract_{n}"] = lambda labels=extract_labels: nlu.extract(texts, labels)
        # sigmoid never reaches 1 at these logits: every step but the decoding of hits
        calls[f"extract_no_hits_{n}"] = (
            lambda labels=extract_labels: nlu.extract(texts, labels, threshold=1.0))
        calls[f"extract_forward_{n}"] = _forward(model, batches, whole=True)
        calls[f"extract_floor_{n}"] = _forward(encoder, batches)
        calls[f"extract_bf16_{n}"] = (
            lambda labels=extract_labels: nlu.extract(texts, labels, bfloat16=True))
        calls[f"classify_{n}"] = lambda labels=classify_labels: nlu.classify(texts, labels)
        calls[f"classify_bf16_{n}"] = (
            lambda labels=classify_labels: nlu.classify(texts, labels, bfloat16=True))
        calls[f"classify_floor_{n}"] = _chain(_forward(encoder, classify_batches),
                                              sentence_floor(nlu, texts))
        tokens[n] = sum(int(b["attention_mask"].sum()) for b in batches) / len(texts)
        candidates[n] = candidates_per_text(nlu, batches, len(texts))
    for call in calls.values():
        call()
    rss_ours = _peak_rss_mb()

    # DeBERTa runs in the same interleaved rounds as ours: a shared machine's load moves both.
    deberta_config = deberta_config or deberta_v3_base_config()
    deberta = _random_model(DebertaV2Model, deberta_config, seed)
    for n in settings:
        calls[f"deberta_{n}"] = _forward(deberta, extract_batches[n], deberta_config.vocab_size)
        calls[f"deberta_bf16_{n}"] = _forward(deberta, extract_batches[n],
                                              deberta_config.vocab_size, bfloat16=True)
    rows = {name: _row(seconds, len(texts))
            for name, seconds in _timings(calls, plan.repeats).items()}
    del deberta, calls
    gc.collect()
    bloom = bloom_generation(bloom_config or bloom_560m_config(), nlu.backend.featurizer.tokenizer,
                             samples[:plan.bloom_texts], EXTRACT_LABELS, seed,
                             alongside=lambda: nlu.extract(texts, EXTRACT_LABELS))
    gc.collect()  # BLOOM's 2.2 GB
    rows["bloom_5"] = {"texts_per_s": bloom["texts_per_s"], "ms_per_text": bloom["ms_per_text"]}

    def ratio(slow: float, fast: float, target: float, at_most: bool) -> dict[str, Any]:
        value = slow / fast
        return {"value": value, "target": f"{'<=' if at_most else '>='} {target:g}",
                "met": value <= target if at_most else value >= target}

    def ms(name: str) -> float:
        return rows[name]["ms_per_text"]

    ratios = {}
    for n in settings:
        ratios[f"extract_{n}_vs_floor"] = ratio(ms(f"extract_{n}"), ms(f"extract_floor_{n}"),
                                                1.5, True)
        ratios[f"extract_{n}_no_hits_vs_floor"] = ratio(
            ms(f"extract_no_hits_{n}"), ms(f"extract_floor_{n}"), 1.5, True)
    for n in settings:
        ratios[f"classify_{n}_vs_floor"] = ratio(ms(f"classify_{n}"), ms(f"classify_floor_{n}"),
                                                 1.5, True)
    for n in settings:
        ratios[f"deberta_{n}_vs_extract"] = ratio(ms(f"deberta_{n}"), ms(f"extract_{n}"), 10,
                                                  False)
    for n in settings:  # both in bfloat16: the like-for-like comparison of that option
        ratios[f"deberta_bf16_{n}_vs_extract_bf16"] = ratio(
            ms(f"deberta_bf16_{n}"), ms(f"extract_bf16_{n}"), 10, False)
    # against extract timed between BLOOM's texts, under the same load
    extract_alongside = 1000 * statistics.median(bloom["alongside_s"]) / len(texts)
    ratios["bloom_5_vs_extract"] = ratio(ms("bloom_5"), extract_alongside, 100, False)
    return {
        "model": model_name or nlu.backend.name, "quick": quick, "seed": seed,
        "threads": torch.get_num_threads(), "batch_size": nlu.backend.options.batch_size,
        "texts": len(texts), "words_per_text": statistics.mean(len(t.split()) for t in texts),
        "encoder_tokens_per_text": tokens, "candidates_per_text": candidates,
        "rows": rows,
        "bloom": bloom, "ratios": ratios, "cold_start": cold,
        "peak_rss_mb": {"after_ours": rss_ours, "end": _peak_rss_mb()},
        "others_cpu_share": _others_share(cpu_before, _cpu_seconds(),
                                          time.perf_counter() - wall_before),
    }


# --------------------------------------------------------------------------------- output
_ROW_NAMES = {
    "extract": "seqgpt extract",
    "extract_no_hits": "  extract, no pair over the threshold",
    "extract_forward": "  span model forward (encoder + heads)",
    "extract_floor": "  bare encoder forward (floor)",
    "extract_bf16": "  extract, bfloat16 option",
    "classify": "seqgpt classify",
    "classify_floor": "  bare encoder forwards (floor; + sentence encoder)",
    "classify_bf16": "  classify, bfloat16 option",
    "deberta": "DeBERTa-v3-base forward (GLiNER-M)",
    "deberta_bf16": "  DeBERTa-v3-base forward, bfloat16 autocast",
    "bloom": "BLOOM-560M generate (SeqGPT-560M)",
}


def format_report(result: dict[str, Any]) -> str:
    tokens, candidates = result["encoder_tokens_per_text"], result["candidates_per_text"]
    bloom = result["bloom"]
    lines = [
        f"model: {result['model']}",
        f"{result['texts']} English texts ({result['words_per_text']:.1f} words each, seed "
        f"{result['seed']}), batch {result['batch_size']}, {result['threads']} torch threads, "
        f"CPU{', quick run' if result['quick'] else ''}",
        f"encoder tokens per text (labels + text): {tokens['5']:.1f} with 5 labels, "
        f"{tokens['20']:.1f} with 20",
        "",
        f"{'':50}{'texts/s':>10}{'ms/text':>11}",
    ]
    for key, row in result["rows"].items():
        kind, n = key.rsplit("_", 1)
        lines.append(f"{_ROW_NAMES[kind] + f', {n} labels':50}"
                     f"{row['texts_per_s']:>10.2f}{row['ms_per_text']:>11.2f}")
    lines += [
        "",
        f"extract decodes {candidates['5']:.0f} (5 labels) and {candidates['20']:.0f} (20 labels) "
        "(span, label) pairs over the threshold per text: about half of all pairs with untrained "
        "heads, a few with trained ones. 'no pair over the threshold' (threshold 1) is extract "
        "without that decoding: a trained model lies between the two.",
        f"BLOOM-560M: random weights, upstream prompt and decoding (4 beams, no sampling), one "
        f"text per call, {bloom['texts']} text(s). Random weights never emit EOS, so each "
        f"answer is forced to its gold answer's length (min_new_tokens = max_new_tokens = "
        f"{bloom['new_tokens']} tokens; prompts {bloom['prompt_tokens']} tokens). BLOOM's "
        "tokenizer is not available offline: the counts come from the e5/XLM-R tokenizer "
        "(250k vocabulary, like BLOOM's). Its ratio divides by extract timed between BLOOM's "
        "texts, under the same load.",
        "DeBERTa-v3-base: random weights, the same label+text token counts as ours; the "
        "encoder alone, a lower bound on GLiNER-M.",
        "bfloat16 rows: the `bfloat16=True` option (autocast); it pays off only on CPUs with "
        "AVX512-BF16 or AMX instructions.",
        "",
        f"{'ratio of ms/text':50}{'value':>10}{'target':>11}",
    ]
    for key, ratio in result["ratios"].items():
        lines.append(f"{key:50}{ratio['value']:>9.2f}x{ratio['target'] + 'x':>11}  "
                     f"{'met' if ratio['met'] else 'NOT met'}")
    lines.append("")
    cold = result["cold_start"]
    if cold:
        lines.append(f"cold start, fresh process: import seqgpt + load {cold['import_load_s']:.2f}"
                     f" s, first extract {cold['first_extract_s']:.2f} s, whole process "
                     f"{cold['process_s']:.2f} s; its peak RSS {cold['peak_rss_mb']:.0f} MiB"
                     + (f" (the median of {len(cold['load_s_runs'])} starts: load "
                        f"{', '.join(f'{x:.2f}' for x in cold['load_s_runs'])} s)"
                        if "load_s_runs" in cold else ""))
    rss = result["peak_rss_mb"]
    lines.append(f"peak RSS of this process: {rss['after_ours']:.0f} MiB after measuring ours, "
                 f"{rss['end']:.0f} MiB with the references")
    others = result["others_cpu_share"]
    if others is not None:
        lines.append(f"other processes used {100 * others:.0f}% of this machine's CPU during the "
                     "run" + (": absolute numbers are slower than on idle cores" if others > 0.05
                              else ""))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ CLI
_DESCRIPTION = """Measure speed and memory of a compact model on the same texts, batch 32: extract
and classify with 5 and 20 labels, the bare encoder (the floor), a random DeBERTa-v3-base
(GLiNER-M's encoder), the same in bfloat16 (our option; DeBERTa under autocast), a random
BLOOM-560M generating upstream answers (SeqGPT-560M's architecture), the cold start of a fresh
process (median of three) and peak memory. Prints a table and the ratios with their targets."""

_EPILOG = """examples:
  seqgpt bench                  # the default model (2-3 minutes on 2 idle cores)
  seqgpt bench --untrained      # its architecture with untrained heads
  seqgpt bench --quick --json   # a short run, numbers as JSON
  seqgpt bench --model path/to/compact-model"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bench", help="speed/memory benchmark against the encoder floor, DeBERTa and BLOOM",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="a compact model folder (default: $SEQGPT_MODEL, else the embedded "
                             "default, else its architecture with untrained heads)")
    parser.add_argument("--untrained", action="store_true",
                        help="measure the default architecture with untrained heads instead")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and one BLOOM text (about a minute)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the texts (default 0)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="torch threads (default: the cores available)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise SeqGPTError(f"--threads must be a positive integer, got {args.threads}")
    if args.untrained and args.model:
        raise SeqGPTError("give either --model or --untrained, not both")
    torch.set_num_threads(args.threads)
    # The cold start first, before this process loads anything: here a parent holding a
    # loaded model slowed its child's start from 2.0-2.3 s to 2.8-4.0 s.
    expected, text = load_code(args.model, args.untrained), make_samples(BATCH, args.seed)[0].text
    try:
        cold = cold_start(expected, text, EXTRACT_LABELS,
                          (QUICK if args.quick else FULL).cold_starts)
    except SeqGPTError:  # e.g. the default model is missing: load_model falls back
        cold = None
    nlu, name, code = load_model(args.model, args.untrained)
    if code != expected:
        cold = None
    if not args.json:
        print(f"measuring {name} ...", file=sys.stderr)
    result = measure(nlu, quick=args.quick, seed=args.seed, model_name=name, load_code=code,
                     cold=cold)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0
