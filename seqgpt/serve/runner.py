"""Composite requests (``/v1/relations``, ``/v1/events`` ...): bounded, interleaved, stoppable.

A composite task is Python code that calls ``extract`` and ``classify`` several times, each call
possibly larger than the request (a relation request classifies every candidate pair). It runs
in a task thread (at most ``max_composite_requests`` at once), against a :class:`Model` whose
backend sends every call through the service's micro-batcher instead of to the model directly:

- each call is *reserved* in full against ``max_pending_texts`` before it is queued, so the
  queue accounts for the expanded work (a full queue: 429 with ``Retry-After``);
- each call is fed in chunks of ``max_batch_texts``, one after the other, so a plain
  ``/v1/extract`` that arrives during a flood waits for one chunk per running request, not
  for all of their work;
- a request may send at most ``max_expanded_texts`` texts in all (422 naming the limit);
- when the request times out or its client goes away, the run is cancelled: the queued chunk
  is dropped and the task thread stops at its next model call. Only the chunk already in the
  model thread finishes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, cast

from seqgpt.api import Model
from seqgpt.serve.batcher import MicroBatcher, Overloaded
from seqgpt.serve.errors import ApiError, limit_error
from seqgpt.serve.settings import Settings


class Cancelled(Exception):
    """The request this run serves is over (timed out, or its client left)."""


class CompositeRunner:
    def __init__(self, settings: Settings, batcher: MicroBatcher) -> None:
        self.settings, self.batcher = settings, batcher
        self.active: set[_Run] = set()  # runs whose task thread has not finished
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                self.settings.max_composite_requests, thread_name_prefix="seqgpt-task")
        return self._executor

    def start(self, name: str, call: Callable[[Model], Any], model: Model,
              first_texts: int) -> tuple[_Run, asyncio.Future[Any]]:
        """Start ``call(model')`` in a task thread; ``model'`` routes through the batcher.
        Refused with 429 when ``max_composite_requests`` run already or the queue has no room
        for the request's own texts (``first_texts``)."""
        if len(self.active) >= self.settings.max_composite_requests:
            raise ApiError(429, "overloaded", "too many composite requests are running; retry "
                           "shortly", limit="max_composite_requests",
                           maximum=self.settings.max_composite_requests,
                           headers={"Retry-After": "1"})
        if not self.batcher.has_room(first_texts):
            raise overloaded(self.settings)
        loop = asyncio.get_running_loop()
        run = _Run(self, loop, name)
        self.active.add(run)
        future = self._pool().submit(run.execute, call, Model(_BatchedBackend(run, model)))

        def finished(_: concurrent.futures.Future[Any]) -> None:
            # Directly from the task thread (a set's discard is atomic under the GIL): a
            # discard scheduled on the loop never ran when the loop had stopped but was not
            # yet closed, and the run stayed counted as active.
            self.active.discard(run)

        future.add_done_callback(finished)
        return run, asyncio.wrap_future(future)

    async def batched(self, run: _Run, task: str, texts: list[str], labels: list[str],
                      options: dict[str, Any]) -> list[Any]:
        """One model call of a run: reserved in full, then queued chunk by chunk."""
        self.batcher.reserve(len(texts))
        left = len(texts)
        results: list[Any] = []
        step = self.settings.max_batch_texts
        try:
            for start in range(0, len(texts), step):
                part = texts[start:start + step]
                left -= len(part)
                results += await self.batcher.submit(task, part, labels, options, reserved=True)
        finally:
            self.batcher.release(left)
        return results

    def close(self) -> None:
        for run in list(self.active):
            run.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class _Run:
    """One composite request: counts what it sends, and can be cancelled from the loop."""

    def __init__(self, runner: CompositeRunner, loop: asyncio.AbstractEventLoop,
                 name: str) -> None:
        self.runner, self.loop, self.name = runner, loop, name
        self.sent = 0
        self.cancelled = threading.Event()
        self._current: concurrent.futures.Future[list[Any]] | None = None
        self._lock = threading.Lock()

    def execute(self, call: Callable[[Model], Any], model: Model) -> Any:
        if self.cancelled.is_set():
            raise Cancelled
        return call(model)

    def model_call(self, task: str, texts: list[str], labels: list[str],
                   options: dict[str, Any]) -> list[Any]:
        """Runs in the task thread: hand one call to the loop and wait for its results."""
        self.count(len(texts))
        with self._lock:
            if self.cancelled.is_set():
                raise Cancelled
            self._current = asyncio.run_coroutine_threadsafe(
                self.runner.batched(self, task, texts, labels, options), self.loop)
        try:
            return self._current.result()
        except concurrent.futures.CancelledError:
            raise Cancelled from None
        finally:
            self._current = None

    def count(self, texts: int) -> None:
        """Add ``texts`` to what this request sent the model: past ``max_expanded_texts`` the
        request is refused; a cancelled one stops here."""
        limit = self.runner.settings.max_expanded_texts
        self.sent += texts
        if self.sent > limit:
            raise limit_error("body", "max_expanded_texts", limit,
                              f"this {self.name} request expands to more than {limit:,} texts "
                              "for the model (its texts, then entity pairs, event triggers or "
                              "objects); send fewer texts (or, for relations, a lower "
                              "max_pairs)")
        if self.cancelled.is_set():
            raise Cancelled

    def cancel(self) -> None:
        """Stop at the next model call; drop the queued chunk of the current one."""
        with self._lock:
            self.cancelled.set()
            current = self._current
        if current is not None:
            current.cancel()


class _BatchedBackend:
    """A backend whose calls go through the batcher; it answers for the real one otherwise
    (its ``name``, ``options``, sentence encoders and answer reader, which tasks read to choose
    what to ask for)."""

    def __init__(self, run: _Run, model: Model) -> None:
        self.run = run
        self.name = model.backend.name
        self.options = getattr(model.backend, "options", None)
        self._backend = model.backend

    @property
    def similarity(self) -> Any:
        """The real backend's sentence encoder, if it has one (``answer`` ranks a context's
        sentences with it, in the request's thread): loaded on first use, as there."""
        return getattr(self._backend, "similarity", None)

    @property
    def minilm(self) -> Any:
        """The real backend's English sentence encoder, if it has one (``answer`` ranks an
        English review's clauses with it), so the service answers as the library does."""
        return getattr(self._backend, "minilm", None)

    @property
    def qa(self) -> Any:
        """The real backend's answer reader, which ``answer`` also asks to read each clause of
        an English review as the answer (in the request's thread, as :meth:`read`)."""
        return getattr(self._backend, "qa", None)

    @property
    def reads_answers(self) -> bool:
        """Whether the real backend has an answer reader (``answer`` then calls :meth:`read`)."""
        return bool(getattr(self._backend, "reads_answers", False))

    def read(self, questions: list[str], contexts: list[str], **options: Any) -> list[Any]:
        """The real backend's answer reader, in the request's thread as the sentence encoder:
        each question comes with its own context, which the batcher's chunks (one label set
        for all their texts) cannot carry. Counted and cancellable as the batched calls."""
        self.run.count(len(contexts))
        backend: Any = self._backend
        return cast(list[Any], backend.read(questions, contexts, **options))

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Any]:
        return self.run.model_call("extract", texts, labels, options)

    def classify(self, texts: list[str], labels: list[str], **options: Any) -> list[Any]:
        return self.run.model_call("classify", texts, labels, options)


def overloaded(settings: Settings) -> ApiError:
    return ApiError(429, "overloaded", "too many texts are waiting for the model; retry "
                    "shortly", limit="max_pending_texts", maximum=settings.max_pending_texts,
                    headers={"Retry-After": "1"})


__all__ = ["Cancelled", "CompositeRunner", "Overloaded", "overloaded"]
