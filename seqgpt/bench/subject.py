"""The model ``seqgpt bench`` measures: the one asked for, else the embedded default, else the
default architecture with untrained heads; and the statements that load it in a fresh process."""

from __future__ import annotations

import json

import seqgpt
from seqgpt import api
from seqgpt.api import Model
from seqgpt.backends.compact import CONFIG, CompactBackend, build
from seqgpt.errors import ModelNotFoundError, SeqGPTError
from seqgpt.model.spans import SpanModelConfig

DEFAULT_ENCODER_LAYERS = 5  # the shipped model's depth, if its config cannot be read


def compact_backend(nlu: Model) -> CompactBackend:
    """``nlu``'s backend, which must be a compact one."""
    if not isinstance(nlu.backend, CompactBackend):
        raise SeqGPTError(f"seqgpt bench measures a compact model; {nlu!r} is not one (the "
                          "generative architecture is measured as the BLOOM-560M reference)")
    return nlu.backend


def untrained_default() -> Model:
    """The default model's architecture with untrained heads: the trained one's cost, except
    for extract's decoding of the pairs over the threshold (see
    :func:`seqgpt.bench.timing.candidates_per_text`)."""
    config = default_architecture()
    model = build(config)
    return Model(CompactBackend(model, model.tokenizer, f"untrained compact "
                                f"({config.base_encoder}, {config.encoder_layers} layers)"))


def default_architecture() -> SpanModelConfig:
    """The shipped default model's architecture, read from its config so the untrained
    stand-in always costs what the shipped model costs."""
    try:
        return SpanModelConfig.from_dict(
            json.loads((api.DEFAULT_MODEL / CONFIG).read_text("utf-8"))["model"])
    except (OSError, ValueError, KeyError, TypeError):  # no shipped model: the same recipe
        return SpanModelConfig(encoder_layers=DEFAULT_ENCODER_LAYERS)


def load_code(name: str | None, untrained: bool = False) -> str:
    """The statements :func:`load_model` will return for these arguments when the model
    loads, known before anything is loaded."""
    if untrained:
        return _UNTRAINED_CODE
    return f"nlu = seqgpt.load({name!r})" if name else "nlu = seqgpt.load()"


def load_model(name: str | None, untrained: bool = False) -> tuple[Model, str, str]:
    """The model to measure, what to call it, and the statements that load it as ``nlu``:
    ``name``, else the embedded default, else (or with ``untrained``) its untrained
    architecture."""
    if untrained:
        return _untrained("asked for with --untrained")
    if name:
        return seqgpt.load(name), name, load_code(name)
    try:
        nlu = seqgpt.load()
        return nlu, f"embedded default ({nlu.backend.name})", load_code(None)
    except ModelNotFoundError:
        return _untrained("the embedded default model did not load")


def _untrained(why: str) -> tuple[Model, str, str]:
    return (untrained_default(),
            f"untrained default architecture: build(default_architecture()), "
            f"random heads ({why})", _UNTRAINED_CODE)


_UNTRAINED_CODE = "from seqgpt.bench import untrained_default\nnlu = untrained_default()"
