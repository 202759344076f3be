"""The mechanics both trainers share, written once so the compact and generative runs cannot drift.

- :func:`warmup_cosine`: the learning-rate factor, a linear warm-up then a cosine decay to 0.
- :func:`batch_split`: how many of a batch's rows are the run's own data and how many replay.
- :func:`append_record` / :func:`read_records`: the run folder's ``log.jsonl``.
- :class:`EarlyStopping`: the best dev score, the evaluations since it, and the patience check;
  :class:`StopsEarly` shows them on a trainer as ``best``, ``since_best`` and ``stopped``.
- :func:`save_state` / :func:`load_state`: checkpoints, written atomically and read as data;
  :func:`save_run` / :func:`resume_run`: the checkpoint of the encoder-layer trainers
  (``seqgpt.train.similarity``, ``seqgpt.train.pairs``): weights, optimiser, schedule, data order.
- :func:`log_record`: a progress line on stderr that also goes into the log.
- :func:`train_top_layers`: the step loop of the encoder-layer trainers (shuffled batches,
  clipped AdamW steps on a warm-up + cosine schedule, progress, dev score, best weights kept,
  checkpoint); each trainer gives its batch loss and its trained weights.
  :func:`train_reader` runs it for the E5 readers (``seqgpt.model.top_layers``), whose
  settings share :class:`ReaderArgs` (help: :func:`reader_help`), command line
  :func:`reader_command` and run folder :func:`start_run`.
- :func:`add_flags` / :func:`cli`: a trainer's settings dataclass as command-line flags, and its
  command's error handling.

The trainers decide *what* goes into a record or a checkpoint (their keys are the resume format
of existing run folders); this module only decides *how* it is computed, written and read.
Nothing heavy is imported here at import time: :mod:`seqgpt.train.generative` imports this
module at its top and keeps the CLI's start-up free of torch, so torch is imported inside the
two checkpoint functions.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqgpt.errors import SeqGPTError
from seqgpt.fsutil import atomic_file, write_file

if TYPE_CHECKING:
    from seqgpt.model.top_layers import Reader


def warmup_cosine(step: int, warmup: int, total: int) -> float:
    """Factor on the base learning rate at optimiser step ``step`` (0-based), for ``LambdaLR``.

    A linear warm-up reaches 1.0 on the last warm-up step (so the first step already moves the
    weights), then a cosine decay reaches 0 at ``total`` and stays there: the run ends on small,
    stable updates whatever ``total`` is, and steps past ``total`` (a resumed run given more
    steps) never make the factor grow again.
    """
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def batch_split(batch_size: int, replay_ratio: float) -> tuple[int, int]:
    """``(own, replayed)`` rows of a batch of ``batch_size`` with ``replay_ratio`` replayed.

    At least one row is always the run's own data, so even a high ratio keeps learning the
    new task; the replayed rows are what is left, so the batch size is exactly kept.
    """
    if not replay_ratio:
        return batch_size, 0
    own = max(1, round(batch_size * (1 - replay_ratio)))
    return own, batch_size - own


#: A run folder's log: one JSON record per logged step and per dev evaluation.
LOG_FILE = "log.jsonl"
#: A reader run's count of training examples per dataset (for the model card).
DATA_FILE = "data.json"


def append_record(run: Path, record: dict[str, Any]) -> None:
    """Add one JSON line to the log of the run folder ``run`` (:data:`LOG_FILE`).

    Opened, appended and closed per record: a killed run keeps every record written so far, and
    a resumed run goes on in the same file.
    """
    with open(run / LOG_FILE, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")


def read_records(run: Path) -> list[dict[str, Any]]:
    """Every record of the log of the run folder ``run``, in order; none when the run has not
    logged yet."""
    path = run / LOG_FILE
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log]


@dataclass
class EarlyStopping:
    """Keeps the best dev score and stops a run after ``patience`` evaluations in a row
    without a new best (``patience`` 0: never stops).

    Higher scores are better (a loss is given negated). ``best``, ``since_best`` and
    ``stopped`` are part of a checkpoint (:meth:`state` / :meth:`load`), so a resumed run
    counts on from where it was and a stopped run stays stopped.
    """

    patience: int = 0
    best: float = -math.inf
    since_best: int = 0  # dev evaluations since the last new best
    stopped: bool = False  # the patience ran out

    def update(self, score: float) -> bool:
        """Count one dev evaluation; True when ``score`` is a new best (the caller keeps that
        model). Without a gain, :attr:`stopped` turns True once the patience is used up."""
        if score > self.best:
            self.best, self.since_best = score, 0
            return True
        self.since_best += 1
        if self.patience and self.since_best >= self.patience:
            self.stopped = True
        return False

    def state(self) -> dict[str, Any]:
        """The checkpoint keys (``best``, ``since_best``, ``stopped``), as runs have always
        saved them."""
        return {"best": self.best, "since_best": self.since_best, "stopped": self.stopped}

    def load(self, state: dict[str, Any]) -> None:
        """Take the counts back from a checkpoint; one written before early stopping existed
        has only ``best``, and resumes as not stopped."""
        self.best = state["best"]
        self.since_best = state.get("since_best", 0)
        self.stopped = state.get("stopped", False)


class StopsEarly:
    """Mixin for a trainer that keeps an :class:`EarlyStopping` as ``early``: the read-only
    ``best``, ``since_best`` and ``stopped`` its callers have always read off the trainer
    (``finetune``'s run record takes ``stopped`` and ``best``)."""

    early: EarlyStopping

    @property
    def best(self) -> float:
        """The best dev score so far (``-inf`` before the first evaluation)."""
        return self.early.best

    @property
    def since_best(self) -> int:
        """Dev evaluations since the last new best."""
        return self.early.since_best

    @property
    def stopped(self) -> bool:
        """Whether early stopping ended the run (the generative trainer: the stage)."""
        return self.early.stopped


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write a checkpoint with ``torch.save``: a temporary file, fsync'ed and renamed over
    ``path`` (:func:`seqgpt.fsutil.atomic_file`), so a kill never leaves half a checkpoint."""
    import torch  # here, not at the top: importing this module must not load torch

    with atomic_file(path) as handle:
        torch.save(state, handle)


def load_state(path: Path, map_location: str | None = None) -> dict[str, Any] | None:
    """A checkpoint written by :func:`save_state`, or None when there is none.

    ``weights_only=True``: a checkpoint is data (tensors, numbers, strings), never code to run.
    ``map_location`` as ``torch.load`` takes it (``"cpu"`` for a run that may move devices).
    """
    import torch  # here, not at the top: importing this module must not load torch

    if not path.is_file():
        return None
    state: dict[str, Any] = torch.load(path, weights_only=True, map_location=map_location)
    return state


def save_run(path: Path, weights: dict[str, Any], optimiser: Any, scheduler: Any,
             rng: random.Random, order: list[int], step: int, early: EarlyStopping) -> None:
    """The checkpoint of a trainer that shuffles its data with ``rng`` into ``order`` (and
    torch's generator, which draws the dropout masks, so a resumed run repeats an unbroken one)."""
    import torch

    save_state(path, {"weights": weights, "optimiser": optimiser.state_dict(),
                      "scheduler": scheduler.state_dict(), "rng": rng.getstate(),
                      "torch_rng": torch.get_rng_state(),
                      "order": order, "step": step, "early": early.state()})


def resume_run(path: Path, model: Any, optimiser: Any, scheduler: Any, rng: random.Random,
               early: EarlyStopping) -> tuple[list[int], int]:
    """Load :func:`save_run`'s checkpoint into these objects and return its ``(order, step)``;
    ``([], 0)`` when there is none (a fresh run)."""
    resumed = load_state(path)
    if resumed is None:
        return [], 0
    model.load_state_dict(resumed["weights"], strict=False)
    optimiser.load_state_dict(resumed["optimiser"])
    scheduler.load_state_dict(resumed["scheduler"])
    rng.setstate(resumed["rng"])
    if "torch_rng" in resumed:  # checkpoints from before it was saved resume without it
        import torch

        torch.set_rng_state(resumed["torch_rng"])
    early.load(resumed["early"])
    print(f"resuming at step {resumed['step']}", file=sys.stderr)
    return resumed["order"], resumed["step"]


def train_top_layers(out: Path, args: Any, size: int, model: Any, optimiser: Any,
                     params: list[Any], learning: list[Any],
                     batch_loss: Callable[[list[int]], Any],
                     trained_weights: Callable[[], dict[str, Any]],
                     evaluate: Callable[[], float] | None, best: str, checkpoint: str,
                     rate_name: str) -> Path:
    """Run ``args.steps`` steps over ``size`` examples (``args``: ``steps``, ``batch_size``,
    ``warmup``, ``seed``, ``log_every``, ``save_every``) and return ``out / best``.

    ``batch_loss`` takes a batch's example indices; ``learning`` are the modules whose dropout
    is on while training (the frozen ones stay as pretrained). Every ``save_every`` steps
    ``evaluate`` scores the model (higher is better; without it, later is better), the best
    ``trained_weights`` are saved in fp16 as ``best`` and a checkpoint of ``model``, optimiser,
    schedule and data order lets a killed run resume where it was."""
    import torch
    from safetensors.torch import save

    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: warmup_cosine(step, args.warmup, args.steps))
    out.mkdir(parents=True, exist_ok=True)
    rng, early = random.Random(args.seed), EarlyStopping()
    order, step = resume_run(out / checkpoint, model, optimiser, scheduler, rng, early)
    started, first = time.time(), step
    while step < args.steps:
        if len(order) < args.batch_size:
            order += rng.sample(range(size), size)
        items = order[:args.batch_size]
        del order[:args.batch_size]
        for module in learning:
            module.train()
        loss = batch_loss(items)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad(set_to_none=True)
        step += 1
        if step % args.log_every == 0:
            rate = (step - first) * args.batch_size / (time.time() - started)
            log_record(out, {"step": step, "loss": round(loss.item(), 4),
                             rate_name: round(rate, 1)})
        if step % args.save_every == 0 or step == args.steps:
            for module in learning:
                module.eval()
            weights = trained_weights()
            score = evaluate() if evaluate else float(step)
            log_record(out, {"step": step, "dev": round(score, 2)})
            if early.update(score):
                # write_file, not safetensors' save_file: that one writes mode 0600 whatever
                # the umask, and a kill mid-write would leave half a file as the best step
                write_file(out / best, save({k: v.half().contiguous() for k, v in weights.items()}))
            save_run(out / checkpoint, weights, optimiser, scheduler, rng, order, step, early)
    (out / "args.json").write_text(json.dumps(asdict(args), indent=2))
    return out / best


def train_reader(reader: Any, out: Path, args: Any, size: int,
                 batch_loss: Callable[[list[int]], Any], evaluate: Callable[[], float] | None,
                 best: str, checkpoint: str, rate_name: str) -> Path:
    """:func:`train_top_layers` for a ``seqgpt.model.top_layers.TopLayerReader``: its top
    layers at ``args.lr``, its head at ``args.head_lr`` (AdamW, ``args.weight_decay``)."""
    import torch

    body, head = reader.trainable()
    optimiser = torch.optim.AdamW([{"params": body, "lr": args.lr},
                                   {"params": head, "lr": args.head_lr}],
                                  weight_decay=args.weight_decay)
    return train_top_layers(out, args, size, reader, optimiser, body + head, reader.learning(),
                            batch_loss, reader.trained_state, evaluate, best, checkpoint,
                            rate_name)


@dataclass
class ReaderArgs:
    """The settings of every E5 reader trainer (:func:`train_reader`); each trainer subclasses
    it with its own defaults and settings."""

    steps: int = 1500
    batch_size: int = 16
    lr: float = 4e-5
    head_lr: float = 1e-3
    warmup: int = 100
    weight_decay: float = 0.01
    train_layers: int = 4
    seed: int = 1
    bfloat16: bool = False
    log_every: int = 20
    save_every: int = 300
    init: str = ""


def reader_model(kind: type[Reader], args: ReaderArgs) -> Reader:
    """The reader a run starts from: E5 with ``args.train_layers`` fresh top layers, or with
    ``args.init``'s (a reader file such as a model folder's ``qa.safetensors``: a warm start
    that continues a shipped reader, int8 or not; its layer count must be ``train_layers``)."""
    if not args.init:
        return kind.pretrained(args.train_layers)
    from safetensors.torch import load_file

    if not Path(args.init).is_file():
        raise SeqGPTError(f"--init {args.init}: no such file (a reader's {kind.FILE})")
    model = kind.from_state(load_file(args.init))
    trained = len(model.encoder.encoder.layer) - model.split
    if trained != args.train_layers:
        raise SeqGPTError(f"--init {args.init} holds {trained} trained layers, not "
                          f"--train-layers {args.train_layers}; pass --train-layers {trained}")
    return model.train()


def reader_help(unit: str, **own: str) -> dict[str, str]:
    """The ``--help`` of :class:`ReaderArgs`'s settings (``unit``: what a batch holds) and of a
    trainer's ``own``."""
    return {
        "steps": "optimiser steps", "batch_size": f"{unit} per step",
        "lr": "AdamW learning rate of the encoder layers", "head_lr": "learning rate of the head",
        "warmup": "linear warm-up steps before the cosine decay",
        "weight_decay": "AdamW weight decay",
        "train_layers": "top encoder layers trained and saved",
        "seed": "random seed",
        "bfloat16": "bfloat16 autocast (faster on CPUs with AMX, on some with AVX512-BF16 only)",
        "log_every": "steps between progress lines",
        "save_every": "steps between dev evaluations and checkpoints",
        "init": "start from this reader file (e.g. a model folder's reader) instead of E5's "
                "own top layers", **own}


def reader_command(doc: str, defaults: ReaderArgs, helps: dict[str, str], *, data: str,
                   data_help: str, out_file: str, dev: str, dev_help: str, dev_limit: int,
                   dev_unit: str) -> tuple[argparse.ArgumentParser, argparse.Namespace, Any]:
    """A reader trainer's command line: ``--data``, ``--out``, ``--dev``, ``--dev-limit`` and
    one flag per setting of ``defaults``; the parser, the parsed namespace and the settings
    (``defaults``' class) it gives."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--data", default=data, help=data_help)
    parser.add_argument("--out", required=True,
                        help=f"run folder: log, checkpoint, the best {out_file}")
    parser.add_argument("--dev", default=dev, help=dev_help)
    parser.add_argument("--dev-limit", type=int, default=dev_limit,
                        help=f"{dev_unit} per dev dataset")
    add_flags(parser, defaults, helps)
    raw = parser.parse_args()
    kind = type(defaults)
    return parser, raw, kind(**{k: getattr(raw, k) for k in asdict(defaults)})


def start_run(out: str, datasets: list[str]) -> Path:
    """Create a reader run's folder and write its training examples per dataset
    (:data:`DATA_FILE`, for the model card)."""
    from collections import Counter

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DATA_FILE).write_text(json.dumps(dict(Counter(datasets)), indent=2))
    return folder


def data_sources(parser: argparse.ArgumentParser, data: str) -> tuple[list[Any], list[str]]:
    """A reader trainer's ``--data`` (comma-separated JSONL files and dataset names): the
    instances of the files and the dataset names, which the trainer reads its own way. A
    missing ``.jsonl`` file or a zero-shot dev dataset is a usage error (exit 2)."""
    from seqgpt.data import registry
    from seqgpt.evaluate.runner import read_jsonl

    sources = [s for s in data.split(",") if s]
    names = [s for s in sources if not Path(s).is_file()]
    for name in names:
        if name.endswith(".jsonl"):
            parser.error(f"--data {name}: no such file")
        if name in registry.ZERO_SHOT_DEV:
            parser.error(f"--data {name} is a zero-shot dev dataset: the project never trains "
                         "on it (use it as --dev)")
    return [i for s in sources if Path(s).is_file() for i in read_jsonl(s)], names


def dev_logger(out: Path, score: Callable[[Any], dict[str, float]]) -> Callable[[Any], float]:
    """A trainer's ``evaluate(model)``: ``score(model)`` per dev dataset, logged, and their
    mean."""

    def evaluate(model: Any) -> float:
        scores = score(model)
        log_record(out, {"dev_sets": {k: round(v, 1) for k, v in scores.items()}})
        return sum(scores.values()) / len(scores)

    return evaluate


def log_record(run: Path, record: dict[str, Any]) -> None:
    """Print ``record`` as a progress line on stderr and add it to the run's log."""
    print(json.dumps(record), file=sys.stderr, flush=True)
    append_record(run, record)


def add_flags(parser: argparse.ArgumentParser, defaults: Any, helps: dict[str, str]) -> None:
    """One ``--flag`` per field of the settings dataclass ``defaults`` (booleans as
    ``--x/--no-x``), each help ending with its default."""
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value,
                                help=f"{helps[name]} (default: {value})")
        else:
            parser.add_argument(flag, type=type(value), default=value,
                                help=f"{helps[name]} (default: {value})")


def cli(main: Callable[[], int]) -> int:
    """Run a trainer's ``main``; a bad file or dataset name is said in one line, exit 2, no
    traceback."""
    try:
        return main()
    except (SeqGPTError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
