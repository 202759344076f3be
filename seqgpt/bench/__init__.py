"""``seqgpt bench``: speed and memory of the compact model against its floor and two references.

One run, the same texts (about 25 English words each, generated from a seed) and batch 32:

- our ``extract`` and ``classify`` with 5 and 20 labels (texts/s, ms/text);
- the floor: the bare encoder forward on exactly the token ids the compact model feeds it;
- GLiNER-M's encoder: a random DeBERTa-v3-base forward over the same label+text token counts;
- SeqGPT-560M's architecture: a random BLOOM-560M generating an upstream answer with upstream's
  beam search (4 beams, no sampling) for the upstream prompt, answer length forced;
- our extract and classify with the ``bfloat16`` option, and DeBERTa under bfloat16 autocast;
- cold start of a fresh process (import + load, then the first extract; the median of three)
  and peak memory.

Weight values do not change any of these costs, so an untrained model measures the same as a
trained one.

One idea per module: :mod:`~seqgpt.bench.samples` (the texts), :mod:`~seqgpt.bench.subject`
(the model measured), :mod:`~seqgpt.bench.references` (DeBERTa and BLOOM),
:mod:`~seqgpt.bench.timing` (timed calls and the floor), :mod:`~seqgpt.bench.coldstart`,
:mod:`~seqgpt.bench.cpu` (CPU and memory accounting), :mod:`~seqgpt.bench.suite` (one run),
:mod:`~seqgpt.bench.report` and :mod:`~seqgpt.bench.command` (``seqgpt bench``).
"""

from seqgpt.bench.coldstart import cold_start
from seqgpt.bench.command import add_parser, run
from seqgpt.bench.references import bloom_560m_config, bloom_generation, deberta_v3_base_config
from seqgpt.bench.report import format_report
from seqgpt.bench.samples import (
    BATCH,
    CLASSIFY_LABELS,
    CLASSIFY_LABELS_20,
    EXTRACT_LABELS,
    EXTRACT_LABELS_20,
    Sample,
    make_samples,
)
from seqgpt.bench.subject import (
    DEFAULT_ENCODER_LAYERS,
    default_architecture,
    load_code,
    load_model,
    untrained_default,
)
from seqgpt.bench.suite import FULL, QUICK, Plan, measure
from seqgpt.bench.timing import candidates_per_text, encoder_batches, sentence_floor

__all__ = [
    "BATCH", "CLASSIFY_LABELS", "CLASSIFY_LABELS_20", "DEFAULT_ENCODER_LAYERS", "EXTRACT_LABELS",
    "EXTRACT_LABELS_20", "FULL", "QUICK", "Plan", "Sample", "add_parser", "bloom_560m_config",
    "bloom_generation", "candidates_per_text", "cold_start", "deberta_v3_base_config",
    "default_architecture", "encoder_batches", "format_report", "load_code", "load_model",
    "make_samples", "measure", "run", "sentence_floor", "untrained_default",
]
