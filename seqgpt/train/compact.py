"""Training loop of the compact model: resumable, with progress and dev-set checkpoints.

A run folder holds ``checkpoint.pt`` (model, optimiser, schedule, step; written atomically
every ``save_every`` steps, so a killed run loses at most that interval), ``log.jsonl`` (one
line per logged step and per dev evaluation) and the loadable model with the best dev score so
far, or the last one when no dev set is given (``best/`` unless the caller names a folder).

Replay: a trainer given ``replay`` instances fills ``replay_ratio`` of every batch with a seeded
sample of them, so fine-tuning on a user's few labels keeps the skills the mixture taught.
Early stopping: with ``patience`` > 0, training ends after that many dev evaluations in a row
without a new best.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

from seqgpt.backends import compact
from seqgpt.data.instance import AtomicInstance
from seqgpt.fsutil import atomic_folder
from seqgpt.model.spans import (
    Features,
    Featurizer,
    LabelTooLongError,
    SpanModel,
    collate,
    span_index,
    token_boundaries,
)
from seqgpt.train.augment import augment_labels, documented_meanings
from seqgpt.train.loop import (
    EarlyStopping,
    StopsEarly,
    append_record,
    batch_split,
    load_state,
    read_records,
    save_state,
    warmup_cosine,
)
from seqgpt.train.replay import batch_indices


@dataclass
class TrainingArgs:
    steps: int = 2000
    batch_size: int = 16
    encoder_lr: float = 3e-5
    head_lr: float = 5e-4
    warmup: int = 100
    weight_decay: float = 0.01
    label_augment_rate: float = 0.3
    description_rate: float = 0.1  # chance a documented label is shown as its description
    max_labels: int = 24
    max_tokens: int = 256  # training window, labels included; inference takes the model's
    save_every: int = 200
    eval_every: int = 0  # 0: only at the end
    log_every: int = 20
    seed: int = 0
    threads: int = 0  # 0: torch's default
    replay_ratio: float = 0.0  # share of every batch drawn from the replay instances
    patience: int = 0  # dev evaluations without a new best before stopping; 0: never stop
    max_windows: int = 2  # text windows one instance may add to a batch
    bucket: int = 8  # batches drawn together and cut by length, so padding stays small
    bfloat16: bool = False  # autocast the forward pass (faster only on some CPUs)
    # classification losses against span losses: a text gives one class row but many span rows
    class_weight: float = 4.0


@dataclass
class Example:
    features: Features
    labels: list[str]
    task: str
    gold_spans: list[tuple[int, int, int]]  # (first word, last word, label index)
    gold_labels: list[int]
    single_label: bool = False  # classify with exactly one gold label: also a softmax loss
    # Partial annotation (e.g. one typed mention per sentence): only the gold spans' rows are
    # known, every other span is unknown rather than negative and stays out of the loss.
    partial: bool = False


def make_examples(instance: AtomicInstance, featurizer: Featurizer, rng: random.Random,
                  args: TrainingArgs,
                  descriptions: Mapping[str, Sequence[str]] | None = None) -> list[Example]:
    """Training examples for one instance: a text window each, at most ``max_windows``.

    Labels are shuffled (inference canonicalises their order, so no order may carry meaning).
    Long texts give many windows; windows holding gold spans are preferred, the rest drawn at
    random, so one long passage cannot crowd a batch.
    """
    labels = list(instance.labels)
    # Gold labels first, then others at random, while they fit half the training window.
    gold = [x for x in labels if x in {s.label for s in instance.spans} | set(instance.gold)]
    rest = [x for x in labels if x not in gold]
    rng.shuffle(rest)
    keep: set[str] = set()
    cost = 0
    for label in gold + rest:
        try:
            cost += featurizer.label_cost(label)
        except LabelTooLongError:
            continue
        if len(keep) >= args.max_labels or (keep and cost > featurizer.config.max_tokens // 2):
            break
        keep.add(label)
    labels = [x for x in labels if x in keep]
    if not labels:
        return []
    rng.shuffle(labels)
    renamed = _fit_window(labels, augment_labels(labels, rng, args.label_augment_rate,
                                                 descriptions, args.description_rate),
                          featurizer)
    shown = [renamed.get(x, x) for x in labels]
    index = {x: k for k, x in enumerate(labels)}
    partial = bool(instance.meta.get("partial"))
    examples = []
    for features in featurizer.windows(instance.text, shown):
        starts = {s: i for i, (s, _) in enumerate(features.words)}
        ends = {e: j for j, (_, e) in enumerate(features.words)}
        may_start, may_end = token_boundaries(features)
        spans = []  # mentions off word or token boundaries, or too wide, cannot be learnt
        for span in instance.spans:
            i = starts.get(span.start) if span.start is not None else None
            j = ends.get(span.end) if span.end is not None else None
            if (span.label in index and i is not None and j is not None
                    and 0 <= j - i < featurizer.config.max_width and may_start[i] and may_end[j]):
                spans.append((i, j, index[span.label]))
        if partial and not spans:
            continue  # nothing known in this window
        gold_labels = [index[x] for x in instance.gold if x in index]
        examples.append(Example(features, shown, instance.task, spans, gold_labels,
                                single_label=not instance.multi_label and len(gold_labels) == 1,
                                partial=partial))
    if len(examples) > args.max_windows:
        with_gold = [ex for ex in examples if ex.gold_spans]
        rng.shuffle(with_gold)
        others = [ex for ex in examples if not ex.gold_spans]
        rng.shuffle(others)
        examples = (with_gold + others)[:args.max_windows]
    return examples


def _fit_window(labels: list[str], renamed: dict[str, str],
                featurizer: Featurizer) -> dict[str, str]:
    """The renamings the window can take. A description is longer than its name: drop names
    over the label-token limit, then the longest renamings until the labels fit the half of
    the window they were chosen for."""
    costs: dict[str, int] = {}
    for label, name in renamed.items():
        try:
            costs[label] = featurizer.label_cost(name)
        except LabelTooLongError:
            pass
    kept = {label: name for label, name in renamed.items() if label in costs}
    base = {x: featurizer.label_cost(x) for x in labels}
    budget = max(sum(base.values()), featurizer.config.max_tokens // 2)
    total = sum(costs[x] if x in kept else base[x] for x in labels)
    while kept and total > budget:
        longest = max(kept, key=lambda x: len(kept[x]))
        total -= costs[longest] - base[longest]
        del kept[longest]
    return kept


def batch_targets(examples: Sequence[Example], max_width: int,
                  batch: dict[str, torch.Tensor]) -> None:
    """Add span/class targets and the masks that say which loss each example takes.

    ``span_known`` ``[B, S]`` marks the spans whose targets are known: spans that cut a token
    are never decoded (``token_boundaries``), so they are left out instead of being taught as
    negatives that share the states of a positive; in partially annotated examples only the
    gold spans' rows are known.
    """
    size, n_span = batch["span_mask"].shape
    n_lab = batch["label_mask"].shape[1]
    span_t = torch.zeros((size, n_span, n_lab))
    known = torch.zeros((size, n_span), dtype=torch.bool)
    class_t = torch.zeros((size, n_lab))
    for b, ex in enumerate(examples):
        pairs = span_index(len(ex.features.words), max_width)
        if ex.task == "extract":
            may_start, may_end = token_boundaries(ex.features)
            if not ex.partial:
                known[b, :len(pairs)] = torch.tensor([may_start[i] and may_end[j]
                                                      for i, j in pairs], dtype=torch.bool)
            position = {p: s for s, p in enumerate(pairs)}
            for i, j, k in ex.gold_spans:
                span_t[b, position[(i, j)], k] = 1.0
                known[b, position[(i, j)]] = True
        for k in ex.gold_labels:
            class_t[b, k] = 1.0
    batch["span_targets"] = span_t
    batch["span_known"] = known & batch["span_mask"]
    batch["class_targets"] = class_t
    batch["is_extract"] = torch.tensor([ex.task == "extract" for ex in examples])
    batch["single_label"] = torch.tensor([ex.single_label and ex.task == "classify"
                                          for ex in examples])


def loss_fn(model: SpanModel, batch: dict[str, torch.Tensor], bfloat16: bool = False,
            class_weight: float = TrainingArgs.class_weight) -> torch.Tensor:
    with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
        span_logits, class_logits = model(batch)
    span_logits, class_logits = span_logits.float(), class_logits.float()
    ext = batch["is_extract"]
    span_mask = (batch["span_known"][:, :, None] & batch["label_mask"][:, None, :]
                 & ext[:, None, None])
    span_loss = F.binary_cross_entropy_with_logits(span_logits, batch["span_targets"],
                                                   reduction="none")
    class_mask = batch["label_mask"] & ~ext[:, None]
    class_loss = F.binary_cross_entropy_with_logits(class_logits, batch["class_targets"],
                                                    reduction="none")
    n_ext, n_cls = max(1, int(ext.sum())), max(1, int((~ext).sum()))
    # A span loss sums thousands of (span, label) pairs, a label loss a handful: without a
    # weight and a softmax term for single-label texts, classification barely moves the encoder.
    single = batch["single_label"]
    softmax = torch.zeros(())
    if single.any():
        logits = class_logits[single].masked_fill(~batch["label_mask"][single], -1e4)
        softmax = F.cross_entropy(logits, batch["class_targets"][single].argmax(-1),
                                  reduction="sum") / n_cls
    return ((span_loss * span_mask).sum() / n_ext
            + class_weight * ((class_loss * class_mask).sum() / n_cls + softmax))


def taught_class_names(instances: Sequence[AtomicInstance],
                       known: Sequence[str] = ()) -> tuple[str, ...]:
    """``known`` and the gold class names (lower case) of the classify instances whose text is
    one line: what single-label classify reads the head for (pair and relation texts, which
    hold a line break, go to readers of their own in a model folder that has them)."""
    taught = {name.strip().lower() for i in instances
              if i.task == "classify" and "\n" not in i.text for name in i.gold}
    return tuple(sorted(taught | set(known)))


class Trainer(StopsEarly):
    """Trains a :class:`SpanModel` on atomic instances; ``run()`` resumes by itself."""

    def __init__(self, model: SpanModel, instances: Sequence[AtomicInstance], out: Path,
                 args: TrainingArgs,
                 dev: Callable[[SpanModel], float] | None = None, *,
                 replay: Sequence[AtomicInstance] = (), best_dir: Path | None = None,
                 evaluate_start: bool = False, inference: dict[str, object] | None = None,
                 card: dict[str, object] | None = None) -> None:
        if not 0.0 <= args.replay_ratio < 1.0:
            raise ValueError(f"replay_ratio must be in [0, 1), got {args.replay_ratio}")
        if args.replay_ratio and not replay:
            raise ValueError("replay_ratio is set but no replay instances were given")
        if not instances:
            raise ValueError("no training instances")
        self.model, self.instances, self.out, self.args, self.dev = model, instances, out, args, dev
        self.replay = replay if args.replay_ratio else ()
        self.best_dir = best_dir or out / "best"
        # Scoring the starting model makes it the one to beat: a fine-tune that never improves
        # on dev leaves the start model as the result.
        self.evaluate_start = evaluate_start
        self.inference, self.card = inference or {}, card or {}
        if model.config.class_names is not None:
            model.config = replace(model.config, class_names=taught_class_names(
                [*instances, *self.replay], model.config.class_names))
        self.descriptions = documented_meanings() if args.description_rate else {}
        self.featurizer = Featurizer(model.tokenizer,
                                     replace(model.config, max_tokens=args.max_tokens),
                                     cache_texts=True)
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        encoder = [p for n, p in model.named_parameters()
                   if n.startswith("encoder.") and p.requires_grad]
        heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
        self.optimizer = torch.optim.AdamW(
            [{"params": encoder, "lr": args.encoder_lr}, {"params": heads, "lr": args.head_lr}],
            weight_decay=args.weight_decay)
        # A partial, not a lambda: LambdaLR saves a callable object's (empty) __dict__ where it
        # saves None for a function, so the schedule's state stays as checkpoints have it.
        self.schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, partial(warmup_cosine, warmup=args.warmup, total=args.steps))
        self.step = 0
        self.early = EarlyStopping(args.patience)

    # ------------------------------------------------------------------ state
    def _checkpoint_path(self) -> Path:
        return self.out / "checkpoint.pt"

    def save_checkpoint(self) -> None:
        trainable = {n: p.detach().clone() for n, p in self.model.named_parameters()
                     if p.requires_grad}
        state = {"model": trainable, "optimizer": self.optimizer.state_dict(),
                 "schedule": self.schedule.state_dict(), "step": self.step,
                 **self.early.state(), "args": asdict(self.args),
                 "config": self.model.config.to_dict()}
        save_state(self._checkpoint_path(), state)

    def resume(self) -> bool:
        state = load_state(self._checkpoint_path())
        if state is None:
            return False
        self.model.load_state_dict(state["model"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.step = state["step"]
        self.early.load(state)
        return True

    def _log(self, record: dict[str, object]) -> None:
        append_record(self.out, record)

    # ------------------------------------------------------------------ data
    def per_batch(self) -> tuple[int, int]:
        """Training instances and replay instances in one batch."""
        return batch_split(self.args.batch_size, self.args.replay_ratio if self.replay else 0.0)

    def _batches(self):
        """Endless batches in a fixed order per seed; position = step, so resuming continues.

        ``bucket`` consecutive steps draw their instances together; their examples are sorted
        by length and cut into that many batches (shuffled), so a batch pads little.
        """
        args = self.args
        own, extra = self.per_batch()
        size = max(1, args.bucket)
        while True:
            group = self.step // size
            examples: list[Example] = []
            for step in range(group * size, (group + 1) * size):
                mine, replayed = batch_indices(step, args.seed, len(self.instances), own,
                                               len(self.replay), extra)
                chunk = [self.instances[n] for n in mine] + [self.replay[n] for n in replayed]
                rng = random.Random(args.seed * 1_000_003 + step)
                examples += [ex for inst in chunk
                             for ex in make_examples(inst, self.featurizer, rng, args,
                                                     self.descriptions)]
            examples.sort(key=lambda ex: len(ex.features.input_ids))
            cuts = [round(len(examples) * n / size) for n in range(size + 1)]
            batches = [examples[cuts[n]:cuts[n + 1]] for n in range(size)]
            random.Random(f"bucket:{args.seed}:{group}").shuffle(batches)
            yield from batches[self.step % size:]

    # ------------------------------------------------------------------ loop
    def run(self) -> Path:
        args = self.args
        self.out.mkdir(parents=True, exist_ok=True)
        if args.threads:
            torch.set_num_threads(args.threads)
        if self.resume():
            print(f"resumed from step {self.step}", file=sys.stderr)
        elif self.evaluate_start and self.dev:
            self._evaluate()
        self.model.train()
        width = self.model.config.max_width
        pad = self.model.tokenizer.pad_token_id
        seen, started, running = 0, time.time(), 0.0
        batches = self._batches()
        while self.step < args.steps and not self.stopped:
            examples = next(batches)
            if not examples:  # every instance of the draw was unusable (labels too long)
                self.schedule.step()
                self.step += 1
                continue
            batch = collate([ex.features for ex in examples], width, pad)
            batch_targets(examples, width, batch)
            loss = loss_fn(self.model, batch, args.bfloat16, args.class_weight)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.schedule.step()
            self.step += 1
            seen += len(examples)
            value = loss.item()
            running = 0.9 * running + 0.1 * value if running else value
            if self.step % args.log_every == 0 or self.step == args.steps:
                rate = seen / max(1e-9, time.time() - started)
                eta = (args.steps - self.step) * len(examples) / max(rate, 1e-9)
                print(f"step {self.step}/{args.steps} loss {running:.4f} {rate:.1f} ex/s "
                      f"eta {eta / 60:.1f} min", file=sys.stderr, flush=True)
                self._log({"step": self.step, "loss": running, "examples_per_s": rate})
            if args.eval_every and self.step % args.eval_every == 0:
                self._evaluate()
            if self.step % args.save_every == 0 or self.step == args.steps or self.stopped:
                self.save_checkpoint()
        if not self.stopped and self._last_dev_step() != self.step:
            self._evaluate()
            self.save_checkpoint()
        return self.best_dir

    def _last_dev_step(self) -> int | None:
        steps = [r["step"] for r in read_records(self.out) if "dev" in r]
        return steps[-1] if steps else None

    def _evaluate(self) -> None:
        self.model.eval()
        score = self.dev(self.model) if self.dev else float(self.step)
        self.model.train()
        self._log({"step": self.step, "dev": score})
        print(f"step {self.step} dev {score:.4f} (best {max(self.best, score):.4f})" if self.dev
              else f"step {self.step} saved (no dev set: the last model is kept)",
              file=sys.stderr, flush=True)
        if self.early.update(score):
            card = {**self.card, "step": self.step, "dev": score, "args": asdict(self.args)}
            if self.best_dir == self.out:  # the run folder is the model: each file atomic
                compact.save(self.model, self.best_dir, inference=self.inference, card=card)
            else:  # weights and config swapped in together
                with atomic_folder(self.best_dir) as folder:
                    compact.save(self.model, folder, inference=self.inference, card=card)
        elif self.early.stopped:
            self._log({"step": self.step, "stopped": "early",
                       "evaluations_without_gain": self.early.since_best})
            print(f"step {self.step}: no dev gain in {self.early.since_best} evaluations; "
                  "stopping early", file=sys.stderr, flush=True)

