"""Few-shot adaptation of the default model on the zero-shot NER sets, and what it costs the rest.

    nice -n 10 python benchmarks/few_shot.py --results runs/few_shot.jsonl       # the table
    python benchmarks/few_shot.py --sets wnut17 --sizes 50 --replay 0.5 --max-steps 2 \\
        --limit 20 --forget-limit 5 --results /tmp/check.jsonl                    # a quick check
    python benchmarks/few_shot.py --epoch --replay 0.5 --results runs/few_shot.jsonl

For every set, size and replay share: sample SIZE sentences of the set's train split (seeded),
fine-tune the default model on them with ``seqgpt.train.finetune`` for a fixed budget
(``--epochs`` passes, at most ``--max-steps`` steps; no dev set, so no early stopping and no
choice made on the reported split), then score it on the set's reported split (``--limit``
sentences, the same sample as before training) and on every other zero-shot dev set
(``--forget-limit`` each): the change there is the forgetting. The default model's own scores
are the ``baseline`` run. Every run appends one JSON line to ``--results``; a rerun skips the
runs already there, so a killed benchmark continues. ``--epoch`` measures one epoch on
``--epoch-size`` sentences (time and the process's peak memory) in a fresh process.
These runs never change the default model: they measure adaptation on data the default model
must not be trained on.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import seqgpt
from seqgpt.data import registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.evaluate.command import load_instances
from seqgpt.evaluate.runner import evaluate, sample
from seqgpt.train import finetune
from seqgpt.train.adapt import training_args
from seqgpt.train.devset import headline

SETS = ("wnut17", "re3d", "gum")


def train_sample(name: str, size: int, seed: int,
                 dev_size: int = 0) -> tuple[list[AtomicInstance], list[AtomicInstance]]:
    """``size`` sentences of the train split (the smaller samples inside the larger ones) and
    ``dev_size`` others of it, from the end of the same shuffled order: a dev set the user
    would have, never the reported split. A train split too small for ``size`` gives all its
    sentences but the dev ones (re3d has 765), and the run records the size it got."""
    found = list(registry.read(name, "train"))
    random.Random(f"few-shot:{seed}:{name}").shuffle(found)
    if dev_size >= len(found):
        raise SystemExit(f"{name} train has {len(found)} sentences, not more than the "
                         f"{dev_size} asked for dev")
    return found[:min(size, len(found) - dev_size)], found[len(found) - dev_size:]


def scores(model: seqgpt.Model, limit: int, forget_limit: int,
           seed: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Headline (F1 / accuracy, in %) per ``dataset (task)`` row of every zero-shot dev set
    (the same seeded sample every time: ``limit`` of the NER sets, ``forget_limit`` of others),
    and precision / recall of the NER sets' rows."""
    out: dict[str, float] = {}
    detail: dict[str, list[float]] = {}
    for name in sorted(registry.ZERO_SHOT_DEV):
        size = limit if name in SETS else forget_limit
        instances = sample(load_instances(name, None), size, seed, name)
        for result in evaluate(model, instances, batch_size=32).results:
            row = f"{result.dataset} ({result.task})"
            out[row] = 100 * headline(result)
            if name in SETS:
                detail[row] = [round(100 * result.precision, 1), round(100 * result.recall, 1)]
    return out, detail


def budget(size: int, replay: float, epochs: float, max_steps: int) -> int:
    steps = training_args({}, scratch=False, replay=replay, n_instances=size, epochs=epochs,
                          has_dev=False).steps
    return min(steps, max_steps)


def adapt(name: str, size: int, replay: float, args: argparse.Namespace,
          replay_file: Path) -> dict[str, object]:
    """One fine-tune and its scores. With ``--dev-size``, the user's dev set (held-out train
    sentences) picks the best epoch, stops early and picks the extraction threshold."""
    data, dev = train_sample(name, size, args.seed, args.dev_size)
    steps = budget(len(data), replay, args.epochs, args.max_steps)
    with tempfile.TemporaryDirectory() as folder:
        started = time.time()
        out = finetune(data, Path(folder) / "model", dev=dev or None, replay=replay,
                       replay_data=replay_file if replay else None,
                       replay_size=args.replay_size, steps=steps, threads=args.threads)
        seconds = time.time() - started
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        kept = json.loads((out / "seqgpt_config.json").read_text(encoding="utf-8"))["card"]
        after, detail = scores(seqgpt.load(out), args.limit, args.forget_limit, args.seed)
    return {"size": len(data), "steps": run["steps"], "kept_step": kept["step"],
            "train_seconds": round(seconds, 1), "scores": after, "precision_recall": detail,
            "threshold": run.get("threshold")}


