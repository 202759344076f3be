"""A relation reader: the full E5 encoder reads a sentence beside one statement about a pair.

The span model classifies a relation text (``compose.relation_text``: the sentence, then a line
``head -> tail``) like any other text: its head compares a mean of the text with each relation
name, and it learned neither which way the arrow points nor whether the two mentions are
related at all (with gold entities, CoNLL04 valid: precision 10.5 at min_score 0.5; ADE: yes
to both directions). Here the top layers of the pretrained sentence encoder and a one-logit
head read ``<s>query: sentence</s></s>head | relation name | tail</s>``, one row per
(pair, relation name), and say whether the statement holds (:mod:`seqgpt.train.relations`
trains them on the pool's relation data, both directions and unrelated pairs included). A
relation name the reader never saw is read as words by E5, which is what makes it zero-shot.

A model folder that holds ``relations.safetensors`` answers classification of relation texts
with it: each label scores the sigmoid of its own row, independent of the other labels.
"""

from __future__ import annotations

import torch

from seqgpt.encoders import mean_pool
from seqgpt.model.top_layers import TopLayerReader

RELATIONS = "relations.safetensors"
MAX_TOKENS = 192
_SENTENCE_TOKENS = 160  # the statement is the short side; keep all of it


def statement(head: str, relation: str, tail: str) -> str:
    """The second segment of a row: the claim that ``relation`` holds from head to tail."""
    return f"{head} | {relation} | {tail}"


class RelationReader(TopLayerReader):
    """E5 with its top ``train_layers`` layers and a one-logit head trained on relation data."""

    FILE = RELATIONS
    TRAINER = "python -m seqgpt.train.relations"
    OUTPUTS = 1

    def encode(self, sentences: list[str], statements: list[str]) -> dict[str, torch.Tensor]:
        ids, starts = self.pair_ids(sentences, statements, _SENTENCE_TOKENS, MAX_TOKENS)
        mask = (ids != self.tokenizer.pad_token_id).long()
        claim = mask.clone()
        for row, start in zip(claim, starts, strict=True):
            row[:start] = 0
        return {"input_ids": ids, "attention_mask": mask, "claim_mask": claim}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                claim_mask: torch.Tensor) -> torch.Tensor:
        """One logit per row ``[rows]``, read from the statement's tokens (which attend to
        the sentence); the frozen lower layers run without a graph."""
        pooled = mean_pool(self.states(input_ids, attention_mask).float(), claim_mask)
        return self.head(pooled).squeeze(-1)

    @torch.inference_mode()
    def probabilities(self, pairs: list[tuple[str, str, str]], labels: list[str],
                      batch_size: int = 32, bfloat16: bool = False) -> torch.Tensor:
        """``[pairs, labels]``: for each ``(sentence, head, tail)`` the probability that each
        relation name holds from head to tail; rows of similar length batched together."""
        rows = [(p, k) for p in range(len(pairs)) for k in range(len(labels))]
        texts = [(pairs[p][0], statement(pairs[p][1], labels[k], pairs[p][2])) for p, k in rows]
        out = torch.empty(len(pairs), len(labels))
        order = sorted(range(len(rows)), key=lambda r: len(texts[r][0]) + len(texts[r][1]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = self.encode([texts[r][0] for r in chunk], [texts[r][1] for r in chunk])
            with torch.autocast("cpu", torch.bfloat16, enabled=bfloat16):
                logits = self(**batch)
            for r, probability in zip(chunk, logits.float().sigmoid().tolist(), strict=True):
                out[rows[r]] = probability
        return out
