"""Composite-task evaluation: each shared dataset of a composite kind is regrouped from its
atomic instances into the examples a user would give a task call (a sentence with its
entities and relations, a sentence with its events, a context with its questions, a premise
and a hypothesis, an utterance with its slots and intent), run through ``seqgpt.tasks`` with
the dataset's label set, and scored with the task's standard metric:

- relations, joint datasets (entities annotated): strict relation micro-F1 (head and tail
  boundaries and types, and the label, must all be right), and entity micro-F1;
- relations, datasets that annotate one pair per sentence (SemEval, FewRel, FinRE): the two
  mentions are given (``entities=``) and both directions are classified; directed relation
  micro-F1 (a pair annotated with no relation counts every predicted relation as wrong);
- events: trigger micro-F1 (type + offsets) and argument micro-F1 (event type, role, offsets);
- reading comprehension: exact match and token F1 against the best reference answer (SQuAD
  normalisation; Chinese character-level as CMRC 2018; unanswerable questions right only
  with no answer), and where some questions are unanswerable, F1 on the answerable ones;
- NLI: accuracy;
- slots + intent: slot micro-F1 (label + offsets) and intent accuracy.

Each dataset is scored on its evaluation split (``seqgpt eval``'s rule: test, else dev; the
held-out part of a single-split dataset); ``limit`` takes a seeded random sample of examples.

``seqgpt eval-tasks --limit 100 --json scores.json`` (:mod:`seqgpt.evaluate.tasks_command`;
also ``python -m seqgpt.evaluate.tasks``) prints the table as Markdown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from seqgpt.data import compose, registry
from seqgpt.data.instance import AtomicInstance
from seqgpt.errors import TaskEvaluationError
from seqgpt.evaluate.command import load_instances
from seqgpt.evaluate.metrics import Counts, answer_exact_match, answer_f1, set_counts
from seqgpt.evaluate.task_result import TaskResult

#: The datasets the composite-task table reports, per task.
DATASETS: dict[str, tuple[str, ...]] = {
    "relations": ("conll04_re", "ade_re", "semeval2010_task8", "finre", "fewrel"),
    "events": ("fewfc", "phee"),
    "answer": ("cmrc2018", "xquad/en", "xquad/zh", "subjqa", "drcd"),
    "nli": ("glue_subsets_powerfulpromptft/MNLI", "glue_subsets_powerfulpromptft/QNLI",
            "glue_subsets_powerfulpromptft/RTE", "glue_subsets_powerfulpromptft/SNLI", "ocnli",
            "sick2014"),
    "slots": ("slu_sz128/atis-2", "slu_sz128/snips", "restaurant8k"),
}
_KIND_TASK = {"re": "relations", "ee": "events", "mrc": "answer", "nli": "nli", "slot": "slots"}

T = TypeVar("T")


def evaluate_dataset(model: Any, name: str, *, split: str | None = None,
                     limit: int | None = None, seed: int = 0) -> TaskResult:
    """Score ``model`` (a ``seqgpt.Model``) on one registered dataset as a composite task."""
    spec = registry.get(name)
    task = _KIND_TASK.get(spec.kind)
    if task is None:
        raise TaskEvaluationError(f"{name} is a {spec.kind!r} dataset; composite tasks are "
                                  f"evaluated on {', '.join(sorted(_KIND_TASK))} datasets")
    instances = load_instances(name, split)
    run = {"relations": _relations, "events": _events, "answer": _answers, "nli": _nli,
           "slots": _slots}[task]
    started = time.perf_counter()
    n, scores = run(model, instances, spec.language, lambda groups: _sample(groups, limit,
                                                                           f"{seed}:{name}"))
    if not n:
        raise TaskEvaluationError(f"{name}: no {task} examples in split {instances[0].split}")
    return TaskResult(task, name, instances[0].split, spec.language, n, scores,
                      time.perf_counter() - started)


Sampler = Callable[[list[Any]], list[Any]]


def _sample(groups: list[T], limit: int | None, key: str) -> list[T]:
    if limit is None or len(groups) <= limit:
        return groups
    return [groups[i] for i in sorted(random.Random(key).sample(range(len(groups)), limit))]


def _f1(counts: Counts, name: str) -> dict[str, float]:
    return {name: counts.f1, f"{name} P": counts.precision, f"{name} R": counts.recall}


# --- relations ------------------------------------------------------------------------------

def _relations(model: Any, instances: list[AtomicInstance], language: str,
               sample: Sampler) -> tuple[int, dict[str, float]]:
    if any(i.task == "extract" for i in instances):
        return _joint_relations(model, instances, sample)
    return _given_pairs(model, instances, sample)


def _joint_relations(model: Any, instances: list[AtomicInstance],
                     sample: Sampler) -> tuple[int, dict[str, float]]:
    """Sentences with all their entities and relations (CoNLL04, ADE)."""
    sentences: dict[tuple[Any, str], dict[str, Any]] = {}
    for i in instances:
        key = (i.meta.get("sentence"), i.text if i.task == "extract" else _sentence(i))
        group = sentences.setdefault(key, {"relations": set(), "labels": None})
        if i.task == "extract":
            group.update(text=i.text, entity_labels=i.labels, entities=i.spans)
            continue
        group["labels"] = i.labels
        m = i.meta
        group["relations"] |= {(m["head_start"], m["head_end"], m["head_type"], m["tail_start"],
                                m["tail_end"], m["tail_type"], label) for label in i.gold}
    chosen = sample([g for g in sentences.values() if "text" in g])
    relation_labels = next(g["labels"] for g in sentences.values() if g["labels"])
    entity_labels = chosen[0]["entity_labels"]
    results = model.relations([g["text"] for g in chosen], relation_labels, entity_labels)
    strict, entities = Counts(), Counts()
    for group, result in zip(chosen, results, strict=True):
        strict.add(set_counts({(r.head.start, r.head.end, r.head.label, r.tail.start, r.tail.end,
                                r.tail.label, r.label) for r in result.relations},
                              group["relations"]))
        entities.add(set_counts({(s.label, s.start, s.end) for s in result.entities},
                                {(s.label, s.start, s.end) for s in group["entities"]}))
    return len(chosen), {**_f1(strict, "strict relation F1"), **_f1(entities, "entity F1")}


def _given_pairs(model: Any, instances: list[AtomicInstance],
                 sample: Sampler) -> tuple[int, dict[str, float]]:
    """One annotated mention pair per example (SemEval, FewRel, FinRE): both mentions given,
    both directions classified, gold = the relations annotated in either direction."""
    pairs: dict[tuple[str, frozenset[tuple[int, int]]], dict[str, Any]] = {}
    for i in instances:
        m = i.meta
        head, tail = (m["head_start"], m["head_end"]), (m["tail_start"], m["tail_end"])
        sentence = _sentence(i)
        group = pairs.setdefault((sentence, frozenset({head, tail})),
                                 {"text": sentence, "mentions": sorted({head, tail}),
                                  "labels": i.labels, "gold": set()})
        group["gold"] |= {(*head, *tail, label) for label in i.gold}
    chosen = sample(list(pairs.values()))
    counts = Counts()
    by_labels: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for group in chosen:
        by_labels.setdefault(tuple(group["labels"]), []).append(group)
    for labels, groups in by_labels.items():
        results = model.relations([g["text"] for g in groups], list(labels),
                                  entities=[g["mentions"] for g in groups])
        for group, result in zip(groups, results, strict=True):
            counts.add(set_counts({(r.head.start, r.head.end, r.tail.start, r.tail.end, r.label)
                                   for r in result.relations}, group["gold"]))
    return len(chosen), _f1(counts, "relation F1 (given entities)")


def _sentence(instance: AtomicInstance) -> str:
    """The sentence of a pair instance (its text is ``relation_text(sentence, head, tail)``)."""
    suffix = compose.relation_text("", instance.meta["head"], instance.meta["tail"])
    sentence = instance.text[:len(instance.text) - len(suffix)]
    if compose.relation_text(sentence, instance.meta["head"],
                             instance.meta["tail"]) != instance.text:
        raise TaskEvaluationError(f"{instance.dataset}: a pair text does not end in "
                                  f"{suffix!r}: {instance.text[-80:]!r}")
    return sentence


# --- events ---------------------------------------------------------------------------------

def _events(model: Any, instances: list[AtomicInstance], language: str,
            sample: Sampler) -> tuple[int, dict[str, float]]:
    sentences: dict[Any, dict[str, Any]] = {}
    for i in instances:
        group = sentences.setdefault(i.meta["source"], {"arguments": set()})
        if i.meta["task"] == "trigger":
            group.update(text=i.text, types=i.labels,
                         triggers={(s.label, s.start, s.end) for s in i.spans})
        else:
            kind = i.meta["event_type"]
            group["arguments"] |= {(kind, s.label, s.start, s.end) for s in i.spans}
    chosen = sample([g for g in sentences.values() if "text" in g])
    spec = registry.get(instances[0].dataset)
    roles: dict[str, list[str]] = {}
    for key, word in spec.label_names.items():
        kind, sep, _ = key.partition(":")
        if sep and word not in roles.setdefault(spec.label(kind), []):
            roles[spec.label(kind)].append(word)
    triggers, arguments = Counts(), Counts()
    by_types: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for group in chosen:
        by_types.setdefault(tuple(group["types"]), []).append(group)
    for types, groups in by_types.items():
        schema = {kind: roles.get(kind, []) for kind in types}
        for group, result in zip(groups, model.events([g["text"] for g in groups], schema),
                                 strict=True):
            triggers.add(set_counts({(e.type, e.trigger.start, e.trigger.end)
                                     for e in result.events}, group["triggers"]))
            arguments.add(set_counts({(e.type, role, s.start, s.end) for e in result.events
                                      for role, spans in e.arguments.items() for s in spans},
                                     group["arguments"]))
    return len(chosen), {**_f1(triggers, "trigger F1"), **_f1(arguments, "argument F1")}


# --- reading comprehension ------------------------------------------------------------------

def mrc_questions(instances: list[AtomicInstance]) -> dict[tuple[str, str], list[str]]:
    """Each (context, question) of the reading-comprehension instances with its references.

    A question asked twice of one context (SubjQA: one row per annotator) is one question
    whose references are all the annotators' answers (answerable if anyone answered). The
    references are the answers as the context has them (SubjQA's answer strings are
    re-tokenised, "heavy - duty" for "heavy-duty") and as the data gives them."""
    questions: dict[tuple[str, str], list[str]] = {}
    for i in instances:
        if i.task == "extract":
            references = [s.text for s in i.spans] + list(i.meta.get("answers", []))
            known = questions.setdefault((i.text, i.labels[0]), [])
            known += [r for r in references if r not in known]
    return questions


def answer_scores(answered: list[tuple[str | None, list[str]]],
                  language: str) -> dict[str, float]:
    """Exact match and token F1 of (answer or ``None``, references) pairs; where some
    questions are unanswerable, also token F1 on the answerable ones and their share."""
    em = f1 = answerable_f1 = 0.0
    answerable = 0
    for answer, references in answered:
        em += answer_exact_match(answer, references, language)
        score = answer_f1(answer, references, language)
        f1 += score
        if references:
            answerable += 1
            answerable_f1 += score
    n = len(answered)
    scores = {"exact match": em / max(n, 1), "token F1": f1 / max(n, 1)}
    if answerable < n:  # unanswerable questions: answering none of them already scores
        scores["answerable token F1"] = answerable_f1 / max(answerable, 1)
        scores["answerable share"] = answerable / n
    return scores


def _answers(model: Any, instances: list[AtomicInstance], language: str,
             sample: Sampler) -> tuple[int, dict[str, float]]:
    questions = mrc_questions(instances)
    chosen = sample(list(questions))
    contexts: dict[str, list[str]] = {}
    for context, question in chosen:
        contexts.setdefault(context, []).append(question)
    answers = model.answer(list(contexts), list(contexts.values()))
    answered = [(answer.text, questions[context, question])
                for (context, group), found in zip(contexts.items(), answers, strict=True)
                for question, answer in zip(group, found, strict=True)]
    return len(chosen), answer_scores(answered, language)


# --- NLI ------------------------------------------------------------------------------------

def _nli(model: Any, instances: list[AtomicInstance], language: str,
         sample: Sampler) -> tuple[int, dict[str, float]]:
    chosen = sample([i for i in instances if i.task == "classify"])
    correct = 0
    by_labels: dict[tuple[str, ...], list[AtomicInstance]] = {}
    for i in chosen:
        by_labels.setdefault(tuple(i.labels), []).append(i)
    for labels, group in by_labels.items():
        pairs = [i.text.split("\n", 1) for i in group]
        if any(len(p) != 2 or compose.pair_text(*p) != i.text for p, i in zip(pairs, group,
                                                                             strict=True)):
            raise TaskEvaluationError(f"{group[0].dataset}: a pair text is not "
                                      "'premise\\nhypothesis'")
        results = model.nli([p for p, _ in pairs], [h for _, h in pairs], list(labels))
        correct += sum(r.labels == i.gold for r, i in zip(results, group, strict=True))
    return len(chosen), {"accuracy": correct / max(len(chosen), 1)}


# --- slots + intent -------------------------------------------------------------------------

def _slots(model: Any, instances: list[AtomicInstance], language: str,
           sample: Sampler) -> tuple[int, dict[str, float]]:
    utterances: dict[Any, dict[str, Any]] = {}
    for i in instances:
        group = utterances.setdefault(i.meta["source"], {})
        if i.task == "extract":
            group.update(text=i.text, slots=i.labels,
                         gold_slots={(s.label, s.start, s.end) for s in i.spans})
        else:
            group.update(intents=i.labels, gold_intent=i.gold)
    chosen = sample([g for g in utterances.values() if "text" in g])
    slots, correct, with_intent = Counts(), 0, 0
    by_labels: dict[tuple[tuple[str, ...], tuple[str, ...] | None], list[dict[str, Any]]] = {}
    for group in chosen:
        intents = tuple(group["intents"]) if "intents" in group else None
        by_labels.setdefault((tuple(group["slots"]), intents), []).append(group)
    for (slot_labels, intents), groups in by_labels.items():
        results = model.slots([g["text"] for g in groups], list(slot_labels),
                              None if intents is None else list(intents))
        for group, result in zip(groups, results, strict=True):
            slots.add(set_counts({(s.label, s.start, s.end) for s in result.slots},
                                 group["gold_slots"]))
            if intents is not None:
                with_intent += 1
                correct += [result.intent] == group["gold_intent"]
    scores = _f1(slots, "slot F1")
    if with_intent:
        scores["intent accuracy"] = correct / with_intent
    return len(chosen), scores


if __name__ == "__main__":  # ``python -m seqgpt.evaluate.tasks``, as before the command moved
    import sys

    from seqgpt.evaluate.tasks_command import main

    sys.exit(main())
