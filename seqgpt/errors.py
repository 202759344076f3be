"""The errors seqgpt raises: one hierarchy under :class:`SeqGPTError`.

``SeqGPTError`` is a ``ValueError``: every error here means the input or the request cannot be
carried out as given (a bad label set, a missing model, a training run that cannot start), and
its message names the field, file or option at fault. ``except seqgpt.SeqGPTError`` catches
them all; the command line turns them into ``seqgpt <command>: error: ...`` and exit status 2.

The classes, by where they are raised:

- inference: :class:`InputError` (and its :class:`TextEncodingError`,
  :class:`LabelTooLongError`),
  :class:`ModelNotFoundError`, :class:`EncoderNotInstalledError`, :class:`E5S1FormatError`;
- composite tasks (``seqgpt.tasks``): :class:`TaskInputError`;
- training: :class:`TrainError`, :class:`ReplayError`;
- evaluation: :class:`EvaluationError`, :class:`EvalArgumentError`,
  :class:`TaskEvaluationError`;
- datasets (``seqgpt.data``): :class:`DataFormatError`, :class:`UnknownDatasetError`,
  :class:`MixtureError`, :class:`DataArgumentError`;
- ``seqgpt annotate``: :class:`AnnotateError`, :class:`InputFormatError`, :class:`TaskError`.

This module imports nothing, so every other module can raise these errors without an import
cycle. Each class is also importable from the module that raises it (``seqgpt.api``,
``seqgpt.prompt``, ``seqgpt.train.adapt``, ``seqgpt.data.instance``, ``seqgpt.tasks``,
``seqgpt.annotate``, ...), where it was defined before.
"""

from __future__ import annotations

__all__ = [
    "AnnotateError", "DataArgumentError", "DataFormatError", "E5S1FormatError",
    "EncoderNotInstalledError", "EvalArgumentError", "EvaluationError", "InputError",
    "InputFormatError", "LabelTooLongError", "MixtureError", "ModelNotFoundError",
    "ReplayError", "SeqGPTError", "TaskError", "TaskEvaluationError", "TaskInputError",
    "TextEncodingError", "TrainError", "UnknownDatasetError",
]


class SeqGPTError(ValueError):
    """Base class of every error seqgpt raises for bad input; the message names the field."""


# --- inference ------------------------------------------------------------------------------

class InputError(SeqGPTError):
    """A text or label set that cannot be put into the prompt."""


class TextEncodingError(InputError):
    """A text or label that is not valid Unicode (a lone surrogate, an undecodable byte)."""


class LabelTooLongError(InputError):
    """A label has more tokens than the compact model reads (``max_label_tokens``)."""


class ModelNotFoundError(SeqGPTError):
    """The requested model is neither a local folder nor a reachable/cached hub model."""


class EncoderNotInstalledError(SeqGPTError):
    """The package that carries an encoder's weights or tokenizer is not installed."""


class E5S1FormatError(SeqGPTError):
    """An E5S1 file is truncated or does not describe the BERT its header announces."""


# --- composite tasks ------------------------------------------------------------------------

class TaskInputError(SeqGPTError):
    """Bad input to a composite task; the message names the argument and what was expected."""


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


# --- datasets -------------------------------------------------------------------------------

class DataFormatError(SeqGPTError):
    """A data file does not match its expected format; the message names file, line and field."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}" if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line


class UnknownDatasetError(SeqGPTError):
    """A dataset name the registry does not know, or a split the dataset does not have."""


class MixtureError(SeqGPTError):
    """A mixture cannot be built as asked (zero-shot dev data, no training split, ...)."""


class DataArgumentError(SeqGPTError):
    """Bad ``seqgpt data`` arguments."""


# --- seqgpt annotate ------------------------------------------------------------------------

class AnnotateError(SeqGPTError):
    """A job that cannot start or go on: bad settings, a changed job, a changed input."""


class InputFormatError(SeqGPTError):
    """The input as a whole cannot be read (unknown format, CSV header without the column)."""


class TaskError(SeqGPTError):
    """An unknown task, or labels the task cannot take."""
