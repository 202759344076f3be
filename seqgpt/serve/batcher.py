"""Micro-batching: concurrent requests with the same task, labels and options share one model call.

A request's texts join a queue; a drain task (started on demand, so it always lives on the
running event loop) waits up to ``batch_wait_ms`` after the oldest queued request, or until
``max_batch_texts`` texts are queued, takes the jobs, groups them by (task, labels, options)
and runs each group as one model call in the model thread. Results are split back per request
in order. The event loop never runs the model; the model thread runs one call at a time, and
requests that arrive during a call form the next batch, so batches grow with load.

Capacity: ``max_pending_texts`` bounds the texts queued plus the texts *reserved*. A composite
request reserves each expanded model call (all of a relation request's pairs, say) before it
feeds it in chunks (:meth:`MicroBatcher.reserve`, then ``submit(..., reserved=True)`` per
chunk), so the work it has been admitted for counts in full while other requests' chunks
interleave with its own.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from seqgpt.serve.metrics import Metrics

#: ``run(task, texts, labels, options) -> one result per text``; runs in the model thread.
Runner = Callable[[str, list[str], list[str], dict[str, Any]], list[Any]]


class Overloaded(Exception):
    """More texts are queued than ``max_pending_texts``."""


@dataclass
class _Job:
    key: Hashable
    task: str
    texts: list[str]
    labels: list[str]
    options: dict[str, Any]
    future: asyncio.Future[list[Any]]
    queued_at: float = field(default_factory=time.monotonic)


class MicroBatcher:
    def __init__(self, run: Runner, executor: Callable[[], Executor], metrics: Metrics, *,
                 max_batch_texts: int, batch_wait_ms: float, max_pending_texts: int,
                 enabled: bool = True) -> None:
        self.run, self.executor, self.metrics = run, executor, metrics
        self.max_batch_texts = max_batch_texts
        self.wait_s = batch_wait_ms / 1000
        self.max_pending_texts = max_pending_texts
        self.enabled = enabled
        self.queue: deque[_Job] = deque()
        self.pending_texts = 0  # queued
        self.reserved_texts = 0  # admitted for composite requests, not queued yet
        self._drain_task: asyncio.Task[None] | None = None
        self._batch_full: asyncio.Future[None] | None = None

    def has_room(self, texts: int) -> bool:
        return self.pending_texts + self.reserved_texts + texts <= self.max_pending_texts

    def reserve(self, texts: int) -> None:
        """Admit ``texts`` texts of work to be submitted later (``Overloaded`` if full)."""
        if not self.has_room(texts):
            raise Overloaded
        self.reserved_texts += texts
        self.metrics.queue.set(self.pending_texts + self.reserved_texts)

    def release(self, texts: int) -> None:
        """Give back a reservation that will not be submitted."""
        self.reserved_texts -= texts
        self.metrics.queue.set(self.pending_texts + self.reserved_texts)

    async def submit(self, task: str, texts: list[str], labels: list[str],
                     options: dict[str, Any], *, reserved: bool = False) -> list[Any]:
        """One result per text, in order. Cancelling the caller drops the job if not started.
        ``reserved``: the texts were admitted by :meth:`reserve` (the reservation becomes the
        queued job, with no second capacity check)."""
        if reserved:
            self.reserved_texts -= len(texts)
        elif not self.has_room(len(texts)):
            raise Overloaded
        loop = asyncio.get_running_loop()
        key = (task, tuple(labels), tuple(sorted(options.items())))
        job = _Job(key, task, texts, labels, options, loop.create_future())
        self.queue.append(job)
        self._count(len(texts))
        if self._batch_full and self.pending_texts >= self.max_batch_texts:
            _resolve(self._batch_full)
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = loop.create_task(self._drain())
        return await job.future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self.queue:
            delay = self.queue[0].queued_at + self.wait_s - time.monotonic()
            if self.enabled and delay > 0 and self.pending_texts < self.max_batch_texts:
                self._batch_full = loop.create_future()
                await asyncio.wait([self._batch_full], timeout=delay)
                self._batch_full = None
            for jobs in self._take().values():
                await self._run_group(jobs)

    def _take(self) -> dict[Hashable, list[_Job]]:
        """The next batch, grouped by key (the oldest job always goes, even if it is big)."""
        groups: dict[Hashable, list[_Job]] = {}
        taken = 0
        while self.queue and (taken == 0 or (
                self.enabled and taken + len(self.queue[0].texts) <= self.max_batch_texts)):
            job = self.queue.popleft()
            self._count(-len(job.texts))
            if job.future.done():  # the caller timed out or went away while queued
                continue
            taken += len(job.texts)
            groups.setdefault(job.key, []).append(job)
        return groups

    async def _run_group(self, jobs: list[_Job]) -> None:
        first = jobs[0]
        texts = [text for job in jobs for text in job.texts]
        started = time.perf_counter()
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self.executor(), self.run, first.task, texts, first.labels, first.options)
        except Exception as error:  # noqa: BLE001 - every waiting request gets the error
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(error)
            return
        self.metrics.model_seconds.observe(time.perf_counter() - started, first.task)
        self.metrics.batch_texts.observe(len(texts), first.task)
        self.metrics.batch_requests.observe(len(jobs), first.task)
        self.metrics.texts.inc(first.task, amount=len(texts))
        offset = 0
        for job in jobs:
            part = results[offset:offset + len(job.texts)]
            offset += len(job.texts)
            if not job.future.done():
                job.future.set_result(part)

    def _count(self, delta: int) -> None:
        self.pending_texts += delta
        self.metrics.queue.set(self.pending_texts + self.reserved_texts)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
