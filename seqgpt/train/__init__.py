"""Training: :func:`finetune` adapts a model to your own data (``seqgpt train``); the trainers
of both backends live in :mod:`seqgpt.train.compact` and :mod:`seqgpt.train.generative`.

The package itself is callable, so the Python API reads like the command:
``seqgpt.train("mine.jsonl", "runs/mine")`` is ``seqgpt.train.finetune(...)``.
"""

import sys
import types

from seqgpt.train.adapt import finetune

__all__ = ["finetune"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return finetune(*args, **kwargs)

    __call__.__doc__ = finetune.__doc__


sys.modules[__name__].__class__ = _CallableModule
