"""Load test of ``seqgpt serve`` on loopback: throughput with micro-batching vs without.

    python benchmarks/serve_load.py                      # 16 clients, 10 s per mode
    python benchmarks/serve_load.py --clients 32 --seconds 20 --json out.json

For each mode (micro-batching on, then ``--no-batching``) it starts ``seqgpt serve`` as a child
process on a free 127.0.0.1 port, waits for /readyz, warms up, then runs N concurrent clients
(one asyncio task each, keep-alive connections) posting /v1/extract for T seconds, and stops
the server. Reported per mode: requests/s, texts/s, p50/p99 latency, errors (any non-200 or
transport error), the server's peak RSS (VmHWM) and its mean texts per model call (from
/metrics); then the throughput ratio. Clients and server share the machine's cores, as on a
single host; the script prints the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

TEXTS = [
    "Tim Cook visited Beijing on Monday to meet officials from Alibaba.",
    "Angela Merkel met Emmanuel Macron in Paris to discuss the budget.",
    "Apple opened a new store in Shanghai last week.",
    "The striker scored twice as Barcelona beat Madrid 3-1.",
    "Satya Nadella said Microsoft would invest in data centres in Sweden.",
    "I flew from Tokyo to Berlin with Lufthansa in March.",
    "Elon Musk announced that Tesla will build a factory near Mexico City.",
    "The Louvre in Paris welcomed nine million visitors in 2023.",
]
LABELS = ["person", "city", "company", "date"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


def start_server(port: int, batching: bool, args: argparse.Namespace) -> subprocess.Popen:
    command = [sys.executable, "-m", "seqgpt.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning",
               "--batch-wait-ms", str(args.batch_wait_ms),
               "--max-batch-texts", str(args.max_batch_texts)]
    if args.model:
        command += ["--model", args.model]
    if not batching:
        command.append("--no-batching")
    env = {**os.environ, "SEQGPT_API_KEY": ""}  # the benchmark sends no key
    return subprocess.Popen(command, env=env)


async def wait_ready(base: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with code {server.returncode}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s")


async def drive(base: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        for i in range(4):  # warm-up: first calls pay one-off costs
            await client.post("/v1/extract", json={"text": TEXTS[i], "labels": LABELS})
        stop = time.perf_counter() + seconds

        async def one_client(index: int) -> None:
            n = index
            while time.perf_counter() < stop:
                body = {"text": TEXTS[n % len(TEXTS)], "labels": LABELS}
                n += clients
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/extract", json=body)
                except httpx.HTTPError as error:
                    errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                    continue
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code),
                                                                   0) + 1
                    continue
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
        metrics = (await client.get("/metrics")).text
    calls = _metric(metrics, r'seqgpt_batch_texts_count\{task="extract"\}')
    texts = _metric(metrics, r'seqgpt_batch_texts_sum\{task="extract"\}')
    ok = len(latencies)
    quantiles = statistics.quantiles(latencies, n=100) if ok >= 2 else [float("nan")] * 99
    return {"requests": ok, "errors": sum(errors.values()), "error_kinds": errors,
            "seconds": elapsed, "requests_per_s": ok / elapsed,
            "p50_ms": 1000 * quantiles[49], "p99_ms": 1000 * quantiles[98],
            "mean_texts_per_model_call": texts / calls if calls else None}


def _metric(text: str, pattern: str) -> float:
    match = re.search(pattern + r" ([0-9.e+-]+)", text)
    return float(match.group(1)) if match else 0.0


def run_mode(batching: bool, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, batching, args)
    try:
        asyncio.run(wait_ready(base, server, args.ready_timeout))
        result = asyncio.run(drive(base, args.clients, args.seconds))
        result["peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each mode")
    parser.add_argument("--model", default=None, help="as seqgpt serve --model")
    parser.add_argument("--batch-wait-ms", type=float, default=5.0)
    parser.add_argument("--max-batch-texts", type=int, default=32)
    parser.add_argument("--ready-timeout", type=float, default=180.0,
                        help="seconds to wait for the model to load")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    load_before = os.getloadavg()
    modes = {"micro-batching": run_mode(True, args), "one request per call": run_mode(False, args)}
    load_after = os.getloadavg()

    print(f"seqgpt serve, /v1/extract, {len(LABELS)} labels, {args.clients} clients, "
          f"{args.seconds:g} s per mode, loopback; {os.cpu_count()} CPUs, load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"{'mode':<22}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'texts/call':>12}{'peak RSS MB':>13}")
    for name, r in modes.items():
        per_call = r["mean_texts_per_model_call"]
        per_call = "n/a" if per_call is None else f"{per_call:.1f}"
        rss = "n/a" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.0f}"
        print(f"{name:<22}{r['requests_per_s']:>8.1f}{r['p50_ms']:>9.0f}{r['p99_ms']:>9.0f}"
              f"{r['errors']:>8}{per_call:>12}{rss:>13}")
        if r["error_kinds"]:
            print(f"  errors: {r['error_kinds']}")
    batched, single = modes["micro-batching"], modes["one request per call"]
    ratio = batched["requests_per_s"] / single["requests_per_s"] if single["requests_per_s"] else 0
    print(f"throughput with micro-batching / without: {ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"modes": modes, "ratio": ratio, "clients": args.clients,
                                         "seconds": args.seconds, "load_before": load_before,
                                         "load_after": load_after}, indent=2))
    return 0 if all(r["errors"] == 0 for r in modes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
