"""How composite inputs become one text for the atomic tasks (shared by data readers and tasks)."""

from __future__ import annotations


def pair_text(first: str, second: str) -> str:
    """Two sentences as one classification input (NLI premise + hypothesis, paraphrase pairs)."""
    return f"{first}\n{second}"


def relation_text(text: str, head: str, tail: str) -> str:
    """A sentence and a directed (head, tail) pair as one classification input."""
    return f"{text}\n{head} -> {tail}"


def event_text(text: str, event_type: str, trigger: str) -> str:
    """A sentence and one event (type + trigger word) as the input for extracting its arguments."""
    return f"{text}\n{event_type}: {trigger}"
