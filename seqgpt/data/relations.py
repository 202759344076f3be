"""The relation-extraction readers, one module per format, gathered under their old names.

The decomposition SeqGPT uses (extract the typed mentions, classify each pair) and the shared
instance builder live in ``relkit``; the readers in ``semeval`` (marked pairs), ``joint_json``
(CoNLL04, ADE), ``fewrel``, ``finre``, ``duie`` and ``brat`` (with the sentence splitter in
``sentences``). Importing a reader from here keeps working; new code imports its module.
"""

from __future__ import annotations

from seqgpt.data.brat import read_brat
from seqgpt.data.duie import read_duie
from seqgpt.data.fewrel import read_fewrel
from seqgpt.data.finre import read_finre
from seqgpt.data.joint_json import read_joint_json
from seqgpt.data.relkit import Mention
from seqgpt.data.semeval import read_marked_pairs

__all__ = ["Mention", "read_brat", "read_duie", "read_fewrel", "read_finre", "read_joint_json",
           "read_marked_pairs"]