def epoch(args: argparse.Namespace, replay_file: Path) -> dict[str, object]:
    """One epoch on ``--epoch-size`` wnut17 sentences, in this (fresh) process."""
    data, _ = train_sample("wnut17", args.epoch_size, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        started = time.time()
        finetune(data, Path(folder) / "model", replay=args.replay[0],
                 replay_data=replay_file if args.replay[0] else None,
                 replay_size=args.replay_size, epochs=1, threads=args.threads)
        seconds = time.time() - started
        log = [json.loads(line) for line in (Path(folder) / "model" / "log.jsonl").open()]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    steps = max(r["step"] for r in log)
    return {"run": f"epoch:{args.epoch_size}:replay={args.replay[0]}", "seconds": round(seconds, 1),
            "steps": steps, "peak_rss_mb": round(peak_mb), "threads": args.threads,
            "load_start": _load(), "examples_per_s": [r["examples_per_s"] for r in log
                                                      if "examples_per_s" in r][-1]}


def _load() -> float:
    return round(float(Path("/proc/loadavg").read_text().split()[0]), 2)


def replay_sample(args: argparse.Namespace) -> Path:
    """The replay instances every run shares, built once beside the results file."""
    from seqgpt.train import replay

    path = args.results.with_suffix(".replay.jsonl")
    if not path.is_file():
        instances = replay.build(args.replay_size, args.seed)
        path.write_text("".join(json.dumps(i.to_dict(), ensure_ascii=False) + "\n"
                                for i in instances), encoding="utf-8")
    return path


def table(results: list[dict[str, object]]) -> str:
    base = next((r["scores"] for r in results if r["run"] == "baseline"), None)
    if base is None:
        return "no baseline yet"
    lines = ["| set | sentences | replay | dev | steps (kept) | F1 before | F1 after | change | "
             "forgetting: mean change on the other sets | largest drop |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if not str(r["run"]).startswith("adapt:"):
            continue
        name, after = r["set"], r["scores"]
        row = f"{name} (extract)"
        others = {k: after[k] - base[k] for k in after if not k.startswith(f"{name} (")}
        worst = min(others, key=others.get)
        chosen = (r.get("threshold") or {}).get("chosen", "-")
        dev = f"{r['dev_size']}, threshold {chosen}" if r.get("dev_size") else "-"
        kept = f" ({r['kept_step']})" if r.get("dev_size") else ""
        lines.append(f"| {name} | {r['size']} | {r['replay']} | {dev} | {r['steps']}{kept} "
                     f"| {base[row]:.1f} "
                     f"| {after[row]:.1f} | {after[row] - base[row]:+.1f} | "
                     f"{sum(others.values()) / len(others):+.1f} | "
                     f"{worst} {others[worst]:+.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--sizes", default="50,200,1000")
    parser.add_argument("--replay", default="0.5,0",
                        help="replay shares to compare (comma-separated)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--max-steps", type=int, default=60, help="step budget per run")
    parser.add_argument("--limit", type=int, default=100, help="sentences of the adapted set")
    parser.add_argument("--forget-limit", type=int, default=30,
                        help="instances of each other zero-shot dev set")
    parser.add_argument("--dev-size", type=int, default=0,
                        help="held-out train sentences as the user's dev set (early stopping, "
                             "threshold); 0: none")
    parser.add_argument("--replay-size", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--epoch", action="store_true",
                        help="measure one epoch (first --replay share) in a fresh process")
    parser.add_argument("--epoch-size", type=int, default=1000)
    parser.add_argument("--epoch-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--table", action="store_true", help="only print the table")
    args = parser.parse_args()
    args.replay = [float(x) for x in args.replay.split(",")]
    import torch

    torch.set_num_threads(args.threads)
    done = ([json.loads(line) for line in args.results.open(encoding="utf-8")]
            if args.results.is_file() else [])
    if args.table:
        print(table(done))
        return 0
    replay_file = replay_sample(args) if any(args.replay) else Path()

    def record(result: dict[str, object]) -> None:
        done.append(result)
        with args.results.open("a", encoding="utf-8") as out:
            out.write(json.dumps(result) + "\n")

    if args.epoch_worker:
        print(json.dumps(epoch(args, replay_file)))
        return 0
    if args.epoch:
        # A fresh process, so the peak memory is the epoch's alone.
        worker = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--epoch-worker"],
                                stdout=subprocess.PIPE, text=True, check=True)
        record(json.loads(worker.stdout.strip().splitlines()[-1]))
        print(json.dumps(done[-1]))
        return 0
    keys = {r["run"] for r in done}
    if "baseline" not in keys:
        base, detail = scores(seqgpt.load(), args.limit, args.forget_limit, args.seed)
        record({"run": "baseline", "load_start": _load(), "scores": base,
                "precision_recall": detail})
    for name in args.sets.split(","):
        for size in (int(x) for x in args.sizes.split(",")):
            for share in args.replay:
                key = f"adapt:{name}:{size}:replay={share}" + (
                    f":dev={args.dev_size}" if args.dev_size else "")
                if key in keys:
                    continue
                print(f"== {key}", file=sys.stderr, flush=True)
                started = _load()
                result = adapt(name, size, share, args, replay_file)
                record({"run": key, "set": name, "replay": share,
                        "dev_size": args.dev_size,
                        "load_start": started, "load_end": _load(), **result})
                print(table(done), flush=True)
    print(table(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
