"""Corpus annotation: the resumable ``seqgpt annotate`` job (local processes or Ray Data) and
the spaCy components ``seqgpt_ner`` / ``seqgpt_textcat``.

>>> from seqgpt.annotate import Job, run
>>> run(Job("in.jsonl", "out.jsonl", task="extract", labels=["person"]))  # doctest: +SKIP
"""

from seqgpt.annotate.job import AnnotateError, Job, Summary, run

__all__ = ["AnnotateError", "Job", "Summary", "run"]
