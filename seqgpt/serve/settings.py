"""Service settings: limits and batching, from defaults, ``SEQGPT_SERVE_*`` variables and flags.

Every limit has one name used everywhere: the dataclass field, the environment variable
(``SEQGPT_SERVE_`` + the upper-cased name), the command-line flag (``--`` + the name with
dashes) and the ``limit`` an error response reports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from seqgpt.types import SeqGPTError

ENV_PREFIX = "SEQGPT_SERVE_"
API_KEY_ENV = "SEQGPT_API_KEY"


@dataclass(frozen=True)
class Settings:
    """What one ``seqgpt serve`` process accepts and how it batches."""

    model: str | None = None  # hub id or folder; None: the embedded default
    host: str = "127.0.0.1"  # loopback unless the operator opens it up
    port: int = 8000
    api_key: str | None = None  # when set, /v1 and /metrics need it
    max_text_chars: int = 10_000  # per text
    max_texts: int = 64  # texts in one request
    max_labels: int = 64  # labels in one request
    max_label_chars: int = 300  # per label (a reading-comprehension question is a label)
    max_body_bytes: int = 1_000_000
    request_timeout_s: float = 30.0  # time a request may wait for its model results
    batch_wait_ms: float = 5.0  # how long a batch stays open for more requests
    max_batch_texts: int = 32  # texts per model call (a request with more runs alone)
    max_pending_texts: int = 4096  # queued texts before new requests get 429
    # texts one composite request may send to the model in all: its texts, then the relation
    # pairs, event triggers or JSON objects they expand to
    max_expanded_texts: int = 2048
    max_composite_requests: int = 16  # composite requests running at once; more get 429
    micro_batching: bool = True  # False: one request per model call (for comparisons)
    # Host header names accepted, comma-separated ("*" or None: any); `seqgpt serve` on a
    # loopback address accepts only loopback names (a DNS-rebinding guard)
    allowed_hosts: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("model", "host", "api_key", "micro_batching", "allowed_hosts"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SeqGPTError(f"serve setting {f.name} must be a number, got {value!r}")
            # batch_wait_ms may be 0 (no waiting); every other limit must be positive.
            if value < 0 or (value == 0 and f.name != "batch_wait_ms"):
                raise SeqGPTError(f"serve setting {f.name} must be positive, got {value!r}")
        if not 0 < self.port < 65536:
            raise SeqGPTError(f"serve setting port must be in 1..65535, got {self.port}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``SEQGPT_SERVE_<NAME>`` and ``SEQGPT_API_KEY``, then ``overrides``
        (flags the user gave; ``None`` means not given)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = API_KEY_ENV if f.name == "api_key" else ENV_PREFIX + f.name.upper()
            if environ.get(name, "") != "":
                values[f.name] = _parse(name, environ[name], f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    def limits(self) -> dict[str, int | float]:
        """The limits a client may want to know (served at ``/v1/limits``)."""
        return {name: getattr(self, name) for name in (
            "max_text_chars", "max_texts", "max_labels", "max_label_chars", "max_body_bytes",
            "request_timeout_s", "max_expanded_texts")}

    def host_names(self) -> frozenset[str] | None:
        """The accepted Host names (lower case, no port), or ``None`` for any."""
        if self.allowed_hosts is None or self.allowed_hosts.strip() in ("", "*"):
            return None
        return frozenset(name.strip().lower().strip("[]")
                         for name in self.allowed_hosts.split(",") if name.strip())


def _parse(name: str, raw: str, kind: Any) -> Any:
    kind = str(kind)
    try:
        if kind.startswith("bool"):
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes")
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise SeqGPTError(f"environment variable {name}={raw!r} is not a valid "
                          f"{kind.split(' ')[0]}") from None
    return raw
