"""Replay: a seeded sample of the project's own training mixture, mixed into a fine-tune.

A model fine-tuned only on a user's few labels forgets the others; a share of every batch drawn
from the mixture the model was trained on (both stages, :mod:`seqgpt.data.mixture`) keeps its
zero-shot skill. The mixture never holds the zero-shot dev datasets, and a replay file that
does is refused. The sample is written into the run folder, so a resumed run replays the same
instances without rebuilding the mixture (about a minute on two cores).
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from seqgpt.data import mixture, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import ReplayError, SeqGPTError
from seqgpt.evaluate.runner import read_jsonl

STAGES: tuple[mixture.Stage, ...] = ("pretrain", "finetune")
#: Replay instances kept in a run: enough that batches rarely repeat one in a few epochs.
DEFAULT_SIZE = 4000
FILE = "replay.jsonl"


def build(size: int, seed: int = 0) -> list[AtomicInstance]:
    """``size`` instances, half from each stage's mixture built from the shared data."""
    try:
        registry.data_root()
    except SeqGPTError as error:
        raise ReplayError(f"replay needs the project's training mixture, built from the shared "
                          f"data ({error}); give a mixture file written by `seqgpt data build` "
                          "(--replay-data) or turn replay off (--replay 0)") from None
    specs = [registry.get(name) for name in registry.names()]
    specs = [spec for spec in specs if not spec.zero_shot_dev]
    chosen: list[AtomicInstance] = []
    for i, stage in enumerate(STAGES):
        # Reading every dataset takes a while (tens of seconds): say what is happening.
        print(f"replay: building the {stage} mixture from {len(specs)} datasets "
              f"({i + 1}/{len(STAGES)}) ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        built = mixture.build(specs, stage, seed=seed).instances
        want = size // len(STAGES) + (1 if i < size % len(STAGES) else 0)
        chosen += random.Random(f"replay:{seed}:{stage}").sample(built, min(want, len(built)))
        print(f"replay: {stage}: {len(built):,} instances in {time.monotonic() - started:.0f} s, "
              f"{min(want, len(built)):,} sampled", file=sys.stderr, flush=True)
    random.Random(f"replay:{seed}:order").shuffle(chosen)
    return chosen


def from_file(path: Path, size: int, seed: int = 0) -> list[AtomicInstance]:
    """A seeded sample of ``size`` instances of a mixture file (atomic JSON Lines)."""
    instances = read_jsonl(path)
    check(instances, str(path))
    if len(instances) > size:
        instances = random.Random(f"replay:{seed}:file").sample(instances, size)
    return instances


def check(instances: list[AtomicInstance], source: str) -> None:
    dev = registry.ZERO_SHOT_DEV
    leaked = sorted({i.dataset for i in instances
                     if i.dataset in dev or i.dataset.split("/")[0] in dev})
    if leaked:
        raise ReplayError(f"{source}: holds zero-shot dev data ({', '.join(leaked)}), which is "
                          "never trained on; build the replay file with `seqgpt data build`")


def prepare(run: Path, size: int, seed: int, source: Path | None = None) -> list[AtomicInstance]:
    """The run's replay sample: read back from ``run/replay.jsonl`` when a previous attempt
    wrote it, else sampled from ``source`` (a mixture file) or built, then written there."""
    path = run / FILE
    if path.is_file():
        return read_jsonl(path)
    instances = from_file(source, size, seed) if source else build(size, seed)
    run.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for instance in instances:
            out.write(json.dumps(instance.to_dict(), ensure_ascii=False) + "\n")
    tmp.replace(path)
    return instances


def batch_indices(step: int, seed: int, n_own: int, own: int, n_replay: int,
                  extra: int) -> tuple[list[int], list[int]]:
    """Which training and replay items make batch ``step``: ``own`` training items in a fixed
    shuffled order per epoch (so a resumed run continues where it stopped) and ``extra``
    replay items drawn with a generator seeded by the step."""
    per_epoch = max(1, n_own // own)
    epoch, within = divmod(step, per_epoch)
    order = list(range(n_own))
    random.Random(seed + epoch).shuffle(order)
    rng = random.Random(seed * 1_000_003 + step)
    replayed = rng.sample(range(n_replay), extra) if extra else []
    return order[within * own:(within + 1) * own], replayed
