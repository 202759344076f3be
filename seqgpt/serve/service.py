"""The service behind one application: the model, its thread, the batcher, the composite runner
and the metrics, and the two ways a request reaches the model.

The model lives in one worker thread (calls are serialised; torch parallelises inside a call);
the event loop only parses, checks and serialises. Every request waits for its results at most
``request_timeout_s`` (then 408) and only while its client is still connected; either way the
work it queued is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.requests import Request

from seqgpt.api import DEFAULT_MODEL, Model
from seqgpt.serve import composite, validation
from seqgpt.serve.batcher import MicroBatcher, Overloaded
from seqgpt.serve.errors import ApiError
from seqgpt.serve.metrics import Metrics
from seqgpt.serve.runner import CompositeRunner, overloaded
from seqgpt.serve.schemas import AtomicRequest
from seqgpt.serve.settings import Settings

log = logging.getLogger("seqgpt.serve")

#: How often a waiting request checks whether its client is still there.
DISCONNECT_POLL_S = 0.25


class Service:
    def __init__(self, settings: Settings, model: Model | None,
                 loader: Callable[[], Model] | None,
                 on_load_error: Callable[[BaseException], None] | None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.model = model
        self.load_error: str | None = None
        self.loader = loader or self._load_default
        self.on_load_error = on_load_error
        self._executor: ThreadPoolExecutor | None = None
        self.batcher = MicroBatcher(
            self._run, self.executor, self.metrics, max_batch_texts=settings.max_batch_texts,
            batch_wait_ms=settings.batch_wait_ms, max_pending_texts=settings.max_pending_texts,
            enabled=settings.micro_batching)
        self.runner = CompositeRunner(settings, self.batcher)
        self.metrics.ready.set(model is not None)

    def _load_default(self) -> Model:
        import seqgpt

        return seqgpt.load(self.settings.model)

    def executor(self) -> ThreadPoolExecutor:
        """The model thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="seqgpt-model")
        return self._executor

    async def load(self) -> None:
        try:
            model = await asyncio.get_running_loop().run_in_executor(self.executor(), self.loader)
        except Exception as error:  # noqa: BLE001 - reported by /readyz and on_load_error
            self.load_error = f"{type(error).__name__}: {error}"
            if self.on_load_error:
                self.on_load_error(error)
            else:
                log.error("seqgpt serve: could not load the model: %s", self.load_error)
            return
        self.model = model
        self.metrics.ready.set(1)
        log.info("seqgpt serve: model %s ready", self.model_name)

    def close(self) -> None:
        self.runner.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    @property
    def model_name(self) -> str:
        if self.settings.model:
            return self.settings.model
        name = str(getattr(getattr(self.model, "backend", None), "name", "model"))
        return "default" if name == str(DEFAULT_MODEL) else name

    def require_model(self) -> Model:
        if self.model is not None:
            return self.model
        if self.load_error:
            raise ApiError(503, "model_failed", f"the model failed to load: {self.load_error}")
        raise ApiError(503, "not_ready", "the model is still loading; retry shortly",
                       headers={"Retry-After": "2"})

    def _run(self, task: str, texts: list[str], labels: list[str],
             options: dict[str, Any]) -> list[Any]:
        model = self.require_model()
        call = model.extract if task == "extract" else model.classify
        return call(texts, labels, **options)

    # ------------------------------------------------------------------ requests
    async def atomic(self, task: str, body: AtomicRequest,
                     request: Request | None = None) -> dict[str, Any]:
        validation.check_unicode(body)
        texts = validation.check_texts(body.text, "text", self.settings)
        labels = validation.check_labels(body.labels, "labels", self.settings)
        options = composite.options_of(body.threshold, body.options)
        self.require_model()
        try:
            results = await self.bounded(self.batcher.submit(task, texts, labels, options),
                                         request)
        except Overloaded:
            raise overloaded(self.settings) from None
        return {"model": self.model_name, "results": [
            {**result.to_dict(), "answer": result.to_seqgpt()} for result in results]}

    async def composite(self, task: composite.CompositeTask, body: Any,
                        request: Request | None = None) -> dict[str, Any]:
        validation.check_unicode(body)
        validation.composite_limits(task.text_fields, task.label_fields, body, self.settings)
        model = self.require_model()
        arguments = task.arguments(body)
        texts = sum(len(_as_list(getattr(body, name))) for name in task.text_fields)
        run, future = self.runner.start(
            task.name, lambda proxy: getattr(proxy, task.name)(**arguments), model, texts)
        try:
            result = await self.bounded(future, request)
        except Overloaded:
            raise overloaded(self.settings) from None
        finally:
            run.cancel()  # a no-op once it is done; otherwise it stops at its next model call
        return {"model": self.model_name, "result": _plain(result)}

    async def bounded(self, awaitable: Awaitable[Any], request: Request | None) -> Any:
        """``awaitable``'s result, within ``request_timeout_s`` and while the client waits;
        otherwise it is cancelled (408, or 499 for a client that went away)."""
        work = asyncio.ensure_future(awaitable)
        watch = asyncio.ensure_future(_gone(request)) if request is not None else None
        timeout = self.settings.request_timeout_s
        try:
            done, _ = await asyncio.wait([w for w in (work, watch) if w is not None],
                                         timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if watch is not None:
                watch.cancel()
        if work in done:
            return work.result()
        work.cancel()
        work.add_done_callback(_consume)
        if watch is not None and watch in done:
            raise ApiError(499, "client_closed_request", "the client closed the connection; "
                           "its work was dropped")
        raise ApiError(408, "timeout", f"no result within {timeout:g} s; send fewer or "
                       "shorter texts, or raise the limit", limit="request_timeout_s",
                       maximum=timeout)


async def _gone(request: Request) -> None:
    """Returns once the client has disconnected."""
    while not await request.is_disconnected():
        await asyncio.sleep(DISCONNECT_POLL_S)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # retrieved, so asyncio does not log it as lost


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value)


def _plain(value: Any) -> Any:
    """A task result as JSON values: typed results by their ``to_dict``, lists item by item."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
