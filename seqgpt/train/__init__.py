"""Training: :func:`finetune` adapts a model to your own data (``seqgpt train``); the trainers
of both backends live in :mod:`seqgpt.train.compact` and :mod:`seqgpt.train.generative`."""

from seqgpt.train.adapt import finetune

__all__ = ["finetune"]
