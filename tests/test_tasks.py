"""Composite tasks (seqgpt.tasks): every call on English and Chinese with the default model and
the tiny generative model (valid results whatever the model says), the composition and decision
rules on scripted models, batching, pruning and input errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

import seqgpt
from seqgpt import prompt, tasks
from seqgpt.data import compose
from seqgpt.model.qa import Reading
from seqgpt.tasks import TaskInputError
from seqgpt.types import Classification, Extraction, SeqGPTError, Span

EN = "Tim Cook, the CEO of Apple, visited Beijing on Monday and met Jack Ma."
ZH = "2019年，阿里巴巴在杭州以20亿美元收购了网易考拉，马云出席了签约仪式。"
EVENTS = {"en": {"acquisition": ["buyer", "target", "price"], "meeting": ["participant"]},
          "zh": {"收购": ["收购方", "被收购方", "收购金额", "时间"], "会见": []}}
TYPES = {"en": ["person", "organization", "city"], "zh": ["人名", "公司", "城市"]}
RELATIONS = {"en": ["works for", "located in"], "zh": ["创始人", "收购"]}
JSON_SCHEMA = {"en": {"person": {"name": "string", "employer": "string", "cities": "array"},
                      "date": "string", "companies": "array"},
               "zh": {"公司": ["名称", "所在地"], "金额": "string"}}


@pytest.fixture(scope="module")
def default_nlu() -> seqgpt.Model:
    return seqgpt.load()


@pytest.fixture(params=["default", "tiny"])
def nlu(request: pytest.FixtureRequest) -> seqgpt.Model:
    return request.getfixturevalue("default_nlu" if request.param == "default" else "tiny_nlu")


def _valid(text: str, span: Span, labels: list[str] | None = None) -> None:
    assert span.start is not None and span.end is not None
    assert 0 <= span.start < span.end <= len(text) and text[span.start:span.end] == span.text
    assert labels is None or span.label in labels
    assert span.score is None or 0.0 <= span.score <= 1.0


# --- every call, both backends, English and Chinese ------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_task_runs_and_gives_valid_results(nlu: seqgpt.Model, lang: str) -> None:
    text = EN if lang == "en" else ZH
    found = nlu.ner([text, text], TYPES[lang])
    assert len(found) == 2 and all(isinstance(r, Extraction) for r in found)
    for span in found[0].spans:
        _valid(text, span, TYPES[lang])

    typed = nlu.entity_type(text, (0, 3), TYPES[lang])
    assert (typed.start, typed.end, typed.mention) == (0, 3, text[:3])
    assert typed.label is None or typed.label in TYPES[lang]

    rel = nlu.relations(text, RELATIONS[lang], TYPES[lang])
    for span in rel.entities:
        _valid(text, span, TYPES[lang])
    for r in rel.relations:
        assert r.label in RELATIONS[lang] and r.head in rel.entities and r.tail in rel.entities
        assert r.head.text != r.tail.text and (r.score is None or r.score >= 0.5)

    ev = nlu.events(text, EVENTS[lang])
    for event in ev.events:
        assert event.type in EVENTS[lang] and event.trigger.label == event.type
        _valid(text, event.trigger)
        assert list(event.arguments) == EVENTS[lang][event.type]
        for role, spans in event.arguments.items():
            for span in spans:
                _valid(text, span, [role])

    questions = ["Who visited Beijing?", "When, and where?"] if lang == "en" else [
        "谁收购了网易考拉？", "收购金额是多少，何时？"]
    answers = nlu.answer(text, questions)
    assert [a.question for a in answers] == questions
    for a in answers:
        if a.span is not None:
            _valid(text, a.span)

    filled = nlu.slots(text, TYPES[lang], ["travel", "business"])
    assert filled.intent in ("travel", "business", None)
    assert set(filled.intent_scores) == {"travel", "business"}
    for span in filled.slots:
        _valid(text, span, TYPES[lang])

    hypothesis = "Somebody travelled." if lang == "en" else "有公司被收购了。"
    pair = nlu.nli(text, hypothesis)
    assert pair.text == compose.pair_text(text, hypothesis)
    assert set(pair.labels) <= {"entailment", "neutral", "contradiction"}
    assert set(nlu.sentiment([text]).pop().labels) <= {"positive", "negative"}
    assert set(nlu.topic(text, ["business", "sports"]).labels) <= {"business", "sports"}

    record = nlu.extract_json(text, JSON_SCHEMA[lang])
    _validates(record.data, JSON_SCHEMA[lang])
    for span in record.spans:
        _valid(text, span)


def _validates(data: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(data, tasks.json_schema(schema))


# --- scripted models: the composition and the decision rules ---------------------------------

class Scripted:
    """A backend that finds fixed phrases per label and gives fixed classification scores,
    recording every call (texts, labels)."""

    name = "scripted"

    def __init__(self, phrases: dict[str, list[str]], scores: dict[str, float] | None = None,
                 scored: bool = True) -> None:
        self.phrases, self.scores, self.scored = phrases, scores or {}, scored
        self.calls: list[tuple[str, list[str], list[str]]] = []

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        self.calls.append(("extract", list(texts), list(labels)))
        results = []
        for text in texts:
            spans = [Span(label, phrase, m.start(), m.end(), 0.9 if self.scored else None)
                     for label in labels for phrase in self.phrases.get(label, [])
                     for m in re.finditer(re.escape(phrase), text)]
            results.append(Extraction(text, list(labels), sorted(spans, key=lambda s: s.start)))
        return results

    def classify(self, texts: list[str], labels: list[str],
                 **options: Any) -> list[Classification]:
        self.calls.append(("classify", list(texts), list(labels)))
        results = []
        for text in texts:
            scores = {label: self.scores.get(f"{text}|{label}", 0.1) for label in labels}
            chosen = [max(labels, key=scores.__getitem__)]
            if not self.scored:  # like a generative model: chosen labels score 1, others 0
                chosen = [label for label in labels if scores[label] >= 0.5]
                scores = {label: float(label in chosen) for label in labels}
            results.append(Classification(text, chosen, dict(scores)))
        return results


PEOPLE = {"person": ["Tim Cook", "Jack Ma"], "organization": ["Apple"], "city": ["Beijing"]}


def test_relation_pairs_are_composed_as_in_training_and_need_a_score() -> None:
    backend = Scripted(PEOPLE, {compose.relation_text(EN, "Tim Cook", "Apple") + "|works for":
                                0.8})
    result = seqgpt.Model(backend).relations(EN, ["works for", "located in"], TYPES["en"])
    kinds = [kind for kind, _, _ in backend.calls]
    assert kinds == ["extract", "classify"]
    pair_texts = backend.calls[1][1]
    # every directed pair of the four mentions, each as "sentence\nhead -> tail"
    assert len(pair_texts) == 12 and all(t.startswith(EN + "\n") for t in pair_texts)
    assert compose.relation_text(EN, "Apple", "Tim Cook") in pair_texts
    # co-occurring entities scored 0.1 are not related: only the pair over min_score is
    assert [(r.head.text, r.tail.text, r.label, r.score) for r in result.relations] == [
        ("Tim Cook", "Apple", "works for", 0.8)]
    assert seqgpt.Model(backend).relations(EN, ["works for"], min_score=0.9).relations == []


def test_relations_from_a_model_without_scores() -> None:
    backend = Scripted(PEOPLE, {compose.relation_text(EN, "Jack Ma", "Beijing") + "|located in":
                                1.0}, scored=False)
    result = seqgpt.Model(backend).relations(EN, ["works for", "located in"], TYPES["en"])
    assert [(r.head.text, r.tail.text, r.label, r.score) for r in result.relations] == [
        ("Jack Ma", "Beijing", "located in", 1.0)]


def test_relations_ask_a_scoring_backend_for_independent_label_scores() -> None:
    @dataclass
    class Options:
        threshold: float = 0.5
        multi_label: bool = False

    class Recording(Scripted):
        options = Options()
        seen: list[dict[str, Any]] = []

        def classify(self, texts: list[str], labels: list[str],
                     **options: Any) -> list[Classification]:
            self.seen.append(options)
            return super().classify(texts, labels)

    backend = Recording(PEOPLE)
    seqgpt.Model(backend).relations(EN, ["works for"], TYPES["en"])
    assert backend.seen == [{"multi_label": True}]


def test_relations_from_labels_without_scores() -> None:
    class Unscored(Scripted):
        def classify(self, texts: list[str], labels: list[str],
                     **options: Any) -> list[Classification]:
            return [Classification(t, labels[:1] if t.endswith("Apple") else [],
                                   dict.fromkeys(labels)) for t in texts]

    result = seqgpt.Model(Unscored(PEOPLE)).relations(EN, ["works for"], TYPES["en"])
    assert {(r.head.text, r.tail.text, r.score) for r in result.relations} == {
        (other, "Apple", None) for other in ("Tim Cook", "Jack Ma", "Beijing")}


def test_relation_signatures_restrict_pairs_and_name_the_entity_types() -> None:
    backend = Scripted(PEOPLE)
    model = seqgpt.Model(backend)
    model.relations(EN, {"works for": ("person", "organization")})
    assert backend.calls[0][2] == ["person", "organization"]
    assert sorted(backend.calls[1][1]) == sorted(
        compose.relation_text(EN, p, "Apple") for p in ("Tim Cook", "Jack Ma"))


def test_relations_batch_across_texts_and_classify_each_pair_text_once() -> None:
    backend = Scripted(PEOPLE)
    texts = [EN, "Tim Cook and Jack Ma.", EN]
    results = seqgpt.Model(backend).relations(texts, ["works for"], TYPES["en"])
    assert [r.text for r in results] == texts
    assert [kind for kind, _, _ in backend.calls] == ["extract", "classify"]
    assert len(backend.calls[1][1]) == len(set(backend.calls[1][1])) == 12 + 2


def test_default_entity_types_follow_each_texts_language() -> None:
    backend = Scripted({"person": ["Tim Cook"], "人名": ["马云"]})
    results = seqgpt.Model(backend).relations(["马云创办了阿里巴巴。", EN], ["founder of"])
    assert [[s.text for s in r.entities] for r in results] == [["马云"], ["Tim Cook"]]
    assert [labels for kind, _, labels in backend.calls if kind == "extract"] == [
        ["人名", "机构名", "地名"], ["person", "organization", "location"]]


def test_given_entities_skip_extraction_and_are_checked() -> None:
    backend = Scripted({})
    model = seqgpt.Model(backend)
    result = model.relations(EN, ["works for"], entities=[(0, 8, "person"), Span("org", "Apple",
                                                                              21, 26)])
    assert [kind for kind, _, _ in backend.calls] == ["classify"]
    assert [e.label for e in result.entities] == ["person", "org"]
    with pytest.raises(TaskInputError, match=r"entities\[1\].*outside the text"):
        model.relations(EN, ["works for"], entities=[(0, 8), (60, 999)])
    with pytest.raises(TaskInputError, match=r"entities\[0\] says 'Apple'"):
        model.relations(EN, ["works for"], entities=[Span("org", "Apple", 0, 5)])


def test_candidate_pairs_are_pruned_by_distance_and_count() -> None:
    mentions = [Span("x", f"m{i}", 10 * i, 10 * i + 2) for i in range(30)]
    pairs, skipped = tasks.candidate_pairs(mentions, max_distance=25, max_pairs=1000)
    assert all(abs(h.start - t.start) <= 20 for h, t in pairs)
    assert len(pairs) == 2 * (29 + 28) and skipped == 0  # neighbours up to 2 apart
    pairs, skipped = tasks.candidate_pairs(mentions, max_distance=1000, max_pairs=50)
    assert len(pairs) == 50 and skipped == 30 * 29 - 50
    assert max(abs(h.start - t.start) for h, t in pairs) == 10  # the closest pairs first
    apples = [Span("x", "Apple", 0, 5), Span("x", "Apple", 12, 17), Span("x", "pie", 2, 5)]
    # never a pair of the same string; a repeated string pairs at its closest occurrence
    assert [(h.start, t.start) for h, t in tasks.candidate_pairs(apples)[0]] == [(0, 2), (2, 0)]


def test_event_arguments_use_the_event_text_and_stay_in_the_sentence() -> None:
    text = "Apple bought Beats for $3 billion."
    backend = Scripted({"acquisition": ["bought"], "buyer": ["Apple"], "target": ["Beats"],
                        "price": ["$3 billion"], "date": ["acquisition"]})
    result = seqgpt.Model(backend).events(text, {"acquisition": ["buyer", "target", "price",
                                                                  "date"]})
    assert backend.calls[1][1] == [compose.event_text(text, "acquisition", "bought")]
    (event,) = result.events
    assert event.trigger == Span("acquisition", "bought", 6, 12, 0.9)
    assert {role: [s.text for s in spans] for role, spans in event.arguments.items()} == {
        "buyer": ["Apple"], "target": ["Beats"], "price": ["$3 billion"], "date": []}


def test_events_ask_a_span_typing_model_to_leave_typing_to_its_head() -> None:
    class Recording(Scripted):
        def extract(self, texts: list[str], labels: list[str],
                    **options: Any) -> list[Extraction]:
            self.options = [*getattr(self, "options", []), options]
            return super().extract(texts, labels, **options)

    class Typing(Recording):
        """Like the compact backend, it can re-type spans by their words."""

        def typed(self) -> None: ...

    phrases = {"acquisition": ["bought"], "buyer": ["Apple"]}
    schema = {"acquisition": ["buyer"]}
    typing, chosen, plain = Typing(phrases), Typing(phrases), Recording(phrases)
    seqgpt.Model(typing).events("Apple bought Beats.", schema, threshold=0.3)
    assert typing.options == [{"span_typing_weight": 0.0, "threshold": 0.3}] * 2
    seqgpt.Model(chosen).events("Apple bought Beats.", schema, span_typing_weight=0.5)
    assert chosen.options == [{"span_typing_weight": 0.5}] * 2  # the caller's choice stands
    seqgpt.Model(plain).events("Apple bought Beats.", schema, threshold=0.3)
    assert plain.options == [{"threshold": 0.3}] * 2  # no option a backend cannot read


def test_answers_use_the_question_as_label_and_can_be_none() -> None:
    context = "Tim Cook visited Beijing."
    question = "Who visited, and where?"
    backend = Scripted({prompt.sanitize_label(question): ["Tim Cook"]})
    answers = seqgpt.Model(backend).answer(context, [question, "What is the price?"])
    # each question is its own label set: no question shares a label group with another
    assert [call[2] for call in backend.calls] == [["Who visited; and where?"],
                                                   ["What is the price?"]]
    assert answers[0].text == "Tim Cook" and answers[0].question == question
    assert answers[1].span is None and answers[1].to_dict() == {
        "question": "What is the price?", "answer": None}
    backend.calls.clear()
    many = seqgpt.Model(backend).answer([context, "Nothing here.", context],
                                        [question, [question], ["What is the price?"]])
    assert [type(a).__name__ for a in many] == ["Answer", "list", "list"]
    # contexts asked the same question share a call
    assert [(call[1], call[2]) for call in backend.calls] == [
        ([context, "Nothing here."], ["Who visited; and where?"]),
        ([context], ["What is the price?"])]


class Retrieving:
    """A backend that scores spans (it takes a threshold) and carries a sentence encoder whose
    relevance favours the sentences holding ``relevant``."""

    name = "retrieving"

    def __init__(self, scores: dict[str, float], relevant: str) -> None:
        from seqgpt.backends.compact import CompactOptions

        self.options = CompactOptions(threshold=0.5)
        self.scores, self.relevant = scores, relevant
        self.similarity = self
        self.thresholds: list[float] = []

    def extract(self, texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        threshold = self.options.updated(options).threshold
        self.thresholds.append(threshold)
        return [Extraction(text, list(labels), [
            Span(labels[0], phrase, m.start(), m.end(), score)
            for phrase, score in self.scores.items() if score >= threshold
            for m in re.finditer(re.escape(phrase), text)]) for text in texts]

    def relevance(self, questions: list[str], passages: list[str]) -> Any:
        import torch

        return torch.tensor([[0.9 if self.relevant in p else 0.8 for p in passages]
                             for _ in questions])


def test_answers_are_retrieved_then_read_when_the_backend_can() -> None:
    context = "Paris hosted the games in 1900. The tower was finished in 1889."
    backend = Retrieving({"1900": 0.6, "1889": 0.3}, relevant="tower")
    answer = seqgpt.Model(backend).answer(context, "When was the tower finished?")
    # the best-scoring span sits in the sentence E5 finds irrelevant: the other one wins
    assert answer.text == "1889" and backend.thresholds == [tasks.reading.CANDIDATE_FLOOR]
    # answered at all only when some span reaches the extract threshold (the user's or the
    # backend's), even though low-scoring candidates were found
    quiet = seqgpt.Model(Retrieving({"1900": 0.3, "1889": 0.2}, relevant="tower"))
    assert quiet.answer(context, "When was the tower finished?").span is None
    assert quiet.answer(context, "When?", threshold=0.25).text == "1889"


def test_a_sentence_answer_is_the_sentence_holding_the_span() -> None:
    context = "Paris hosted the games in 1900. The tower was finished in 1889."
    nlu = seqgpt.Model(Scripted({"When?": ["1889"]}))
    answers = nlu.answer(context, ["When?", "Who?"], unit="sentence")
    assert answers[0].span == Span("When?", "The tower was finished in 1889.", 32, 63, 0.9)
    assert answers[1].span is None
    crossing = seqgpt.Model(Scripted({"What?": ["1900. The tower"]}))
    assert crossing.answer(context, "What?", unit="sentence").text == context
    with pytest.raises(TaskInputError, match="unit must be one of auto, span, clause, sentence"):
        nlu.answer(context, "When?", unit="paragraph")
    # a clause is chosen by a sentence encoder, which this backend lacks; auto keeps the span
    with pytest.raises(TaskInputError, match="unit='clause' needs a model with a sentence"):
        nlu.answer(context, "When?", unit="clause")
    asked = seqgpt.Model(Scripted({"Is it old?": ["1889"]}))
    assert asked.answer(context, "Is it old?").text == "1889"


def test_an_opinion_is_answered_with_the_clause_that_answers_it_best() -> None:
    context = "The screen is bright. Battery life is poor, it barely lasts a day. Made in 2021."
    nlu = seqgpt.Model(Retrieving({"poor": 0.6}, relevant="Battery"))
    # a question about what something is like: the clause E5 ranks first, with the span's score
    assert nlu.answer(context, "How is the battery?").span == Span(
        "How is the battery?", "Battery life is poor", 22, 42, 0.6)
    assert nlu.answer(context, "How is the battery?", unit="span").text == "poor"
    # a question for a name or a number keeps its span, unless a clause is asked for
    dated = seqgpt.Model(Retrieving({"2021": 0.7}, relevant="Battery"))
    assert dated.answer(context, "When was it made?").text == "2021"
    assert dated.answer(context, "When was it made?", unit="clause").text == (
        "Battery life is poor")
    # an unanswered question stays unanswered whatever the unit
    quiet = seqgpt.Model(Retrieving({"poor": 0.2}, relevant="Battery"))
    assert quiet.answer(context, "Is the battery good?").span is None


class Favouring:
    """A sentence encoder whose relevance favours the passages holding ``word``."""

    def __init__(self, word: str) -> None:
        self.word = word

    def relevance(self, questions: list[str], passages: list[str]) -> Any:
        import torch

        return torch.tensor([[0.6 if self.word in p else 0.3 for p in passages]
                             for _ in questions])


def test_english_opinions_take_the_clause_minilm_ranks_first() -> None:
    context = "The screen is bright. Battery life is poor, it barely lasts a day. Made in 2021."
    backend = Retrieving({"poor": 0.6}, relevant="Battery")
    backend.minilm = Favouring("barely")  # type: ignore[attr-defined]
    nlu = seqgpt.Model(backend)
    assert nlu.answer(context, "How is the battery?").text == "it barely lasts a day."
    # E5 ranks the clauses of a text MiniLM cannot read
    chinese = "屏幕很亮。电池很差，只能用一天。"
    backend.scores = {"差": 0.6}
    backend.relevant = "电池"
    assert nlu.answer(chinese, "电池怎么样？").text == "电池很差"


class Reader(Retrieving):
    """A backend with an answer reader that finds ``phrase`` with score ``score`` for every
    question (and reads the clause holding it as the answer), E5 favouring the sentences
    holding ``relevant`` and MiniLM the clauses holding ``liked``."""

    reads_answers = True

    def __init__(self, phrase: str, score: float, relevant: str, liked: str) -> None:
        from seqgpt.backends.compact import CompactOptions

        super().__init__({}, relevant)
        self.options = CompactOptions(answer_threshold=0.9, clause_threshold=0.6)
        self.phrase, self.score = phrase, score
        self.minilm = Favouring(liked)

    def read(self, questions: list[str], contexts: list[str], **options: Any) -> list[Any]:
        return [ClauseReading(c.index(self.phrase), c.index(self.phrase) + len(self.phrase),
                              self.score, context=c) if self.phrase in c else None
                for c in contexts]


@dataclass(frozen=True)
class ClauseReading(Reading):
    """A reading that reads the spans holding its own span as the answer."""

    context: str = ""

    def margins(self, spans: list[tuple[int, int]]) -> Any:
        import torch

        phrase = self.context[self.start:self.end]
        return torch.tensor([10.0 if phrase in self.context[s:e] else 0.0 for s, e in spans])


def test_minilm_answers_an_english_opinion_question_the_reader_doubts() -> None:
    context = "The screen is bright. Battery life is poor, it barely lasts a day. Made in 2021."
    nlu = seqgpt.Model(Reader("poor", 0.2, relevant="Battery", liked="barely"))
    # below answer_threshold, yet MiniLM's best clause reaches clause_threshold (0.6): answered
    # with that clause, the reader's score kept
    assert nlu.answer(context, "How is the battery?").span == Span(
        "How is the battery?", "it barely lasts a day.", 44, 66, 0.2)
    assert nlu.answer(context, "How is the battery?", clause_threshold=1.0).span is None
    assert nlu.answer(context, "How is the battery?", unit="span").span is None
    assert nlu.answer(context, "When was it made?").span is None  # not an opinion question
    doubtful = seqgpt.Model(Reader("poor", 0.2, relevant="Battery", liked="never said"))
    assert doubtful.answer(context, "How is the battery?").span is None  # best cosine 0.3
    # E5's cosines (Chinese text) never answer a question the reader leaves unanswered
    chinese = seqgpt.Model(Reader("差", 0.2, relevant="电池", liked="电池"))
    assert chinese.answer("屏幕很亮。电池很差，只能用一天。", "电池怎么样？").span is None
    # a sure reader answers whatever the cosines; where MiniLM cannot choose, the reader's
    # reading of each clause as the answer does
    sure = seqgpt.Model(Reader("poor", 0.95, relevant="Battery", liked="never said"))
    assert sure.answer(context, "How is the battery?").span == Span(
        "How is the battery?", "Battery life is poor", 22, 42, 0.95)
    tied = seqgpt.Model(Reader("poor", 0.95, relevant="Battery", liked=" is "))
    assert tied.answer(context, "How is the battery?").text == "Battery life is poor"
    tied.backend.phrase = "bright"  # type: ignore[attr-defined]
    assert tied.answer(context, "How is the battery?").text == "The screen is bright."
    with pytest.raises(SeqGPTError, match="clause_threshold must be a number"):
        nlu.answer(context, "How is the battery?", clause_threshold=1.5)
    # a question no form marks as an opinion: a clause about a text in the first person, the
    # reader's span about one that is not
    review = "I like the screen. My battery life is poor, it barely lasts a day."
    assert sure.answer(review, "What is the battery life?").text == "My battery life is poor"
    assert sure.answer(context, "What is the battery life?").text == "poor"
    assert sure.answer(review, "Where is the battery?").text == "poor"  # asks a place


@pytest.mark.parametrize(("question", "opinion"), [
    ("How is the battery?", True), ("how was the food", True), ("Does the plot hold up?", True),
    ("Isn't it too long?", True), ("What do you think of the story?", True),
    ("这家酒店怎么样？", True), ("房间干净吗？", True),
    ("How was the gorge formed?", False), ("How many rooms are there?", False),
    ("When was it built?", False), ("What is the book about?", False),
    ("Who wrote it?", False), ("锣鼓经是什么？", False)])
def test_questions_asking_an_opinion_or_a_yes_or_no_are_told_apart(question: str,
                                                                     opinion: bool) -> None:
    assert tasks.reading.asks_opinion(question) is opinion


REVIEW = "We stayed two nights. I loved the view, and my room was quiet."
ARTICLE = "The hotel opened in 1920. It has 300 rooms and overlooks the bay."


@pytest.mark.parametrize(("question", "context", "statement"), [
    ("What is the customer service?", REVIEW, True),
    ("What is the customer service?", ARTICLE, False),
    ("How is the view?", ARTICLE, True),  # an opinion question, whatever the text
    ("Where is the hotel?", REVIEW, False), ("How many nights did they stay?", REVIEW, False),
    ("What's the name of the hotel?", REVIEW, False),
    ("What was decided?", "World War I ended in 1918. The US signed no treaty.", False)])
def test_questions_about_first_person_text_want_a_statement_unless_they_ask_a_fact(
        question: str, context: str, statement: bool) -> None:
    assert tasks.reading.wants_statement(question, context) is statement


def test_prose_sentences_end_at_full_stops_and_line_breaks() -> None:
    from seqgpt.data.sentences import sentence_bounds

    text = "It costs 2.5 dollars. Nice!\n第一句。第二句"
    assert [text[s:e] for s, e in sentence_bounds(text, prose=True)] == [
        "It costs 2.5 dollars.", "Nice!", "第一句。", "第二句"]
    assert [text[s:e] for s, e in sentence_bounds(text)] == [
        "It costs 2.5 dollars. Nice!", "第一句。", "第二句"]


def test_clauses_are_sentences_cut_at_commas_semicolons_colons_and_but() -> None:
    from seqgpt.data.sentences import clause_bounds

    text = "Good screen, but the battery: poor; it costs 1,000 dollars. 屏幕很亮，电池很差。"
    assert [text[s:e] for s, e in clause_bounds(text)] == [
        "Good screen", "but the battery", "poor", "it costs 1,000 dollars.", "屏幕很亮",
        "电池很差。"]


def test_an_answer_does_not_depend_on_the_other_questions_asked_with_it(
        default_nlu: seqgpt.Model) -> None:
    nlu = default_nlu
    context = "Tim Cook visited Beijing in May."
    questions = ["Who visited Beijing?", "When?", "Where did Tim Cook go?"]
    alone = [nlu.answer(context, q).span for q in questions]
    together = [a.span for a in nlu.answer(context, questions)]
    assert together == alone
    assert alone[0] is not None and alone[0].text == "Tim Cook"
    assert [a.span for a in nlu.answer([context, "Nothing.", context],
                                       [questions, ["When?"], questions[::-1]])[2]] == alone[::-1]


def test_extract_json_validates_whatever_the_model_finds() -> None:
    text = "Tim Cook works for Apple. Jack Ma founded Alibaba in Hangzhou."
    schema = {"person": {"name": "string", "employer": "string", "cities": "array"},
              "company": "array", "founding_date": "string"}
    backend = Scripted({"person": ["Tim Cook", "Jack Ma"], "company": ["Apple", "Alibaba"],
                        "employer": ["Apple"], "cities": ["Hangzhou"]})
    result = seqgpt.Model(backend).extract_json(text, schema)
    assert backend.calls[0][2] == ["person", "company", "founding date"]
    assert result.data["company"] == ["Apple", "Alibaba"]
    assert result.data["founding_date"] is None
    assert result.data["person"] == [
        {"name": None, "employer": "Apple", "cities": ["Hangzhou"]}] * 2
    assert backend.calls[1][1] == [compose.event_text(text, "person", p)
                                   for p in ("Tim Cook", "Jack Ma")]
    _validates(result.data, schema)
    paths = {s.label for s in result.spans}
    assert {"person[0]", "person[1].employer", "person[0].cities[0]", "company[1]"} <= paths
    empty = seqgpt.Model(Scripted({})).extract_json(text, schema)
    assert empty.data == {"person": [], "company": [], "founding_date": None}


def test_extract_json_maps_the_mention_in_the_appended_line_back() -> None:
    text = "Tim Cook spoke."
    composed = compose.event_text(text, "person", "Tim Cook")
    backend = Scripted({"person": ["Tim Cook"]})
    real = backend.extract

    def extract(texts: list[str], labels: list[str], **options: Any) -> list[Extraction]:
        if texts == [composed]:  # the model answers with the mention in the appended line
            start = len(composed) - len("Tim Cook")
            return [Extraction(composed, labels, [Span("name", "Tim Cook", start,
                                                       len(composed), 0.7)])]
        return real(texts, labels)

    backend.extract = extract  # type: ignore[method-assign]
    result = seqgpt.Model(backend).extract_json(text, {"person": ["name"]})
    assert result.data == {"person": [{"name": "Tim Cook"}]}
    assert Span("person[0].name", "Tim Cook", 0, 8, 0.7) in result.spans


def test_entity_type_prefers_the_extracted_span_then_classifies_the_mention() -> None:
    backend = Scripted({"city": ["Beijing"]}, {"Monday|date": 0.7})
    model = seqgpt.Model(backend)
    typed = model.entity_type([EN, EN], ["Beijing", "Monday"], ["city", "date"])
    assert [(t.mention, t.label) for t in typed] == [("Beijing", "city"), ("Monday", "date")]
    assert backend.calls[-1] == ("classify", ["Monday"], ["city", "date"])


def test_generative_answers_flow_through_the_tasks(tiny_nlu: seqgpt.Model,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The tiny model's ``generate`` replaced by upstream-format answers: unscored spans and
    classifications go through every task's decision rules."""
    def answer(requests: list[tuple[str, list[str]]], task: str, options: dict[str, Any]):
        replies = []
        for text, labels in requests:
            if task == "classify":
                replies.append("works for" if text.endswith("Tim Cook -> Apple") else "None")
            else:
                replies.append("\n".join(f"{label}: {PEOPLE.get(label, ['None'])[0]}"
                                         for label in labels))
        return replies, [False] * len(requests)

    monkeypatch.setattr(tiny_nlu.backend, "_generate", answer)
    result = tiny_nlu.relations(EN, ["works for"], ["person", "organization"])
    assert [(r.head.text, r.tail.text, r.label, r.score) for r in result.relations] == [
        ("Tim Cook", "Apple", "works for", 1.0)]  # a generator's chosen label scores 1
    assert tiny_nlu.entity_type(EN, "Apple", ["organization", "city"]).label == "organization"


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda m: m.events(EN, {"attack": ["attacker", 3]}), r"schema\['attack'\].*labels\[1\]"),
    (lambda m: m.events(EN, {"attack": "attacker"}) and m.events(EN, {"": ["x"]}),
     r"schema \(event types\)"),
    (lambda m: m.events(EN, []), r"schema must be a non-empty mapping"),
    (lambda m: m.answer(EN, ["Who?", "  "]), r"questions\[1\] is empty"),
    (lambda m: m.answer([EN, EN], ["Who?"]), r"one entry per context \(2\)"),
    (lambda m: m.entity_type(EN, (5, 500), ["city"]), r"span \(5, 500\) is outside the text"),
    (lambda m: m.entity_type(EN, "Paris", ["city"]), r"span 'Paris' does not occur"),
    (lambda m: m.relations(EN, {"works for": ("person",)}), r"relation_types\['works for'\]"),
    (lambda m: m.relations(EN, ["works for"], min_score=2), r"min_score"),
    (lambda m: m.relations(EN, ["a,b"]), r"relation_types"),
    (lambda m: m.nli([EN, EN], ["x"]), r"same length"),
    (lambda m: m.slots(EN, ["date"], []), r"intents"),
    (lambda m: m.ner("", ["person"]), r"text is empty"),
    (lambda m: m.extract_json(EN, {"person": {"age": "number"}}),
     r"schema\['person'\]\['age'\]: unknown type 'number'"),
    (lambda m: m.extract_json(EN, {"birth_date": "string", "birth date": "array"}),
     r"same label"),
    (lambda m: m.extract_json(EN, {"person": []}), r"schema\['person'\] has no fields"),
])
def test_bad_input_names_the_field(call, message: str) -> None:
    model = seqgpt.Model(Scripted(PEOPLE))
    with pytest.raises(TaskInputError, match=message) as error:
        call(model)
    assert isinstance(error.value, SeqGPTError)
