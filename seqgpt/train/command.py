"""``seqgpt train``: fine-tune a model on your own data, or train one on the project's mixture.

One command, one function behind it (:func:`seqgpt.train.finetune`): the compact model
continues from the shipped default (``--from default``), a model folder, or fresh heads
(``--from scratch``, how the default model is trained on ``seqgpt data build`` files); the
generative backend trains a causal LM in the upstream format.
"""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path
from typing import Any

_EPILOG = """examples:
  seqgpt train --data my.jsonl --dev my_dev.jsonl --out runs/mine     # continue the default
  seqgpt train --data my.jsonl --dev my_dev.jsonl --out runs/mine --resume   # after a kill
  seqgpt train --data ner.conll --data intents.csv --out runs/mine --replay 0.3 --epochs 5
  seqgpt data build --stage finetune -o mix.jsonl
  seqgpt train --data mix.jsonl --from scratch --out runs/base --steps 2000 --dev wnut17,trec
  seqgpt train --backend generative --from bigscience/bloomz-560m --out runs/seqgpt --lora
  seqgpt train --backend generative --from path/to/causal-lm --data my.jsonl --out runs/gen

--data: JSONL in the format `seqgpt eval` reads
  extraction:     {"text": ..., "spans": [{"label", "start", "end"}], "labels": [label set]}
  classification: {"text": ..., "labels": [gold labels], "label_set": [label set]}
or CoNLL (.conll/.bio/.iob: token, tag last, blank line between sentences) or CSV (.csv with
columns text,label). --dev: files like --data and/or zero-shot dev dataset names.
The folder --out is the model: seqgpt.load("runs/mine"). Training settings not listed above
(--batch-size, --encoder-layers, --lr, ...) are the fields of seqgpt.train.compact.TrainingArgs
(compact) and seqgpt.train.generative.GenerativeArgs (generative)."""


#: Help for the training settings (fields of TrainingArgs / GenerativeArgs); each flag's help
#: also says which backend reads it and its default there.
_SETTING_HELP = {
    "steps": "optimiser steps (generative: per stage; 0 = from --epochs)",
    "batch_size": "instances per optimiser step",
    "encoder_lr": "learning rate of the encoder layers",
    "head_lr": "learning rate of the span and label heads",
    "lr": "learning rate",
    "grad_accum": "micro-batches accumulated per optimiser step",
    "warmup": "linear warm-up steps (generative: 0 = a tenth of the stage)",
    "weight_decay": "AdamW weight decay",
    "label_augment_rate": "chance that a label is renamed to a variant a user might write "
                          "(plural, case, separators), so the model reads names",
    "max_labels": "most labels in one training example (gold labels first, then others at "
                  "random)",
    "max_tokens": "training window in tokens, labels included",
    "max_length": "prompt tokens kept (left-truncated, as upstream's inference)",
    "max_answer_tokens": "answer tokens trained on (upstream generates at most 256)",
    "lora": "train LoRA adapters instead of every weight (merged into the saved model)",
    "lora_r": "LoRA rank",
    "lora_alpha": "LoRA scaling",
    "lora_dropout": "LoRA dropout",
    "save_every": "steps between checkpoints (what --resume continues from)",
    "eval_every": "steps between --dev evaluations (0: once per epoch / at the end)",
    "log_every": "steps between progress lines",
    "description_rate": "chance that a label the shared datasets document (SGD, Pile-NER) is "
                        "shown as its description, so the model reads meanings",
    "class_weight": "weight of the classification losses against the span losses",
    "patience": "--dev evaluations without a new best before stopping (0: never stop early)",
    "seed": "random seed (sampling, shuffling, replay)",
    "threads": "CPU threads for torch (0: torch's default)",
    "max_windows": "text windows one long instance may add to a batch",
    "bucket": "batches drawn together and cut by length, so padding stays small",
    "bfloat16": "autocast the forward pass to bfloat16 (faster on CPUs with AMX, on some with "
                "AVX512-BF16 only; slower elsewhere: time a few steps both ways)",
    "device": "cpu, cuda or cuda:N (default: cuda when available)",
}


