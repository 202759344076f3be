"""Throughput of ``seqgpt annotate`` on real sentences: 1 worker, 2 workers, Ray local.

    python benchmarks/annotate_throughput.py                    # 10,000 CoNLL-2003 sentences
    python benchmarks/annotate_throughput.py --sentences 2000 --runs 1,2 --json out.json
    python benchmarks/annotate_throughput.py --sentences 1000 --kills 3   # resume evidence

The corpus is read from the shared data with the project's readers (never copied into the
repository) and written to a temporary folder as JSON Lines. Each configuration runs the real
command (``python -m seqgpt.cli annotate ...``) as a child process on the same corpus with the
same labels. Reported per run: wall time, sentences/s over the whole run, start-up (process
start to the first output line: imports, model loads, Ray start) and the steady rate after it;
then whether every run wrote the same records in input order and how often their spans agree.
The machine's load average before/after and the share of CPU other processes used during each
run are printed too: on a shared machine the absolute numbers are slower than on idle cores.
Sentences per CPU second (the command's and its worker processes' user + system time) is less
sensitive to that contention; Ray's actors are not children of the command, so it is not given
for Ray.

``--kills N`` measures nothing: it runs a one-worker job once, then the same job again killed
with SIGKILL N times at random moments (each time after it committed at least one more chunk)
and resumed, and compares the two outputs byte for byte (every run on one torch thread, so every
run adds in the same order).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LABELS = "person,location,organization"
RUNS = {"1": ["--workers", "1"], "2": ["--workers", "2"],
        "ray": ["--engine", "ray", "--workers", "2"]}


def corpus(size: int, dataset: str, split: str) -> list[str]:
    """The first ``size`` distinct sentences of a dataset split."""
    from seqgpt.data import registry

    seen: dict[str, None] = {}
    for instance in registry.read(dataset, split):
        seen.setdefault(instance.text, None)
        if len(seen) == size:
            return list(seen)
    raise SystemExit(f"{dataset}/{split} has only {len(seen)} distinct sentences; "
                     f"ask for fewer with --sentences")


def busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def child_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(name: str, source: Path, folder: Path, n: int) -> dict[str, Any]:
    out = folder / f"out-{name}.jsonl"
    command = [sys.executable, "-m", "seqgpt.cli", "annotate", str(source), "-o", str(out),
               "--task", "extract", "--labels", LABELS, "--no-progress", *RUNS[name]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    busy, ours = busy_seconds(), child_seconds()
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    first = first_lines = None
    while child.poll() is None:
        if first is None and out.exists() and out.stat().st_size:
            first = time.perf_counter() - start
            first_lines = out.read_bytes().count(b"\n")
        time.sleep(0.2)
    wall = time.perf_counter() - start
    stderr = child.stderr.read() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}):\n{stderr[-2000:]}")
    cpu = child_seconds() - ours
    others = None
    if busy is not None:
        spent = (busy_seconds() - busy) - cpu
        others = round(min(1.0, max(0.0, spent / (wall * (os.cpu_count() or 1)))), 3)
    report = {"run": name, "command": " ".join(["seqgpt", *command[3:]]), "sentences": n,
              "wall_s": round(wall, 1), "sentences_per_s": round(n / wall, 1),
              "others_cpu_share": others}
    if name != "ray":
        report["cpu_s"] = round(cpu, 1)
        report["sentences_per_cpu_s"] = round(n / cpu, 1)
    if first is not None and first_lines is not None and wall > first:
        report["startup_s"] = round(first, 1)
        report["steady_sentences_per_s"] = round((n - first_lines) / (wall - first), 1)
    report["summary"] = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return report


def resume_check(source: Path, folder: Path, kills: int, seed: int) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "seqgpt.cli", "annotate", str(source), "-o", str(out),
                "--task", "extract", "--labels", LABELS, "--no-progress", "--chunk-size", "32"]

    def committed(checkpoint: Path) -> int:
        return json.loads(checkpoint.read_text())["records"] if checkpoint.exists() else 0

    once, out = folder / "once.jsonl", folder / "killed.jsonl"
    checkpoint = Path(f"{out}.checkpoint.json")
    subprocess.run(command(once), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    draw = random.Random(seed)
    events = []
    for _ in range(kills):
        before = committed(checkpoint)
        child = subprocess.Popen(command(out), env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        while child.poll() is None and committed(checkpoint) <= before:
            time.sleep(0.05)
        time.sleep(draw.uniform(0.0, 3.0))
        if child.poll() is not None:
            events.append({"finished_before_the_kill": True})
            break
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        state = json.loads(checkpoint.read_text())
        data = out.read_bytes()
        events.append({"checkpoint_records": state["records"],
                       "checkpoint_output_bytes": state["output_bytes"],
                       "output_bytes_at_kill": len(data),
                       "lines_after_checkpoint": data[state["output_bytes"]:].count(b"\n"),
                       "ends_mid_line": bool(data) and not data.endswith(b"\n")})
        print(json.dumps(events[-1]), flush=True)
    subprocess.run(command(out), env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return {"kills": events, "records": once.read_bytes().count(b"\n"),
            "identical_to_one_shot": out.read_bytes() == once.read_bytes()}


def spans(path: Path) -> list[tuple[str, list[tuple[str, int, int]]]]:
    rows = map(json.loads, path.read_text(encoding="utf-8").splitlines())
    return [(r["text"], [(s["label"], s["start"], s["end"]) for s in r["result"]["spans"]])
            for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--data", default="conll2003:train", help="dataset:split to read")
    parser.add_argument("--runs", default="1,2,ray", help="comma-separated: 1, 2, ray")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--kills", type=int, default=0,
                        help="instead: kill -9 and resume a job N times, compare with one shot")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    args = parser.parse_args()
    names = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = [r for r in names if r not in RUNS]
    if unknown:
        raise SystemExit(f"unknown run {unknown[0]!r}; choose from {', '.join(RUNS)}")
    dataset, _, split = args.data.partition(":")
    texts = corpus(args.sentences, dataset, split or "train")
    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="annotate-throughput-") as tmp:
        folder = Path(tmp)
        source = folder / "corpus.jsonl"
        source.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                  for i, t in enumerate(texts)), encoding="utf-8")
        if args.kills:
            print(json.dumps(resume_check(source, folder, args.kills, args.seed)))
            return
        for name in names:
            results.append(run(name, source, folder, len(texts)))
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
        outputs = {name: spans(folder / f"out-{name}.jsonl") for name in names}
    reference = outputs[names[0]]
    for result in results:
        got = outputs[result["run"]]
        result["input_order"] = [text for text, _ in got] == texts
        result["same_spans_as_first_run"] = round(
            sum(a == b for a, b in zip(got, reference, strict=True)) / len(texts), 4)
    load_after = os.getloadavg()
    summary = {"corpus": f"{len(texts)} distinct sentences of {dataset}/{split or 'train'}",
               "labels": LABELS, "cores": os.cpu_count(),
               "load_average_before": [round(v, 2) for v in load_before],
               "load_average_after": [round(v, 2) for v in load_after], "runs": results}
    print(f"\ncorpus: {summary['corpus']}; labels {LABELS}; {os.cpu_count()} cores; load "
          f"average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"{'run':>5} {'wall s':>8} {'sent/s':>8} {'start s':>8} {'steady/s':>9} "
          f"{'sent/cpu-s':>10} {'others':>7} {'order':>6} {'same':>6}")
    for r in results:
        others = r["others_cpu_share"]
        print(f"{r['run']:>5} {r['wall_s']:>8} {r['sentences_per_s']:>8} "
              f"{r.get('startup_s', '-'):>8} {r.get('steady_sentences_per_s', '-'):>9} "
              f"{r.get('sentences_per_cpu_s', '-'):>10} {others if others is not None else '-':>7} "
              f"{str(r['input_order']):>6} {r['same_spans_as_first_run']:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
