"""Fine-tune a model on a user's own data: ``seqgpt.finetune()`` and ``seqgpt train``.

    folder = seqgpt.finetune("my.jsonl", "runs/mine", dev="my_dev.jsonl")
    nlu = seqgpt.load(folder)

The compact backend continues from the shipped default model (or a compact model folder, or
fresh heads on the base encoder with ``start="scratch"``, as the default model was trained).
A share of every batch replays the project's own mixture (:mod:`seqgpt.train.replay`) so the
model keeps its zero-shot skill. The generative backend is in :mod:`seqgpt.train.generative`,
which shares this module's run-folder helpers (``read_data``, ``claim``, ``write_record``, ...);
:func:`seqgpt.train.finetune` picks the backend, so this module never imports that one.

The output folder is the model (``seqgpt.load(out)`` loads it, ``MODEL_CARD.md`` says how it
was made) and the run: ``run.json`` (settings, data fingerprint, state), ``log.jsonl`` (loss and
dev curve), and while training ``checkpoint.pt`` and ``replay.jsonl``, removed when the run
ends unless ``keep_checkpoint``. A killed run continues with ``resume=True`` (``--resume``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import TrainError
from seqgpt.train.replay import DEFAULT_SIZE, prepare
from seqgpt.train.userdata import read_training_file

# The trainer, the dev scorer, the card writer and the backends load torch: they are imported
# inside the functions that use them, so `import seqgpt.train` (seqgpt.finetune) and
# `seqgpt train --help` start without it.

#: Settings for continuing from a trained model: the default model's own learning rates (a
#: pilot on 200 sentences of a training set, anem, moved F1 with these and not with 2e-5/1e-4),
#: the window it was trained with, labels as the user wrote them, and early stopping after
#: three evaluations (epochs) without a dev gain.
CONTINUE_DEFAULTS: dict[str, Any] = {"encoder_lr": 3e-5, "head_lr": 5e-4, "max_tokens": 128,
                                     "label_augment_rate": 0.0, "description_rate": 0.0,
                                     "patience": 3, "log_every": 10}
#: Share of each batch that replays the mixture when continuing from a trained model.
DEFAULT_REPLAY = 0.5
RUN_FILE = "run.json"
DataArg = str | Path | Sequence[str | Path] | Sequence[AtomicInstance]


def finetune_compact(data: DataArg | None, out: str | Path, *, dev: DataArg | None,
                     start: str | Path, replay: float | None, replay_data: str | Path | None,
                     replay_size: int | None, epochs: float | None, resume: bool,
                     keep_checkpoint: bool, fmt: str | None, scheme: str, dev_limit: int,
                     base: str, encoder_layers: int, calibrate: bool, **settings: Any) -> Path:
    """:func:`seqgpt.train.finetune` for the compact backend (every argument given)."""
    if data is None:
        raise TrainError("the compact backend needs training data (--data)")
    out = Path(out).expanduser()
    instances = read_data(data, fmt, scheme)
    scratch = str(start) == "scratch"
    replay = (0.0 if scratch else DEFAULT_REPLAY) if replay is None else replay
    if not 0.0 <= replay < 1.0:
        raise TrainError(f"replay must be a share of the batch in [0, 1), got {replay}")
    seed = int(settings.get("seed", 0))
    dev_instances = read_dev(dev, dev_limit, seed, fmt, scheme)
    args = training_args(settings, scratch, replay, len(instances),
                         3.0 if epochs is None else epochs, bool(dev_instances))
    record = {"backend": "compact", "start": str(start), "data": describe(data),
              "fingerprint": fingerprint(instances), "replay": replay,
              "replay_data": str(replay_data) if replay_data else None}
    model, inference = _start_model(start, base, encoder_layers)
    claim(out, record, resume)

    from seqgpt.train.compact import Trainer
    from seqgpt.train.devset import scorer

    replayed = prepare(out, replay_size or DEFAULT_SIZE, seed,
                       Path(replay_data).expanduser() if replay_data else None) if replay else []

    trainer = Trainer(model, instances, out, args,
                      dev=scorer(dev_instances, inference) if dev_instances else None,
                      replay=replayed, best_dir=out, evaluate_start=not scratch,
                      inference=inference, card={"start": str(start)})
    counts = summary(instances)
    print(f"training on {len(instances)} instances ({counts['extract_instances']} extract, "
          f"{counts['classify_instances']} classify), replay {replay:.0%} of each batch, "
          f"{args.steps} steps -> {out}", file=sys.stderr)
    started = time.time()
    trainer.run()
    if calibrate and any(i.task == "extract" for i in dev_instances):
        record["threshold"] = _calibrate(out, dev_instances)
    from seqgpt.train.card import write_user_card

    record.update(state="finished", seconds=round(time.time() - started, 1), steps=trainer.step,
                  stopped_early=trainer.stopped, best_dev=trainer.best if dev_instances else None,
                  dev=describe(dev) if dev else None, counts=counts, replayed=len(replayed),
                  replay_datasets=sorted({i.dataset for i in replayed}), args=asdict(args))
    write_record(out, record)
    write_user_card(out, record)
    if not keep_checkpoint:
        for name in ("checkpoint.pt", "replay.jsonl"):
            (out / name).unlink(missing_ok=True)
    print(f"model: {out}  (seqgpt.load({str(out)!r}))", file=sys.stderr)
    return out


def _calibrate(out: Path, dev: list[AtomicInstance]) -> dict[str, Any]:
    """Store the extraction threshold with the best dev F1 in the model folder: fine-tuning on
    sparsely annotated data makes span scores cautious, so the start model's threshold can cost
    most of the recall (wnut17 in benchmarks/few_shot.py)."""
    from seqgpt.backends.compact import CONFIG, CompactBackend
    from seqgpt.train.devset import GRID, threshold_on

    backend = CompactBackend.from_folder(out)
    current = backend.options.threshold
    chosen, scores = threshold_on(backend, dev, tuple(sorted({*GRID, current})))
    if scores[chosen] <= scores[current]:
        chosen = current  # a change must earn its place on dev
    config = json.loads((out / CONFIG).read_text(encoding="utf-8"))
    config["inference"] = {**config.get("inference", {}), "threshold": chosen}
    tmp = out / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out / CONFIG)
    print(f"extraction threshold {chosen} (dev F1 by threshold: "
          f"{', '.join(f'{t}: {100 * f:.1f}' for t, f in scores.items())})", file=sys.stderr)
    return {"chosen": chosen, "dev_f1": {str(t): f for t, f in scores.items()}}


def training_args(settings: dict[str, Any], scratch: bool, replay: float, n_instances: int,
                  epochs: float, has_dev: bool):
    """:class:`TrainingArgs` from the caller's settings, the mode's defaults, and the data size
    (steps from ``epochs``, the warm-up, one dev evaluation per epoch)."""
    from seqgpt.train.compact import TrainingArgs

    known = {f.name for f in fields(TrainingArgs)} - {"replay_ratio"}  # set by ``replay``
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TrainError(f"unknown training setting {unknown[0]!r}; known: "
                         f"{', '.join(sorted(known))}")
    if epochs <= 0:
        raise TrainError(f"epochs must be positive, got {epochs}")
    values = {**({} if scratch else CONTINUE_DEFAULTS), "replay_ratio": replay, **settings}
    batch = int(values.get("batch_size", TrainingArgs.batch_size))
    own = batch if not replay else max(1, round(batch * (1 - replay)))
    per_epoch = max(1, n_instances // own)
    values.setdefault("steps", max(1, math.ceil(epochs * per_epoch)))
    # Adam's first steps move every weight by about the learning rate whatever the gradient:
    # on a trained model a short warm-up costs dev F1 before it recovers (a pilot on conll2003
    # dev, 30 steps: warm-up 3 dipped 57 -> 51 and ended at 59; warm-up 15 dipped to 55, ended
    # at 60), so continuing warms up over half the run, at most 100 steps.
    values.setdefault("warmup", max(1, values["steps"] // 10 if scratch
                                    else min(100, values["steps"] // 2)))
    if has_dev:
        values.setdefault("eval_every", per_epoch)
    values.setdefault("save_every", max(10, min(200, per_epoch)))
    try:
        args = TrainingArgs(**values)
    except TypeError as error:
        raise TrainError(f"bad training settings: {error}") from None
    for name in ("steps", "batch_size", "save_every", "log_every"):
        if getattr(args, name) < 1:
            raise TrainError(f"{name} must be at least 1, got {getattr(args, name)}")
    return args


def read_data(data: DataArg, fmt: str | None, scheme: str) -> list[AtomicInstance]:
    items = [data] if isinstance(data, (str, Path)) else list(data)
    if not items:
        raise TrainError("no training data given")
    if all(isinstance(x, AtomicInstance) for x in items):
        return list(items)  # type: ignore[arg-type]
    instances: list[AtomicInstance] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            raise TrainError(f"data must be file paths or AtomicInstance objects, got "
                             f"{type(item).__name__}")
        instances += read_training_file(item, fmt, scheme)
    return instances


def read_dev(dev: DataArg | None, limit: int, seed: int, fmt: str | None,
             scheme: str) -> list[AtomicInstance]:
    """Dev instances: files as they are, zero-shot dev dataset names sampled (``limit`` each,
    from the split the project does not report on)."""
    from seqgpt.train.devset import selection_instances

    if dev is None:
        return []
    items = [dev] if isinstance(dev, (str, Path)) else list(dev)
    if all(isinstance(x, AtomicInstance) for x in items):
        return list(items)  # type: ignore[arg-type]
    out: list[AtomicInstance] = []
    for item in items:
        path = Path(str(item)).expanduser()
        if path.is_file():
            out += read_data(path, fmt, scheme)
        elif str(item).endswith((".jsonl", ".json", ".conll", ".csv")):
            raise TrainError(f"dev file {str(item)!r} does not exist")
        else:
            out += selection_instances([str(item)], limit, seed)
    return out


def _start_model(start: str | Path, base: str, layers: int):
    """The model to train and its inference defaults (a trained model's, e.g. its threshold)."""
    from seqgpt.api import DEFAULT_MODEL
    from seqgpt.backends import compact
    from seqgpt.model.spans import SpanModelConfig

    if str(start) == "scratch":
        # fresh heads know no class yet: the names training teaches them are recorded
        return compact.build(SpanModelConfig(base_encoder=base, encoder_layers=layers,
                                             class_names=())), {}
    folder = DEFAULT_MODEL if str(start) == "default" else Path(start).expanduser()
    if not (folder / compact.CONFIG).is_file():
        raise TrainError(f"--from {str(start)!r}: not a compact model folder (no "
                         f"{compact.CONFIG}); give 'default', 'scratch' or a folder written by "
                         "seqgpt train (for a causal LM use --backend generative)")
    backend = compact.CompactBackend.from_folder(folder)
    return backend.model, asdict(backend.options)


# ---------------------------------------------------------------------- run folder
def claim(out: Path, record: dict[str, Any], resume: bool) -> None:
    """Make ``out`` this run's folder, or refuse: a finished run, someone else's files, or an
    unfinished run that was not asked to resume (or was asked with other data)."""
    path = out / RUN_FILE
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    checkpoint = (out / "checkpoint.pt").is_file()
    if previous is None:
        if out.exists() and any(out.iterdir()):
            raise TrainError(f"--out {out}: the folder is not empty and holds no seqgpt run; "
                             "choose a new folder")
        if resume:
            raise TrainError(f"--resume: {out} holds no run to resume")
    elif previous.get("state") == "finished" and not checkpoint:
        raise TrainError(f"--out {out}: holds a finished run (its checkpoint was removed); "
                         "choose a new folder, or keep checkpoints (--keep-checkpoint) to "
                         "extend a run")
    elif not resume:
        raise TrainError(f"--out {out}: holds an unfinished run; pass --resume to continue it "
                         "or choose a new folder")
    else:
        changed = [k for k in ("backend", "start", "fingerprint", "replay", "replay_data")
                   if previous.get(k) != record.get(k)]
        if changed:
            raise TrainError(f"--resume: the run in {out} was started with other "
                             f"{', '.join(changed)}; resume with the same data and settings, "
                             "or choose a new folder")
    write_record(out, {**record, "state": "running"})


def write_record(out: Path, record: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out / RUN_FILE)


def fingerprint(instances: Sequence[AtomicInstance]) -> str:
    digest = hashlib.sha256()
    for instance in instances:
        digest.update(json.dumps(instance.to_dict(), sort_keys=True,
                                 ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


def describe(data: DataArg) -> list[str]:
    items = [data] if isinstance(data, (str, Path)) else list(data)
    if items and all(isinstance(x, AtomicInstance) for x in items):
        return [f"{len(items)} instances given in Python"]
    return [str(x) for x in items]


def summary(instances: Sequence[AtomicInstance]) -> dict[str, Any]:
    """Counts for the log and the model card: instances per task, labels, spans."""
    labels: dict[str, dict[str, None]] = {"extract": {}, "classify": {}}
    counts = {"extract": 0, "classify": 0}
    for instance in instances:
        counts[instance.task] += 1
        labels[instance.task].update(dict.fromkeys(instance.labels))
    return {"instances": len(instances), **{f"{task}_instances": n for task, n in counts.items()},
            "spans": sum(len(i.spans) for i in instances),
            "extract_labels": list(labels["extract"]), "classify_labels": list(labels["classify"])}
