"""The errors seqgpt raises: one hierarchy under :class:`SeqGPTError`.

``SeqGPTError`` is a ``ValueError``: every error here means the input or the request cannot be
carried out as given (a bad label set, a missing model, a training run that cannot start), and
its message names the field, file or option at fault. ``except seqgpt.SeqGPTError`` catches
them all; the command line turns them into ``seqgpt <command>: error: ...`` and exit status 2.

This module imports nothing, so every other module can raise these errors without an import
cycle. Each class is also importable from the module that raises it (``seqgpt.api``,
``seqgpt.prompt``, ``seqgpt.train.adapt``, ...), where it was defined before.
"""

from __future__ import annotations

__all__ = [
    "E5S1FormatError", "EncoderNotInstalledError", "EvalArgumentError", "EvaluationError",
    "InputError", "ModelNotFoundError", "ReplayError", "SeqGPTError", "TaskEvaluationError",
    "TrainError",
]


class SeqGPTError(ValueError):
    """Base class of every error seqgpt raises for bad input; the message names the field."""


# --- inference ------------------------------------------------------------------------------

class InputError(SeqGPTError):
    """A text or label set that cannot be put into the prompt."""


class ModelNotFoundError(SeqGPTError):
    """The requested model is neither a local folder nor a reachable/cached hub model."""


class EncoderNotInstalledError(SeqGPTError):
    """The package that carries an encoder's weights or tokenizer is not installed."""


class E5S1FormatError(SeqGPTError):
    """An E5S1 file is truncated or does not describe the BERT its header announces."""


# --- training -------------------------------------------------------------------------------

class TrainError(SeqGPTError):
    """A training request that cannot run as given (bad settings, an occupied run folder)."""


class ReplayError(SeqGPTError):
    """The replay sample cannot be built or read."""


# --- evaluation -----------------------------------------------------------------------------

class EvaluationError(SeqGPTError):
    """The model's answers do not fit the instances they were asked about."""


class EvalArgumentError(SeqGPTError):
    """Bad ``seqgpt eval`` arguments."""


class TaskEvaluationError(SeqGPTError):
    """A dataset cannot be evaluated as a composite task (wrong kind, nothing to score)."""