def _setting_help(name: str, defaults: dict[str, object]) -> str:
    text = _SETTING_HELP.get(name, "training setting")
    if len(defaults) == 1:
        backend, value = next(iter(defaults.items()))
        return f"{text} ({backend} only; default {value!r})".replace("%", "%%")
    where = ", ".join(f"{backend} {value!r}" for backend, value in defaults.items())
    return f"{text} (default: {where})".replace("%", "%%")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from seqgpt.train.compact import TrainingArgs
    from seqgpt.train.generative import GenerativeArgs

    parser = subparsers.add_parser(
        "train", help="fine-tune a model on your data (JSONL, CoNLL, CSV), resumable",
        description="Fine-tune the default model (or a model folder, or a causal LM) on your "
                    "own labelled data, with a replay of the project's training mixture so it "
                    "keeps its zero-shot skill; progress, checkpoints, --resume, early stopping "
                    "on --dev. Writes a model folder that seqgpt.load() reads.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", action="append", default=None,
                        help="training file (JSONL, CoNLL or CSV); repeat to concatenate. "
                             "Without it the generative backend runs the two-stage recipe")
    parser.add_argument("--out", required=True, type=Path, help="model and run folder")
    parser.add_argument("--dev", action="append", default=None,
                        help="dev files and/or zero-shot dev dataset names (comma-separated "
                             "or repeated): scored every epoch, the best model is kept, "
                             "training stops after --patience evaluations without a gain")
    parser.add_argument("--from", dest="start", default="default",
                        help="default (the shipped model), scratch (fresh heads on --base), or "
                             "a model folder; with --backend generative a causal LM folder or "
                             "hub id")
    parser.add_argument("--backend", choices=("compact", "generative"), default="compact",
                        help="compact: the span/label scorer seqgpt.load() ships (default); "
                             "generative: a causal LM in the upstream SeqGPT format")
    parser.add_argument("--replay", type=float, default=None,
                        help="share of each batch from the project's mixture (default 0.5 "
                             "when continuing a trained model, 0 from scratch)")
    parser.add_argument("--replay-data", default=None,
                        help="mixture file (seqgpt data build) to replay instead of building "
                             "it from the shared data")
    parser.add_argument("--replay-size", type=int, default=None,
                        help="replay instances sampled for the run (default 4000)")
    parser.add_argument("--epochs", type=float, default=None,
                        help="passes over --data (default 3 compact, 1 generative); --steps "
                             "overrides")
    parser.add_argument("--resume", action="store_true",
                        help="continue the unfinished run in --out")
    parser.add_argument("--no-calibrate", dest="calibrate", action="store_false",
                        help="keep the start model's extraction threshold (default: pick the "
                             "one with the best --dev F1)")
    parser.add_argument("--keep-checkpoint", action="store_true",
                        help="keep checkpoint.pt after the run (to extend it later)")
    parser.add_argument("--format", dest="fmt", choices=("jsonl", "conll", "csv"), default=None,
                        help="format of --data/--dev files (default: from the suffix)")
    parser.add_argument("--scheme", default="bio", help="CoNLL tag scheme: bio, iob1, bioes, "
                                                        "bmes or io")
    parser.add_argument("--dev-limit", type=int, default=100,
                        help="instances of each zero-shot dev dataset in --dev")
    parser.add_argument("--base", default="multilingual-e5-small",
                        help="base encoder for --from scratch")
    parser.add_argument("--encoder-layers", type=int, default=6,
                        help="with --from scratch, keep only the first N encoder layers")
    parser.add_argument("--pretrain-data", default=None,
                        help="generative recipe: stage-1 mixture file (default: built)")
    parser.add_argument("--finetune-data", default=None,
                        help="generative recipe: stage-2 mixture file (default: built)")
    # Every training setting of either backend, passed on only when given.
    seen = {"replay_ratio"}  # set by --replay
    backends = {"compact": TrainingArgs(), "generative": GenerativeArgs()}
    settings = parser.add_argument_group(
        "training settings", "passed on only when given; each applies to the backend(s) named")
    for cls in (TrainingArgs, GenerativeArgs):
        for f in fields(cls):
            if f.name in seen:
                continue
            seen.add(f.name)
            flag = f"--{f.name.replace('_', '-')}"
            default = getattr(cls(), f.name)
            defaults = {backend: getattr(instance, f.name) for backend, instance
                        in backends.items() if hasattr(instance, f.name)}
            if isinstance(default, bool):
                settings.add_argument(flag, action="store_true", default=argparse.SUPPRESS,
                                      help=_setting_help(f.name, defaults))
            else:
                settings.add_argument(flag, type=type(default), default=argparse.SUPPRESS,
                                      metavar=f.name.upper(),
                                      help=_setting_help(f.name, defaults))
    parser.set_defaults(func=run)
    return parser


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    from seqgpt.errors import TrainError
    from seqgpt.train import finetune
    from seqgpt.train.compact import TrainingArgs
    from seqgpt.train.generative import GenerativeArgs

    names = ({f.name for f in fields(TrainingArgs)} if args.backend == "compact"
             else {f.name for f in fields(GenerativeArgs)})
    other = ({f.name for f in fields(TrainingArgs)} | {f.name for f in fields(GenerativeArgs)})
    given = {name: getattr(args, name) for name in other if hasattr(args, name)}
    wrong = sorted(set(given) - names)
    if wrong:
        raise TrainError(f"--{wrong[0].replace('_', '-')} does not apply to the {args.backend} "
                         "backend")
    extra: dict[str, Any] = {}
    if args.backend == "generative" and not args.data:
        stages = {"pretrain": args.pretrain_data, "finetune": args.finetune_data}
        extra["stages"] = {k: v for k, v in stages.items() if v}
    elif args.pretrain_data or args.finetune_data:
        raise TrainError("--pretrain-data/--finetune-data are for the generative two-stage "
                         "recipe (--backend generative without --data)")
    if args.epochs is not None:
        extra["epochs"] = args.epochs
    finetune(args.data, args.out, dev=_split(args.dev), start=args.start, backend=args.backend,
             replay=args.replay, replay_data=args.replay_data, replay_size=args.replay_size,
             resume=args.resume, keep_checkpoint=args.keep_checkpoint, fmt=args.fmt,
             scheme=args.scheme, dev_limit=args.dev_limit, base=args.base,
             encoder_layers=args.encoder_layers, calibrate=args.calibrate, **extra, **given)
    print(args.out)
    return 0
