"""How composite inputs become one text for the atomic tasks (shared by data readers and tasks)."""

from __future__ import annotations


def pair_text(first: str, second: str) -> str:
    """Two sentences as one classification input (NLI premise + hypothesis, paraphrase pairs)."""
    return f"{first}\n{second}"


def relation_text(text: str, head: str, tail: str) -> str:
    """A sentence and a directed (head, tail) pair as one classification input."""
    return f"{text}\n{head} -> {tail}"


def split_relation_text(text: str) -> tuple[str, str, str] | None:
    """``(sentence, head, tail)`` of a text :func:`relation_text` made, or ``None`` for any
    other text: its last line must be ``head -> tail`` with both mentions in the sentence."""
    sentence, newline, last = text.rpartition("\n")
    head, arrow, tail = last.partition(" -> ")
    if not (newline and arrow and head and tail and head in sentence and tail in sentence):
        return None
    return sentence, head, tail


def event_text(text: str, event_type: str, trigger: str) -> str:
    """A sentence and one event (type + trigger word) as the input for extracting its arguments."""
    return f"{text}\n{event_type}: {trigger}"
