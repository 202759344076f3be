"""``seqgpt ner|entity-type|relations|events|answer|slots|nli|sentiment|topic|extract-json``:
the composite tasks on the command line, with the conventions of ``seqgpt extract``: TEXT as an
argument or one text per line on stdin, ``--model`` (else ``$SEQGPT_MODEL``, else the default),
``--json`` for one JSON object per text; without it a short answer per text in the upstream
``label: value`` style, texts separated by a blank line."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any

from seqgpt import prompt, textcheck
from seqgpt.cli_options import add_option_arguments, model_options, unit_float
from seqgpt.inputs import Input
from seqgpt.inputs import read as read_inputs
from seqgpt.tasks.common import TaskInputError
from seqgpt.tasks.reading import UNIT_HELP, UNITS

_TAB = prompt.SPAN_JOINER


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    ner = _command(subparsers, "ner", "find the entities of the given types in TEXT",
                   'seqgpt ner "Tim Cook visited Beijing." --types person,city')
    ner.add_argument("--types", required=True, help="entity types, e.g. person,city")
    ner.set_defaults(func=_run, render=_ner)

    typing = _command(subparsers, "entity-type", "choose the type of one mention of TEXT",
                      'seqgpt entity-type "Tim Cook visited Beijing." --span Beijing '
                      "--types person,city")
    typing.add_argument("--span", required=True,
                        help="the mention: START:END offsets or its text (first occurrence)")
    typing.add_argument("--types", required=True, help="candidate types, e.g. person,city")
    typing.set_defaults(func=_run, render=_entity_type)

    rel = _command(subparsers, "relations", "find entities in TEXT and the relations between "
                   "them", 'seqgpt relations "Tim Cook works for Apple." --relations '
                   '"works for,located in" --entities person,organization,location')
    rel.add_argument("--relations", required=True, help="relation names, e.g. 'works for'")
    rel.add_argument("--entities", default=None,
                     help="entity types (default: person, organization, location; 人名, "
                          "机构名, 地名 for Chinese)")
    rel.add_argument("--min-score", type=float, default=0.5,
                     help="lowest score a relation needs (default 0.5)")
    rel.set_defaults(func=_run, render=_relations)

    ev = _command(subparsers, "events", "find events and their arguments in TEXT",
                  'seqgpt events "Apple bought Beats for $3 billion." --schema '
                  '\'{"acquisition": ["buyer", "target", "price"]}\'')
    ev.add_argument("--schema", required=True, type=_json_argument("--schema"),
                    help='JSON object {"event type": ["role", ...]}')
    ev.set_defaults(func=_run, render=_events)

    ans = _command(subparsers, "answer", "answer questions from CONTEXT with spans of it",
                   'seqgpt answer "Tim Cook visited Beijing in May." -q "Who visited Beijing?" '
                   '-q "When?"', what="context")
    ans.add_argument("-q", "--question", action="append", required=True, dest="questions",
                     help="a question (repeat for several); a question may contain commas")
    ans.add_argument("--unit", choices=UNITS, default="auto",
                     help=UNIT_HELP)
    ans.add_argument("--answer-threshold", type=unit_float, default=None,
                     help="with a model that has an answer reader: the lowest reader score "
                          "that answers a question (default: the model's, 0.5 unless its "
                          "folder says otherwise); lower answers more questions")
    ans.add_argument("--clause-threshold", type=unit_float, default=None,
                     help="with a model that has an answer reader: an English question "
                          "wanting a statement (see --unit) that the reader leaves unanswered "
                          "is answered with its best clause where all-MiniLM-L6-v2's cosine "
                          "between them reaches this (default: the model's, 0.6 for the "
                          "default model; 1: the reader alone decides)")
    ans.set_defaults(func=_run, render=_answer)

    sl = _command(subparsers, "slots", "fill slots and detect the intent of TEXT",
                  'seqgpt slots "book a table for two tomorrow" --slots "party size,date" '
                  '--intents "book restaurant,get weather"')
    sl.add_argument("--slots", required=True, help="slot names")
    sl.add_argument("--intents", default=None, help="intent names (optional)")
    sl.set_defaults(func=_run, render=_slots)

    nli = _command(subparsers, "nli", "does PREMISE entail, contradict or leave open "
                   "HYPOTHESIS", 'seqgpt nli "A man plays a guitar." "A person makes music."',
                   what="pair")
    nli.add_argument("--labels", default="entailment,neutral,contradiction",
                     help="pair labels (default: entailment,neutral,contradiction); an NLI "
                          "label set (also entailment,not entailment or 蕴含,中立,矛盾) is read by "
                          "the default model's pair reader, others by its classifier")
    nli.set_defaults(func=_run, render=_classification)

    sen = _command(subparsers, "sentiment", "the sentiment of TEXT",
                   'seqgpt sentiment "I loved it" --labels positive,negative,neutral')
    sen.add_argument("--labels", default="positive,negative",
                     help="sentiment labels (default: positive,negative)")
    sen.set_defaults(func=_run, render=_classification)

    top = _command(subparsers, "topic", "the topic of TEXT",
                   'seqgpt topic "The striker scored twice." --topics sports,politics')
    top.add_argument("--topics", required=True, help="candidate topics")
    top.set_defaults(func=_run, render=_classification)

    js = _command(subparsers, "extract-json", "fill a JSON schema from TEXT (the output always "
                  "validates against it)", 'seqgpt extract-json "Tim Cook, 63, runs Apple." '
                  '--schema \'{"person": ["name", "age"], "company": "array"}\'')
    js.add_argument("--schema", required=True, type=_json_argument("--schema"),
                    help="JSON object: key -> \"string\" | \"array\" | [fields] | "
                         "{field: \"string\" | \"array\"}")
    js.set_defaults(func=_run, render=_extract_json)


def _command(subparsers: argparse._SubParsersAction, name: str, summary: str, example: str,
             what: str = "text") -> argparse.ArgumentParser:
    if what == "pair":
        stdin = "premise<TAB>hypothesis lines on stdin"
    else:
        stdin = f"one {what} per line on stdin"
    parser = subparsers.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.",
        epilog=f"example:\n  {example}\n\nWithout TEXT (or with '-') the input is read as "
               f"{stdin} (blank lines are skipped). Without --json each input gets a short "
               "answer in the upstream 'label: value' style (one blank line between inputs). "
               "--threshold, --nested and --multi-label go to every extract and classify call "
               "the task makes.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    if what == "pair":
        parser.add_argument("premise", nargs="?", default="-", help="the premise, or '-'")
        parser.add_argument("hypothesis", nargs="?", default=None, help="the hypothesis")
    else:
        parser.add_argument("text", nargs="?", default="-",
                            help=f"the {what}; omit it or give '-' to read stdin")
    parser.add_argument("--model", default=os.environ.get("SEQGPT_MODEL"),
                        help="hub id or local folder (default: $SEQGPT_MODEL, else the embedded "
                             "default model)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per input instead of the short answer")
    add_option_arguments(parser)
    parser.set_defaults(command_name=name)
    return parser


def _json_argument(flag: str) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise argparse.ArgumentTypeError(f"{flag} is not valid JSON ({error})") from None
    return parse


def _run(args: argparse.Namespace) -> int:
    import seqgpt

    inputs = _inputs(args)
    nlu = seqgpt.load(args.model)
    results = _call(nlu, args, inputs, model_options(args))
    for i, (given, result) in enumerate(zip(inputs, results, strict=True)):
        if args.json and isinstance(result, list):  # the answers to one context's questions
            print(json.dumps({"context": given, "answers": [a.to_dict() for a in result]},
                             ensure_ascii=False))
        elif args.json:
            print(result.to_json())
        else:
            print(("\n" if i else "") + args.render(result))
    return 0


def _call(nlu: Any, args: argparse.Namespace, inputs: list[Any],
          options: dict[str, Any]) -> list[Any]:
    name = args.command_name
    if name == "ner":
        return nlu.ner(inputs, args.types, **options)
    if name == "entity-type":
        span: Any = args.span
        start, colon, end = span.partition(":")
        if colon and start.strip().isdigit() and end.strip().isdigit():
            span = (int(start), int(end))
        return nlu.entity_type(inputs, [span] * len(inputs), args.types, **options)
    if name == "relations":
        return nlu.relations(inputs, args.relations, args.entities, min_score=args.min_score,
                             **options)
    if name == "events":
        return nlu.events(inputs, args.schema, **options)
    if name == "answer":
        for name in ("answer_threshold", "clause_threshold"):
            if getattr(args, name) is not None:
                options = {**options, name: getattr(args, name)}
        return nlu.answer(inputs, [list(args.questions) for _ in inputs], unit=args.unit,
                          **options)
    if name == "slots":
        return nlu.slots(inputs, args.slots, args.intents, **options)
    if name == "nli":
        return nlu.nli([p for p, _ in inputs], [h for _, h in inputs], args.labels, **options)
    if name == "sentiment":
        return nlu.sentiment(inputs, args.labels, **options)
    if name == "topic":
        return nlu.topic(inputs, args.topics, **options)
    return nlu.extract_json(inputs, args.schema, **options)


def _inputs(args: argparse.Namespace) -> list[Any]:
    _check_arguments(args)
    if args.command_name != "nli":
        return [_checked(item) for item in read_inputs(args.text)]
    if args.premise != "-":
        if args.hypothesis is None:
            raise TaskInputError("nli needs PREMISE and HYPOTHESIS (or premise<TAB>hypothesis "
                                 "lines on stdin)")
        return [(textcheck.check(args.premise, "premise"),
                 textcheck.check(args.hypothesis, "hypothesis"))]
    pairs = []
    for item in read_inputs("-", what="pair"):
        premise, tab, hypothesis = item.text.partition("\t")
        if not tab:
            raise TaskInputError(f"{item.where}: expected premise<TAB>hypothesis")
        pairs.append((premise, hypothesis))
    return pairs


def _checked(item: Input) -> str:
    prompt.check_text(item.text, item.where)
    return item.text


def _check_arguments(args: argparse.Namespace) -> None:
    """Label, question and span arguments with a byte that is not UTF-8 are named here."""
    for name in ("types", "relations", "entities", "slots", "intents", "labels", "topics",
                 "span"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            textcheck.check(value, f"--{name}")
    for i, question in enumerate(getattr(args, "questions", None) or []):
        textcheck.check(question, f"--question {i + 1}")
    schema = getattr(args, "schema", None)
    if schema is not None:
        textcheck.check(json.dumps(schema, ensure_ascii=False), "--schema")


# Short answers: the upstream "label: value" lines, "None" where there is nothing.

def _ner(result: Any) -> str:
    return result.to_seqgpt()


def _entity_type(result: Any) -> str:
    return f"{result.mention}: {result.label or prompt.NO_ANSWER}"


def _relations(result: Any) -> str:
    lines = [f"{r.label}: {r.head.text} -> {r.tail.text}" for r in result.relations]
    return "\n".join(lines) or prompt.NO_ANSWER


def _events(result: Any) -> str:
    lines = []
    for event in result.events:
        lines.append(f"{event.type}: {event.trigger.text}")
        lines += [f"  {role}: {_TAB.join(s.text for s in spans) or prompt.NO_ANSWER}"
                  for role, spans in event.arguments.items()]
    return "\n".join(lines) or prompt.NO_ANSWER


def _answer(result: Any) -> str:
    return "\n".join(f"{a.question}: {a.text if a.span else prompt.NO_ANSWER}" for a in result)


def _slots(result: Any) -> str:
    by_slot: dict[str, list[str]] = {}
    for span in result.slots:
        by_slot.setdefault(span.label, []).append(span.text)
    lines = [f"{slot}: {_TAB.join(values)}" for slot, values in by_slot.items()]
    if result.intent_scores:
        lines.append(f"intent: {result.intent or prompt.NO_ANSWER}")
    return "\n".join(lines) or prompt.NO_ANSWER


def _classification(result: Any) -> str:
    return result.to_seqgpt() or prompt.NO_ANSWER


def _extract_json(result: Any) -> str:
    return json.dumps(result.data, ensure_ascii=False)
