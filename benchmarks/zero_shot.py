"""Zero-shot dev table: a model beside the untrained baseline, measured in the same run.

    python benchmarks/zero_shot.py --limit 200                 # the embedded default model
    python benchmarks/zero_shot.py --model runs/default/best --limit 100 --json out.json
    python benchmarks/zero_shot.py --model runs/new/best --previous runs/shipped --limit 200
    python benchmarks/zero_shot.py --model runs/new --previous default --split selection \
        --baseline none                                      # choose between models here
    python benchmarks/zero_shot.py --previous default --previous-code 8d82c22 --limit 200
                                    # a change of code: the previous model runs on its own code

Each zero-shot dev dataset (never trained on) is scored on the split the project reports
(test, else dev), ``--limit`` seeded instances per dataset and task; ``--split selection``
scores the selection splits instead (``seqgpt.train.devset.selection_split``: never the
reported instances), where checkpoints and options are chosen; one headline number per
row: entity micro-F1 for extraction, accuracy for classification. Reading-comprehension sets
are also scored as the answer task (``Model.answer``, as ``seqgpt eval-tasks`` does, the same
seeded questions): token F1, or on answerable questions where some are unanswerable (the
``(answer)`` rows). A trained-on dataset (conll2003 test) is added as the held-in sanity check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import seqgpt
from seqgpt.data import registry
from seqgpt.data.registry import ZERO_SHOT_DEV
from seqgpt.evaluate.command import load_instances
from seqgpt.evaluate.runner import evaluate, sample
from seqgpt.evaluate.tasks import evaluate_dataset
from seqgpt.train.devset import headline, selection_instances, selection_split

HELD_IN = ("conll2003",)


def score(model: seqgpt.Model, names: list[str], limit: int, seed: int,
          selection: bool = False) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name in names:
        select = selection and registry.get(name).zero_shot_dev
        instances = selection_instances([name], limit, seed) if select \
            else sample(load_instances(name, None), limit, seed, name)
        started = time.time()
        for result in evaluate(model, instances, batch_size=32).results:
            scores[f"{result.dataset} ({result.task})"] = 100 * headline(result)
        if registry.get(name).kind == "mrc":
            split = selection_split(name) if select else None
            answered = evaluate_dataset(model, name, split=split, limit=limit, seed=seed).scores
            scores[f"{name} (answer)"] = 100 * answered.get("answerable token F1",
                                                            answered["token F1"])
        print(f"  {name}: {len(instances)} instances, {time.time() - started:.0f} s",
              file=sys.stderr)
    return scores


def scored_by_revision(revision: str, model: str | None, names: list[str],
                       args: argparse.Namespace) -> dict[str, float]:
    """``model``'s scores (``None``: that revision's embedded default) by the code of git
    ``revision``: this script, run from a temporary worktree of it in a subprocess, with the
    same data, instances and settings. A change of code cannot reproduce the previous model
    in this process, yet the table should still set the two side by side in one run."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        tree, scores = Path(folder) / "tree", Path(folder) / "scores.json"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-q", str(tree),
                        revision], check=True)
        try:
            command = [sys.executable, str(tree / "benchmarks" / "zero_shot.py"),
                       "--baseline", "none", "--data", ",".join(names), "--split", args.split,
                       "--limit", str(args.limit), "--seed", str(args.seed),
                       "--json", str(scores)]
            if model:
                command += ["--model", str(Path(model).resolve())]
            env = {**os.environ, "PYTHONPATH": str(tree),
                   "SEQGPT_DATA": str(registry.data_root())}
            subprocess.run(command, check=True, cwd=tree, env=env)
            return json.loads(scores.read_text(encoding="utf-8"))["model"]
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)],
                           check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="default: the embedded default model")
    parser.add_argument("--baseline", default="baseline:multilingual-e5-small",
                        help="the untrained baseline ('none': leave it out)")
    parser.add_argument("--previous", default=None,
                        help="another model (e.g. the one shipped before; 'default': the "
                        "embedded default) scored in the same run")
    parser.add_argument("--previous-code", default=None, metavar="REV",
                        help="run --previous with the code of git revision REV (a temporary "
                        "worktree, in a subprocess of this run): for a change of code that "
                        "this code cannot reproduce the previous model with")
    parser.add_argument("--split", choices=("report", "selection"), default="report",
                        help="report: the splits the project reports (default); selection: "
                        "the zero-shot sets' selection splits, where models and options are "
                        "chosen (the held-in row stays conll2003 test)")
    parser.add_argument("--data", default=",".join(sorted(ZERO_SHOT_DEV)))
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    if args.previous_code and not args.previous:
        parser.error("--previous-code needs --previous (the model to run with that code)")
    names = [n for n in args.data.split(",") if n]
    table: dict = {"settings": {"limit": args.limit, "seed": args.seed, "data": names,
                                "split": args.split, "date": time.strftime("%Y-%m-%d")}}
    runs = [("model", args.model)]
    if args.baseline != "none":
        runs.append(("baseline", args.baseline))
    if args.previous:
        runs.append(("previous", None if args.previous == "default" else args.previous))
    titles = [title for title, _ in runs]
    for title, name in runs:
        print(f"{title}: {name or 'embedded default'}", file=sys.stderr)
        if title == "previous" and args.previous_code:
            table[title] = scored_by_revision(args.previous_code, name, names, args)
            continue
        model = seqgpt.load(name)
        table[title] = score(model, names + list(HELD_IN), args.limit, args.seed,
                             selection=args.split == "selection")
    rows = sorted(table["model"])
    zero_shot = [r for r in rows if not r.startswith(HELD_IN)]
    print(f"{'dataset (task)':45}" + "".join(f" {t:>9}" for t in titles))
    for row in rows:
        print(f"{row:45}" + "".join(f" {table[t].get(row, float('nan')):9.1f}" for t in titles))
    for title in titles:
        table[f"{title}_zero_shot_average"] = (
            sum(table[title][r] for r in zero_shot) / len(zero_shot))
    print(f"{'zero-shot average':45}"
          + "".join(f" {table[f'{t}_zero_shot_average']:9.1f}" for t in titles))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(table, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
