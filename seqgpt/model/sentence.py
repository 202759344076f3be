"""Text-to-label similarity from the pretrained sentence encoder, untouched by our training.

multilingual-e5-small was trained contrastively on a billion text pairs, so the cosine between
a text's embedding and a label name's embedding already ranks labels well for topics and
intents, where our trained label head, which has seen only a few hundred label sets, is weak.
The compact model blends the two for single-label classification, with the top layers trained
to put a text next to its class name where its folder has them (``seqgpt.train.similarity``);
the untrained baseline uses the pretrained cosine alone.
"""

from __future__ import annotations

import torch

from seqgpt.encoders import (
    E5_PASSAGE_PREFIX,
    E5_PREFIX,
    E5_SMALL,
    input_limit,
    load_encoder,
    mean_pool,
)
from seqgpt.errors import SeqGPTError


class SentenceSimilarity:
    """Cosine between mean-pooled embeddings of texts and of label names.

    E5 reads texts and labels with the same ``query: `` prefix (``seqgpt.encoders``).
    Label embeddings are cached: the same label sets come back call after call.
    ``word_embeddings`` lets an encoder already loaded share its largest tensor; ``tuned``
    replaces some of the encoder's weights (its trained top layers).
    """

    #: label embeddings kept before the cache starts over (a long-running service sees
    #: endless label sets)
    max_cached_labels = 50_000

    def __init__(self, encoder_name: str, word_embeddings: torch.Tensor | None = None,
                 batch_size: int = 32, tuned: dict[str, torch.Tensor] | None = None) -> None:
        self.encoder, self.tokenizer = load_encoder(encoder_name, word_embeddings=word_embeddings)
        if tuned:
            unknown = sorted(set(tuned) - set(self.encoder.state_dict()))
            if unknown:
                raise SeqGPTError(f"trained sentence-encoder weights do not fit {encoder_name} "
                                  f"(unknown {unknown[:3]}); retrain them for this encoder")
            self.encoder.load_state_dict({k: v.float() for k, v in tuned.items()}, strict=False)
        e5 = encoder_name == E5_SMALL
        self.prefix, self.passage_prefix = (E5_PREFIX, E5_PASSAGE_PREFIX) if e5 else ("", "")
        self.batch_size = batch_size
        # the longest input the encoder reads well; read now, as a span model's featurizer
        # sharing this tokenizer lifts its limit (it cuts its own windows)
        self.max_length = input_limit(self.encoder, self.tokenizer)
        self._labels: dict[str, torch.Tensor] = {}

    @torch.inference_mode()
    def embed(self, texts: list[str], prefix: str | None = None) -> torch.Tensor:
        """L2-normalised embeddings ``[len(texts), hidden]``, shortest texts batched together;
        each text read after ``prefix`` (default: the one for texts and labels)."""
        prefix = self.prefix if prefix is None else prefix
        out = torch.empty(len(texts), self.encoder.config.hidden_size)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            batch = self.tokenizer([prefix + texts[i] for i in chunk], padding=True,
                                   truncation=True, max_length=self.max_length,
                                   return_tensors="pt")
            states = self.encoder(batch["input_ids"], batch["attention_mask"])
            pooled = mean_pool(states, batch["attention_mask"])
            out[chunk] = torch.nn.functional.normalize(pooled, dim=-1)
        return out

    def __call__(self, texts: list[str], labels: list[str],
                 bfloat16: bool = False) -> torch.Tensor:
        """Cosines ``[len(texts), len(labels)]``. ``bfloat16`` encodes the texts under
        autocast; labels are always float32 (they are cached, so a call never depends on
        which precision embedded a label first)."""
        with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
            queries = self.embed(texts)
        return queries @ self.label_vectors(labels).T

    def label_vectors(self, labels: list[str]) -> torch.Tensor:
        """Embeddings ``[len(labels), hidden]`` of label names (float32, cached)."""
        new = [label for label in dict.fromkeys(labels) if label not in self._labels]
        if len(self._labels) + len(new) > self.max_cached_labels:
            self._labels.clear()
            new = list(dict.fromkeys(labels))
        if new:
            self._labels.update(zip(new, self.embed(new), strict=True))
        if not labels:
            return torch.zeros(0, self.encoder.config.hidden_size)
        return torch.stack([self._labels[label] for label in labels])

    def relevance(self, questions: list[str], passages: list[str]) -> torch.Tensor:
        """Cosines ``[len(questions), len(passages)]`` of questions to the passages that may
        answer them, read as E5 was trained for retrieval (``query: `` / ``passage: ``)."""
        return self.embed(questions) @ self.embed(passages, self.passage_prefix).T


def standardised(x: torch.Tensor, floor: float) -> torch.Tensor:
    """``x`` centred per row and divided by its spread over the row, the spread floored at
    ``floor`` (``nan`` entries are left out of both)."""
    mean = x.nanmean(-1, keepdim=True)
    spread = (x - mean).square().nanmean(-1, keepdim=True).sqrt().clamp(min=floor)
    return (x - mean) / spread
