"""The answer reader: its windows and targets, how it picks a span or "no answer", how a model
folder carries it, how ``answer()`` uses it, and its trainer's run folder."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

from seqgpt.api import DEFAULT_MODEL, Model
from seqgpt.backends.compact import CompactBackend, save
from seqgpt.data.instance import AtomicInstance
from seqgpt.model import qa as qa_model
from seqgpt.model.qa import QA, QAReader, Reading, Window
from seqgpt.train import qa
from seqgpt.types import SeqGPTError, Span

CONTEXT = ("The Eiffel Tower was finished in 1889. It stands in Paris and is 330 metres tall. "
           "Gustave Eiffel's company designed and built it for the World's Fair.")


@pytest.fixture(scope="module")
def reader() -> QAReader:
    torch.manual_seed(0)
    model = QAReader.pretrained(train_layers=1)
    with torch.no_grad():  # a head that is not uniform, so positions differ
        model.head.weight.normal_(0, 1.0)
    return model.eval()


def _question(question: str, answers: list[str], context: str = CONTEXT) -> AtomicInstance:
    spans = [Span(question, a, context.index(a), context.index(a) + len(a)) for a in answers]
    return AtomicInstance(text=context, task="extract", labels=[question], dataset="squad",
                          split="train", language="en", spans=spans)


def test_windows_cover_a_long_context_with_overlap(reader: QAReader,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa_model, "MAX_TOKENS", 40)
    monkeypatch.setattr(qa_model, "STRIDE", 8)
    windows = reader.windows("When was it finished?", CONTEXT)
    assert len(windows) > 1
    ids, offsets = reader.context_tokens(CONTEXT)
    seen = [c for w in windows for c in w.chars if c is not None]
    assert set(seen) == set(offsets)  # every context token is read
    assert len(seen) > len(offsets)  # consecutive windows share tokens
    assert all(len(w.input_ids) <= 40 and len(w.input_ids) == len(w.chars) for w in windows)


def test_targets_point_at_the_answer_or_at_no_answer(reader: QAReader,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa_model, "MAX_TOKENS", 40)
    monkeypatch.setattr(qa_model, "STRIDE", 8)
    [asked] = qa.questions([_question("When was it finished?", ["1889"])], reader)
    held = [(w, t) for w, t in zip(asked.windows, asked.targets, strict=True) if t != (0, 0)]
    assert held and len(held) < len(asked.windows)  # other windows are "no answer"
    for window, (start, end) in held:
        first, last = window.chars[start], window.chars[end]
        assert first is not None and last is not None
        assert CONTEXT[first[0]:last[1]].strip() == "1889"
    [none] = qa.questions([_question("Who painted it?", [])], reader)
    assert set(none.targets) == {(0, 0)}
    rng = __import__("random").Random(0)
    assert {qa.pick(asked, rng, 0.0) for _ in range(20)} <= {
        n for n, t in enumerate(asked.targets) if t != (0, 0)}
    assert asked.targets[qa.pick(asked, rng, 1.0)] == (0, 0)
    # a question longer than the reader takes is left out of training, and refused when asked
    long = "why " * qa_model.MAX_QUESTION_TOKENS
    assert qa.questions([_question(long, ["1889"])], reader) == []
    with pytest.raises(SeqGPTError, match="tokens long"):
        reader.windows(long, CONTEXT)


def test_best_span_beats_no_answer_or_not() -> None:
    chars: list[tuple[int, int] | None] = [None, None, (0, 3), (4, 9), (10, 15), None]
    window = Window([0] * 6, chars)
    scores = torch.full((6, 2), -5.0)
    scores[3, 0], scores[4, 1] = -0.1, -0.2  # the span "words 3..4"
    scores[2, 1] = -0.01  # the best end, but before the best start: never a span
    margin, reading = qa_model._best_span(scores, window)
    assert (reading.start, reading.end) == (4, 15)
    assert margin == pytest.approx(-0.3 + 10.0)
    assert reading.score == pytest.approx(torch.sigmoid(torch.tensor(9.7)).item())
    scores[0] = 0.0  # "no answer" wins
    assert qa_model._best_span(scores, window)[1].score < 0.5


def test_read_gives_a_span_of_each_context(reader: QAReader) -> None:
    readings = reader.read(["When was it finished?", "谁设计了它？"],
                           [CONTEXT, "埃菲尔铁塔在巴黎。"])
    for reading, context in zip(readings, [CONTEXT, "埃菲尔铁塔在巴黎。"], strict=True):
        assert reading is not None and 0 <= reading.start < reading.end <= len(context)
        assert 0.0 < reading.score < 1.0


def test_span_margins_read_a_given_span_against_no_answer(reader: QAReader) -> None:
    question, start = "When was it finished?", CONTEXT.index("1889")
    margins = reader.span_margins([question, question], [CONTEXT, CONTEXT],
                                  [(start, start + 4), (4, 11)])
    (window,) = reader.windows(question, CONTEXT)
    inputs = reader.batch([window])
    with torch.inference_mode():
        row = reader.log_probs(reader(inputs["input_ids"], inputs["attention_mask"]),
                               inputs["allowed"])[0]
    tokens = [t for t, c in enumerate(window.chars)
              if c is not None and c[0] < start + 4 and start < c[1]]
    expected = row[tokens[0], 0] + row[tokens[-1], 1] - row[0, 0] - row[0, 1]
    assert margins[0] == pytest.approx(float(expected), abs=1e-4)
    assert margins[1] > -1e4  # "Eiffel": inside the context, so some window holds it
    outside = reader.span_margins([question], ["short"], [(0, 40)])
    assert outside.tolist() == [-1e4]
    # several spans of one question from one reading of its windows: the same margins
    (both,) = reader.spans_margins([question], [CONTEXT], [[(start, start + 4), (4, 11)]])
    assert both.tolist() == pytest.approx(margins.tolist(), abs=1e-4)
    # ... and from the windows a reading kept, without reading again
    (reading,) = reader.read([question], [CONTEXT])
    assert reading is not None and len(reading.windows) == 1
    assert reading.margins([(start, start + 4), (4, 11)]).tolist() == pytest.approx(
        margins.tolist(), abs=1e-4)
    long = " ".join([CONTEXT] * 40)  # several windows: a span is read where one holds it
    (far,) = reader.read([question], [long])
    assert far is not None and len(far.windows) > 1
    end = long.rindex("1889")
    assert far.margins([(end, end + 4)]).tolist() == pytest.approx(
        reader.span_margins([question], [long], [(end, end + 4)]).tolist(), abs=1e-4)


def test_a_folder_with_a_reader_answers_with_it(reader: QAReader, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.qa_state = {k: v.half() for k, v in reader.trained_state().items()}
    save(backend.model, tmp_path / "with_qa")
    assert (tmp_path / "with_qa" / QA).is_file()
    loaded = CompactBackend.from_folder(tmp_path / "with_qa")
    assert loaded.reads_answers
    nlu = Model(loaded)
    real = nlu.answer(CONTEXT, "When was it finished?")
    assert real.span is None or real.span.text == CONTEXT[real.span.start:real.span.end]

    asked: list[tuple[str, str]] = []

    def read(questions: list[str], contexts: list[str], **options: object) -> list[Reading]:
        asked.extend(zip(questions, contexts, strict=True))
        found = {"When was it finished?": Reading(32, 38, 0.9),  # " 1889." with its space
                 "Who painted it?": Reading(0, 3, 0.2)}
        return [found[q] for q in questions]

    monkeypatch.setattr(loaded, "read", read)
    answers = nlu.answer([CONTEXT, CONTEXT], [["When was it finished?", "Who painted it?"],
                                              "When was it finished?"])
    assert asked == [("When was it finished?", CONTEXT), ("Who painted it?", CONTEXT),
                     ("When was it finished?", CONTEXT)]
    first, second = answers[0]
    assert first.text == "1889." and first.span.start == 33 and first.span.score == 0.9
    assert second.span is None  # below the answer threshold
    assert answers[1].text == "1889."
    lenient = nlu.answer(CONTEXT, "Who painted it?", answer_threshold=0.1)
    assert lenient.text == "The"
    sentence = nlu.answer(CONTEXT, "When was it finished?", unit="sentence")
    assert sentence.text == "The Eiffel Tower was finished in 1889."
    with pytest.raises(SeqGPTError, match="answer_threshold must be a number"):
        nlu.answer(CONTEXT, "When was it finished?", answer_threshold=2)
    # extraction with a question as the label (SeqGPT's reading comprehension) asks the reader
    asked.clear()
    found = nlu.extract(CONTEXT, ["When was it finished?", "Who painted it?", "city"])
    assert asked == [("When was it finished?", CONTEXT), ("Who painted it?", CONTEXT)]
    assert [(s.label, s.text, s.score) for s in found.spans if s.label != "city"] == [
        ("When was it finished?", "1889.", 0.9)]
    assert [s.start for s in found.spans] == sorted(s.start for s in found.spans)
    asked.clear()
    own = nlu.extract(CONTEXT, ["When was it finished?"], answer_questions=False)
    assert asked == [] and own.labels == ["When was it finished?"]

    # relation texts, pair given: the reader's reading of the tail as the answer to
    # "What is the {relation} of {head}?" takes relation_question_weight of the cosine term
    asked_about: list[list[str]] = []

    def tail_answers(pairs: list[tuple[str, str, str]], labels: list[str],
                     opts: object) -> torch.Tensor:
        asked_about.append(list(labels))
        return torch.tensor([[0.0, 50.0]] * len(pairs))  # sure of the second name

    monkeypatch.setattr(loaded, "tail_answers", tail_answers)
    pair = "Gustave Eiffel's company built the Eiffel Tower.\nEiffel Tower -> Gustave Eiffel"
    names = ["architect", "country of origin"]
    plain = nlu.classify(pair, names, similarity_weight=0.85)
    steered = nlu.classify(pair, names, similarity_weight=0.85, relation_question_weight=1.0)
    assert asked_about == [names]  # asked only where the weight is above 0
    assert steered.labels == ["country of origin"]
    assert steered.scores["country of origin"] > plain.scores["country of origin"]

    # the questions behind tail_answers: the span of the tail, in the sentence's language
    read_out: list[tuple[str, str, tuple[int, int]]] = []

    def span_margins(questions: list[str], contexts: list[str],
                     spans: list[tuple[int, int]], **options: object) -> torch.Tensor:
        read_out.extend(zip(questions, contexts, spans, strict=True))
        return torch.zeros(len(questions))

    monkeypatch.undo()
    monkeypatch.setattr(loaded.qa, "span_margins", span_margins)
    zh = ("华为的创始人是任正非。", "华为", "任正非")
    en = ("Gustave Eiffel's company built the Eiffel Tower.", "Eiffel Tower", "Gustave Eiffel")
    margins = loaded.tail_answers([zh, en], ["创始人", "architect"], loaded.options)
    assert margins.shape == (2, 2)
    assert read_out == [
        ("华为的创始人是什么？", zh[0], (7, 10)), ("华为的architect是什么？", zh[0], (7, 10)),
        ("What is the 创始人 of Eiffel Tower?", en[0], (0, 14)),
        ("What is the architect of Eiffel Tower?", en[0], (0, 14))]


def test_folder_without_a_reader_says_how_to_get_one() -> None:
    backend = CompactBackend.from_folder(DEFAULT_MODEL)
    backend.model.qa_state = None
    assert not backend.reads_answers
    with pytest.raises(SeqGPTError, match="seqgpt.train.qa"):
        _ = backend.qa


def test_training_keeps_the_best_step_and_resumes(reader: QAReader, tmp_path: Path) -> None:
    data = qa.questions([_question("When was it finished?", ["1889"]),
                         _question("Who painted it?", [])], reader)
    args = qa.QAArgs(steps=2, batch_size=2, warmup=1, train_layers=1, save_every=1, log_every=1)
    scores = iter([1.0, 0.5, 2.0])
    fresh = copy.deepcopy(reader)  # one E5 load for the module, not one per run
    path = qa.train(data, fresh, tmp_path, args, lambda model: next(scores))
    from safetensors.torch import load_file

    first = load_file(str(path))
    assert all(k.startswith(("head.", "encoder.encoder.layer.11.")) for k in first)
    again = copy.deepcopy(reader)
    qa.train(data, again, tmp_path, qa.QAArgs(steps=3, batch_size=2, warmup=1, train_layers=1,
                                              save_every=1, log_every=1),
             lambda model: next(scores))
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").open()]
    assert [r["dev"] for r in records if "dev" in r] == [1.0, 0.5, 2.0]  # resumed at step 2
    assert not torch.equal(load_file(str(path))["head.weight"], first["head.weight"])
    loaded = QAReader.from_state(load_file(str(path)))
    assert loaded.split == 11


def test_a_resumed_run_repeats_an_unbroken_one(reader: QAReader, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qa_model, "MAX_TOKENS", 40)  # several windows per question to pick from
    monkeypatch.setattr(qa_model, "STRIDE", 8)
    args = qa.QAArgs(steps=3, batch_size=2, warmup=1, train_layers=1, save_every=1, log_every=1,
                     negative_rate=0.5)

    def run(out: Path, stop_at: int | None = None, first_step: int = 1) -> None:
        model = copy.deepcopy(reader)
        data = qa.questions([_question("When was it finished?", ["1889"]),
                             _question("Who designed it?", ["Gustave Eiffel's company"]),
                             _question("How tall is it?", ["330 metres"])], model)
        steps = iter(range(first_step, 10))

        def evaluate(_: QAReader) -> float:  # later is better: each run keeps its last step
            step = next(steps)
            if step == stop_at:
                raise KeyboardInterrupt  # killed after the previous step's checkpoint
            return float(step)

        qa.train(data, model, out, args, evaluate)

    run(tmp_path / "unbroken")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", stop_at=3)
    run(tmp_path / "resumed", first_step=3)
    from safetensors.torch import load_file

    unbroken = load_file(str(tmp_path / "unbroken" / QA))
    resumed = load_file(str(tmp_path / "resumed" / QA))
    assert unbroken.keys() == resumed.keys()
    assert all(torch.equal(unbroken[k], resumed[k]) for k in unbroken)


@pytest.mark.parametrize(("data", "message"), [
    ("drcd", "drcd is a zero-shot dev dataset"),
    ("missing.jsonl", "missing.jsonl: no such file"),
])
def test_command_refuses_dev_sets_and_missing_files(data: str, message: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["qa", "--data", data, "--out", str(tmp_path / "r")])
    with pytest.raises(SystemExit):
        qa.main()
    assert message in capsys.readouterr().err


def test_hard_negatives_ask_the_question_of_the_closest_other_context() -> None:
    other = "Paris has many towers; the Eiffel Tower is the tallest one in the city."
    far = "Rice grows in flooded fields across southern China."
    questions = [_question("When was the Eiffel Tower finished?", ["1889"]),
                 _question("What grows in flooded fields?", ["Rice"], far),
                 _question("Which city has many towers?", ["Paris"], other)]
    negatives = qa.hard_negatives(questions, rate=1.0)
    asked = {n.labels[0]: n.text for n in negatives}
    assert all(not n.spans and n.dataset == "squad" for n in negatives)
    # the closest context that holds no answer: not the question's own, not one with "1889"
    assert asked["When was the Eiffel Tower finished?"] == other
    assert asked["Which city has many towers?"] == far  # CONTEXT says "Paris": skipped
    assert qa.hard_negatives(questions, rate=0.0) == []


def test_a_run_can_start_from_a_saved_reader(reader: QAReader, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from seqgpt.model.top_layers import int8_state
    from seqgpt.train.loop import reader_model

    path = tmp_path / QA
    save_file(int8_state(reader.trained_state()), str(path))
    warm = reader_model(QAReader, qa.QAArgs(train_layers=1, init=str(path)))
    assert warm.training and warm.split == 11
    assert torch.allclose(warm.head.weight, reader.head.weight, atol=0.05)
    with pytest.raises(SeqGPTError, match="pass --train-layers 1"):
        reader_model(QAReader, qa.QAArgs(train_layers=6, init=str(path)))
    with pytest.raises(SeqGPTError, match="no such file"):
        reader_model(QAReader, qa.QAArgs(train_layers=1, init=str(tmp_path / "none")))
