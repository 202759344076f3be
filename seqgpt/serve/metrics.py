"""Prometheus text exposition (format 0.0.4) for the few series the service keeps.

Small enough to write here rather than add a dependency: counters and histograms keyed by
label tuples, rendered on demand. Updates come from the event loop and the model thread, so
each series takes a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Series:
    def __init__(self, name: str, help_text: str, kind: str, label_names: Sequence[str]) -> None:
        self.name, self.help, self.kind = name, help_text, kind
        self.label_names = tuple(label_names)
        self.lock = threading.Lock()

    def _labels(self, values: Sequence[str], extra: str = "") -> str:
        pairs = [f'{k}="{_escape(v)}"' for k, v in zip(self.label_names, values, strict=True)]
        if extra:
            pairs.append(extra)
        return "{" + ",".join(pairs) + "}" if pairs else ""

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Series):
    def __init__(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, "counter", label_names)
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        with self.lock:
            self.values[labels] = self.values.get(labels, 0.0) + amount

    def render(self) -> list[str]:
        with self.lock:
            items = sorted(self.values.items())
        return self.header() + [f"{self.name}{self._labels(k)} {_num(v)}" for k, v in items]


class Gauge(_Series):
    def __init__(self, name: str, help_text: str) -> None:
        super().__init__(name, help_text, "gauge", ())
        self.value = 0.0

    def set(self, value: float) -> None:
        self.value = float(value)

    def render(self) -> list[str]:
        return self.header() + [f"{self.name} {_num(self.value)}"]


class Histogram(_Series):
    def __init__(self, name: str, help_text: str, buckets: Iterable[float],
                 label_names: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, "histogram", label_names)
        self.buckets = sorted(buckets)
        # per label tuple: cumulative-free bucket counts (+Inf last), sum, count
        self.values: dict[tuple[str, ...], tuple[list[int], float, int]] = {}

    def observe(self, value: float, *labels: str) -> None:
        with self.lock:
            counts, total, n = self.values.get(labels) or ([0] * (len(self.buckets) + 1), 0.0, 0)
            index = next((i for i, b in enumerate(self.buckets) if value <= b), len(self.buckets))
            counts[index] += 1
            self.values[labels] = (counts, total + value, n + 1)

    def render(self) -> list[str]:
        with self.lock:
            items = sorted((k, (list(c), s, n)) for k, (c, s, n) in self.values.items())
        lines = self.header()
        for key, (counts, total, n) in items:
            running = 0
            for bound, count in zip([*self.buckets, float("inf")], counts, strict=True):
                running += count
                le = 'le="+Inf"' if bound == float("inf") else f'le="{_num(bound)}"'
                lines.append(f"{self.name}_bucket{self._labels(key, le)} {running}")
            lines.append(f"{self.name}_sum{self._labels(key)} {_num(total)}")
            lines.append(f"{self.name}_count{self._labels(key)} {n}")
        return lines


class Metrics:
    """Every series the service exports."""

    def __init__(self) -> None:
        self.requests = Counter("seqgpt_requests_total",
                                "HTTP requests by route and status code", ("route", "status"))
        self.latency = Histogram(
            "seqgpt_request_duration_seconds", "Time from request to response, by route",
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), ("route",))
        self.texts = Counter("seqgpt_texts_total", "Texts sent to the model, by task", ("task",))
        self.batch_texts = Histogram("seqgpt_batch_texts", "Texts per model call",
                                     (1, 2, 4, 8, 16, 32, 64, 128), ("task",))
        self.batch_requests = Histogram("seqgpt_batch_requests",
                                        "Requests merged into one model call",
                                        (1, 2, 4, 8, 16, 32, 64), ("task",))
        self.model_seconds = Histogram(
            "seqgpt_model_call_seconds", "Duration of one model call, by task",
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), ("task",))
        self.queue = Gauge("seqgpt_queue_texts", "Texts waiting for the model")
        self.ready = Gauge("seqgpt_model_ready", "1 when the model is loaded")

    def render(self) -> str:
        lines: list[str] = []
        for series in (self.requests, self.latency, self.texts, self.batch_texts,
                       self.batch_requests, self.model_seconds, self.queue, self.ready):
            lines += series.render()
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
