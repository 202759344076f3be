"""The generative recipe: train a causal LM to answer in the upstream SeqGPT format.

Every atomic instance becomes upstream prompt/answer pairs (:func:`seqgpt.data.mixture.
prompt_records`: the prompt from :func:`seqgpt.prompt.render`, extraction labels chunked by six
as upstream's inference does, the answer from ``format_extraction`` / ``format_classification``).
The model reads ``prompt + answer + EOS`` and the causal-LM loss counts only the answer tokens
and the EOS (so it learns to stop). Prompts are tokenised alone and left-truncated to
``max_length`` exactly as :class:`seqgpt.backends.generative.GenerativeBackend` does before
generating, and batches are left-padded, so training sees what inference will.

Stages (the paper's recipe): ``pretrain`` on the label-diverse mixture, then ``finetune`` on
the multi-task mixture, each with its own warm-up and cosine decay; quotas and negative labels
come from the mixture builder. With user data there is one stage, the user's instances plus
replayed mixture instances. LoRA (``peft``) trains low-rank adapters instead of all weights and
merges them into the saved model. CUDA is used when present (bf16 autocast), else the CPU.
"""

from __future__ import annotations

import inspect
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from seqgpt.data.instance import AtomicInstance
from seqgpt.train import adapt
from seqgpt.train.adapt import DataArg, TrainError
from seqgpt.train.loop import (  # torch-free at import: torch stays lazy in this module
    EarlyStopping,
    StopsEarly,
    append_record,
    batch_split,
    load_state,
    save_state,
    warmup_cosine,
)

IGNORE = -100  # label id the loss skips


@dataclass
class GenerativeArgs:
    steps: int = 0  # per stage; 0: from epochs
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 2e-5
    warmup: int = 0  # 0: a tenth of the stage's steps
    weight_decay: float = 0.0
    max_length: int = 1024  # prompt tokens, left-truncated (as upstream's inference)
    max_answer_tokens: int = 256  # upstream generates at most 256 new tokens
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    save_every: int = 200
    log_every: int = 10
    eval_every: int = 0  # 0: once per epoch when a dev set is given
    patience: int = 0  # dev evaluations without a new best before a stage stops; 0: never
    seed: int = 0
    threads: int = 0
    device: str = ""  # "": cuda when available, else cpu


@dataclass
class Pair:
    prompt: str
    answer: str


def pairs_of(instances: Sequence[AtomicInstance]) -> list[Pair]:
    from seqgpt.data.mixture import prompt_records

    return [Pair(r["prompt"], r["answer"]) for i in instances for r in prompt_records(i)]


