"""The untrained baseline: a pretrained sentence encoder and cosine similarity, no training.

It is what the compact model must beat on the zero-shot dev sets (same encoder, no task
training): spans are mean-pooled token states of word spans, labels are mean-pooled
embeddings of the label names, and a span is kept when its cosine to a label clears a fixed
threshold. Classification picks the label whose embedding is closest to the text's.
"""

from __future__ import annotations

from typing import Any, cast

import torch

from seqgpt.backends.compact import _decode
from seqgpt.model.spans import Featurizer, SpanModelConfig, Tokenizer, span_index
from seqgpt.types import Classification, Extraction, SeqGPTError, Span


class SimilarityBackend:
    def __init__(self, encoder_name: str, threshold: float = 0.8, max_width: int = 8) -> None:
        from seqgpt.model.sentence import SentenceSimilarity

        self.similarity = SentenceSimilarity(encoder_name)
        self.encoder = self.similarity.encoder
        self.name = f"baseline:{encoder_name}"
        self.threshold = threshold
        self.max_width = max_width
        self.featurizer = Featurizer(cast(Tokenizer, self.similarity.tokenizer),
                                     SpanModelConfig(max_width=max_width))

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        _no_options(options)
        label_vectors = self.similarity.embed(labels)
        results = []
        for text in texts:
            found: dict[tuple[int, int, str], float] = {}
            for window in self.featurizer.windows(text, []):
                ids = torch.tensor([window.input_ids])
                with torch.inference_mode():
                    states = self.encoder(ids, torch.ones_like(ids))[0]
                pairs = span_index(len(window.words), self.max_width)
                # Mean of the token states from the span's first to its last token.
                cumulative = torch.cat([torch.zeros(1, states.size(1)), states.cumsum(0)])
                first = torch.tensor([window.word_first_token[i] for i, _ in pairs])
                last = torch.tensor([window.word_last_token[j] for _, j in pairs])
                means = (cumulative[last + 1] - cumulative[first]) / (last - first + 1)[:, None]
                sims = torch.nn.functional.normalize(means, dim=-1) @ label_vectors.T
                for s, k in (sims >= self.threshold).nonzero().tolist():
                    i, j = pairs[s]
                    key = (window.words[i][0], window.words[j][1], labels[k])
                    found[key] = max(found.get(key, -1.0), float(sims[s, k]))
            spans = [Span(label, text[s:e], s, e, round(score, 4))
                     for (s, e, label), score in sorted(_decode(found, False),
                                                        key=lambda c: c[0][:2])]
            results.append(Extraction(text=text, labels=list(labels), spans=spans))
        return results

    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]:
        _no_options(options)
        sims = self.similarity(texts, labels)
        results = []
        for text, row in zip(texts, sims, strict=True):
            scores: dict[str, float | None] = {label: round(float(row[k]), 4)
                                               for k, label in enumerate(labels)}
            results.append(Classification(text=text, labels=[labels[int(row.argmax())]],
                                          scores=scores))
        return results


def _no_options(options: dict[str, Any]) -> None:
    if options:
        raise SeqGPTError(f"the similarity baseline takes no options, got {sorted(options)}")
