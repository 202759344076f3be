"""One dataset's composite-task scores and their Markdown table: what ``seqgpt eval-tasks``
prints and writes, and what the model card renders from its JSON (a leaf module, so the card
does not import the evaluator)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TaskResult:
    """Scores (fractions; the first is the task's main metric) of one dataset."""

    task: str
    dataset: str
    split: str
    language: str
    n: int
    scores: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "dataset": self.dataset, "split": self.split,
                "language": self.language, "n": self.n,
                "scores": {k: round(v, 4) for k, v in self.scores.items()},
                "seconds": round(self.seconds, 2)}


def format_table(results: Sequence[TaskResult]) -> str:
    """A Markdown table: every metric of each dataset in % (precision and recall only in the
    JSON), n and seconds."""
    lines = ["| task | dataset | lang | split | n | scores (%) | s |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        scores = "; ".join(f"{k} {100 * v:.1f}" for k, v in r.scores.items()
                           if not k.endswith((" P", " R")))
        lines.append(f"| {r.task} | {r.dataset} | {r.language} | {r.split} | {r.n} | {scores} | "
                     f"{r.seconds:.0f} |")
    return "\n".join(lines)