def encode(pairs: Sequence[Pair], tokenizer: Any, args: GenerativeArgs,
           accepts_positions: bool) -> dict[str, Any]:
    """Left-padded ``input_ids``, ``attention_mask`` and ``labels`` (answer tokens + EOS only)."""
    import torch

    prompts = tokenizer([p.prompt for p in pairs])["input_ids"]
    answers = tokenizer([p.answer for p in pairs], add_special_tokens=False)["input_ids"]
    rows = []
    for prompt_ids, answer_ids in zip(prompts, answers, strict=True):
        prompt_ids = prompt_ids[-args.max_length:]
        answer_ids = (answer_ids + [tokenizer.eos_token_id])[:args.max_answer_tokens]
        rows.append((prompt_ids, answer_ids))
    width = max(len(p) + len(a) for p, a in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for b, (prompt_ids, answer_ids) in enumerate(rows):
        pad = width - len(prompt_ids) - len(answer_ids)
        ids[b, pad:] = torch.tensor(prompt_ids + answer_ids)
        mask[b, pad:] = 1
        labels[b, pad + len(prompt_ids):] = torch.tensor(answer_ids)
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    if accepts_positions:  # generate() numbers left-padded positions from the first real token
        batch["position_ids"] = (mask.cumsum(-1) - 1).clamp(min=0)
    return batch


def load_causal_lm(start: str | Path, args: GenerativeArgs):
    """Model and tokenizer from a folder or hub id (looked up as ``seqgpt.load`` does)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from seqgpt.backends.generative import _resolve

    source = Path(start).expanduser() if Path(str(start)).expanduser().exists() else str(start)
    location = _resolve(source)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    # Frozen base weights under LoRA can stay in bf16 on a GPU; trained weights stay fp32.
    dtype = torch.bfloat16 if args.lora and device.startswith("cuda") else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(location)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype)
    except (OSError, ValueError, KeyError) as error:
        raise TrainError(f"--from {start}: cannot load a causal LM ({error})") from None
    tokenizer.padding_side = tokenizer.truncation_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.eos_token_id is None:
        raise TrainError(f"--from {start}: the tokenizer has no EOS token, so a trained model "
                         "could not stop its answer")
    if args.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(  # type: ignore[assignment]
            task_type="CAUSAL_LM", r=args.lora_r, lora_alpha=args.lora_alpha,
            lora_dropout=args.lora_dropout, target_modules="all-linear"))
    return model.to(device), tokenizer  # type: ignore[arg-type]  # transformers' stubs


class GenerativeTrainer(StopsEarly):
    """Runs the stages in order; ``checkpoint.pt`` holds the stage, its step, the trainable
    weights and the optimiser, so a killed run resumes where it stopped."""

    def __init__(self, model: Any, tokenizer: Any, stages: list[tuple[str, list[Pair]]],
                 out: Path, args: GenerativeArgs, epochs: float, replay: Sequence[Pair] = (),
                 replay_ratio: float = 0.0, dev: Sequence[Pair] = ()) -> None:
        self.model, self.tokenizer, self.stages, self.out = model, tokenizer, stages, out
        self.args, self.epochs, self.dev = args, epochs, list(dev)
        self.replay, self.replay_ratio = list(replay), replay_ratio if replay else 0.0
        forward = inspect.signature(getattr(model, "get_base_model", lambda: model)().forward)
        self.positions = "position_ids" in forward.parameters
        self.device = next(model.parameters()).device
        self.stage, self.step = 0, 0
        self.early = EarlyStopping(args.patience)  # one per stage: run() starts it afresh
        self.history: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ schedule
    def per_batch(self) -> tuple[int, int]:
        return batch_split(self.args.batch_size, self.replay_ratio)

    def stage_steps(self, pairs: Sequence[Pair]) -> int:
        if self.args.steps:
            return self.args.steps
        per_epoch = max(1, len(pairs) // (self.per_batch()[0] * self.args.grad_accum))
        return max(1, math.ceil(self.epochs * per_epoch))

    def eval_every(self, pairs: Sequence[Pair]) -> int:
        if not self.dev:
            return 0
        return self.args.eval_every or max(1, len(pairs) // (self.per_batch()[0]
                                                              * self.args.grad_accum))

    # ------------------------------------------------------------------ state
    def trainable(self) -> dict[str, Any]:
        return {n: p.detach().cpu().clone() for n, p in self.model.named_parameters()
                if p.requires_grad}

    def save_checkpoint(self, optimizer: Any, schedule: Any) -> None:
        save_state(self.out / "checkpoint.pt", {
            "model": self.trainable(), "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(), "stage": self.stage, "step": self.step,
            **self.early.state(), "history": self.history, "args": asdict(self.args)})

    def load_checkpoint(self) -> dict[str, Any] | None:
        state = load_state(self.out / "checkpoint.pt", map_location="cpu")
        if state is None:
            return None
        self.model.load_state_dict(state["model"], strict=False)
        self.stage, self.step = state["stage"], state["step"]
        self.early.load(state)
        self.history = state["history"]
        return state

    def _log(self, record: dict[str, Any]) -> None:
        self.history.append(record)
        append_record(self.out, record)

    # ------------------------------------------------------------------ loop
    def run(self) -> None:
        import torch  # lazy, as throughout this module: the CLI starts without loading torch

        if self.args.threads:
            torch.set_num_threads(self.args.threads)
        resumed = self.load_checkpoint()
        if resumed:
            print(f"resumed at stage {self.stages[self.stage][0]}, step {self.step}",
                  file=sys.stderr)
        while self.stage < len(self.stages):
            name, pairs = self.stages[self.stage]
            self._run_stage(name, pairs, resumed)
            resumed = None
            self.stage, self.step = self.stage + 1, 0
            self.early = EarlyStopping(self.args.patience)

    def _optimizer(self, total: int):
        import torch

        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.args.lr,
                                      weight_decay=self.args.weight_decay)
        warmup = self.args.warmup or max(1, total // 10)
        # A lambda, not a partial: LambdaLR saves None for a function, as checkpoints have it.
        return optimizer, torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: warmup_cosine(step, warmup, total))

    def _run_stage(self, name: str, pairs: list[Pair], resumed: dict[str, Any] | None) -> None:
        import torch

        from seqgpt.train.replay import batch_indices

        args = self.args
        total, every = self.stage_steps(pairs), self.eval_every(pairs)
        optimizer, schedule = self._optimizer(total)
        if resumed:
            optimizer.load_state_dict(resumed["optimizer"])
            schedule.load_state_dict(resumed["schedule"])
        elif self.dev:
            self._evaluate(name)  # the starting model is the one to beat
        own, extra = self.per_batch()
        print(f"stage {name}: {len(pairs)} prompt/answer pairs, {total} steps", file=sys.stderr)
        started, running, seen = time.time(), 0.0, 0
        self.model.train()
        while self.step < total and not self.stopped:
            optimizer.zero_grad(set_to_none=True)
            value = 0.0
            for micro in range(args.grad_accum):
                position = self.step * args.grad_accum + micro
                mine, replayed = batch_indices(position, args.seed + 7919 * self.stage,
                                               len(pairs), own, len(self.replay), extra)
                chosen = [pairs[i] for i in mine] + [self.replay[i] for i in replayed]
                loss = self._loss(chosen) / args.grad_accum
                loss.backward()
                value += loss.item()
                seen += len(chosen)
            torch.nn.utils.clip_grad_norm_(
                [p for p in self.model.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            schedule.step()
            self.step += 1
            running = 0.9 * running + 0.1 * value if running else value
            if self.step % args.log_every == 0 or self.step == total:
                rate = seen / max(1e-9, time.time() - started)
                print(f"{name} step {self.step}/{total} loss {running:.4f} {rate:.1f} pairs/s",
                      file=sys.stderr, flush=True)
                self._log({"stage": name, "step": self.step, "loss": running, "raw_loss": value,
                           "pairs_per_s": rate})
            if every and self.step % every == 0:
                self._evaluate(name)
            if self.step % args.save_every == 0 or self.step == total or self.stopped:
                self.save_checkpoint(optimizer, schedule)
        if self.dev and not self.stopped and self.step % max(every, 1):
            self._evaluate(name)
        self._keep_best(name)
        self.save_checkpoint(optimizer, schedule)

    def _loss(self, chosen: Sequence[Pair]):
        import torch

        batch = encode(chosen, self.tokenizer, self.args, self.positions)
        batch = {k: v.to(self.device) for k, v in batch.items()}
        cuda = self.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            return self.model(**batch).loss

    # ------------------------------------------------------------------ dev
    def dev_loss(self) -> float:
        """Mean answer-token loss on the dev pairs (lower is better)."""
        import torch

        self.model.eval()
        total, count = 0.0, 0
        with torch.inference_mode():
            for start in range(0, len(self.dev), self.args.batch_size):
                chunk = self.dev[start:start + self.args.batch_size]
                total += self._loss(chunk).item() * len(chunk)
                count += len(chunk)
        self.model.train()
        return total / max(1, count)

    def _evaluate(self, name: str) -> None:
        loss = self.dev_loss()
        score = -loss
        self._log({"stage": name, "step": self.step, "dev_loss": loss})
        print(f"{name} step {self.step} dev loss {loss:.4f}", file=sys.stderr, flush=True)
        if self.early.update(score):
            save_state(self.out / "best.pt", {"model": self.trainable(), "stage": name,
                                              "step": self.step, "dev_loss": loss})
        elif self.early.stopped:
            self._log({"stage": name, "step": self.step, "stopped": "early"})

    def _keep_best(self, name: str) -> None:
        """At a stage's end, go back to its best dev weights (the next stage starts there)."""
        best = load_state(self.out / "best.pt", map_location="cpu") if self.dev else None
        if best is not None and best["stage"] == name:
            self.model.load_state_dict(best["model"], strict=False)

    def export(self) -> None:
        """The loadable model: adapters merged, weights and tokenizer in the run folder."""
        model = self.model
        if hasattr(model, "merge_and_unload"):
            model = model.merge_and_unload()
        model.save_pretrained(self.out)
        self.tokenizer.save_pretrained(self.out)


def train_generative(data: DataArg | None, out: str | Path, *, dev: DataArg | None = None,
                     start: str | Path, replay: float | None = None,
                     replay_data: str | Path | None = None, replay_size: int | None = None,
                     epochs: float = 1.0, resume: bool = False, keep_checkpoint: bool = False,
                     fmt: str | None = None, scheme: str = "bio",
                     stages: dict[str, DataArg] | None = None, dev_limit: int = 100,
                     **settings: Any) -> Path:
    """Train a causal LM in the upstream format; see :func:`seqgpt.train.finetune`.

    Without ``data``: the two-stage recipe on ``stages`` (``{"pretrain": ..., "finetune": ...}``,
    files or instances; a missing stage is built from the shared data). With ``data``: one
    stage on it, with ``replay`` (default 0.5) of each batch from the mixture.
    """
    from seqgpt.train.card import write_generative_card
    from seqgpt.train.replay import DEFAULT_SIZE, prepare

    if str(start) in ("default", "scratch"):
        raise TrainError("--backend generative continues a causal LM: give --from with a "
                         "transformers folder or hub id (e.g. bigscience/bloomz-560m)")
    out = Path(out).expanduser()
    known = {f.name for f in fields(GenerativeArgs)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TrainError(f"setting {unknown[0]!r} does not apply to the generative backend; "
                         f"its settings: {', '.join(sorted(known))}")
    args = GenerativeArgs(**settings)
    seed = args.seed
    if data is not None:
        plan = [("finetune", adapt.read_data(data, fmt, scheme))]
        replay = adapt.DEFAULT_REPLAY if replay is None else replay
    else:
        plan = [(stage, _stage_instances(stage, (stages or {}).get(stage), seed, fmt, scheme))
                for stage in ("pretrain", "finetune")]
        replay = 0.0 if replay is None else replay
    if not 0.0 <= replay < 1.0:
        raise TrainError(f"replay must be a share of the batch in [0, 1), got {replay}")
    record = {"backend": "generative", "start": str(start),
              "data": (adapt.describe(data) if data is not None else
                       [f"{name}: {', '.join(adapt.describe(given)) if given else 'built'}"
                        for name, given in ((n, (stages or {}).get(n)) for n, _ in plan)]),
              "fingerprint": adapt.fingerprint([i for _, found in plan for i in found]),
              "replay": replay, "replay_data": str(replay_data) if replay_data else None}
    adapt.claim(out, record, resume)
    replayed = prepare(out, replay_size or DEFAULT_SIZE, seed,
                       Path(replay_data).expanduser() if replay_data else None) if replay else []
    dev_instances = adapt.read_dev(dev, dev_limit, seed, fmt, scheme)
    model, tokenizer = load_causal_lm(start, args)
    trainer = GenerativeTrainer(model, tokenizer, [(name, pairs_of(found)) for name, found in plan],
                                out, args, epochs, replay=pairs_of(replayed),
                                replay_ratio=replay, dev=pairs_of(dev_instances))
    started = time.time()
    trainer.run()
    trainer.export()
    record.update(state="finished", seconds=round(time.time() - started, 1),
                  stages={name: adapt.summary(found) for name, found in plan},
                  replayed=len(replayed), dev=adapt.describe(dev) if dev else None,
                  args=asdict(args), replay_datasets=sorted({i.dataset for i in replayed}))
    adapt.write_record(out, record)
    write_generative_card(out, record)
    if not keep_checkpoint:
        for name in ("checkpoint.pt", "best.pt", "replay.jsonl"):
            (out / name).unlink(missing_ok=True)
    print(f"model: {out}  (seqgpt.load({str(out)!r}))", file=sys.stderr)
    return out


def _stage_instances(stage: str, given: DataArg | None, seed: int, fmt: str | None,
                     scheme: str) -> list[AtomicInstance]:
    """A stage's instances: given (files or instances), else its mixture built from the
    shared data (the zero-shot dev datasets are refused by the builder)."""
    if given is not None:
        return adapt.read_data(given, fmt, scheme)
    from seqgpt.data import mixture, registry

    specs = [registry.get(name) for name in registry.names()]
    return mixture.build([s for s in specs if not s.zero_shot_dev],
                         stage,  # type: ignore[arg-type]  # "pretrain" or "finetune"
                         seed=seed).instances
