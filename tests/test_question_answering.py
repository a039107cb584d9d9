"""Extractive QA: span selection on hand-made logits, sliding windows and stride, the no-answer decision."""

import itertools
import math

import pytest
import torch

from playground.models.cards import load_catalog
from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.tasks.qa_spans import best_spans, select_answers
from playground.tasks.question_answering import QASettings, answer_question, encode_windows, squad_version

TESLA = ("Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, "
         "Texas. Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning as Tesla Motors.")
FILLER = "The cat sat on the mat. Machine learning models learn from data. " * 6
LATE = FILLER + "The company was started by Marc Tarpenning."


@pytest.fixture(scope="module")
def squad(store):
    return store.get("tiny-distilbert-squad", "question-answering")


@pytest.fixture(scope="module")
def squad2(store):
    return store.get("tiny-roberta-squad2", "question-answering")


# ---- span selection on hand-made logits ------------------------------------------------------------

def test_best_span_on_hand_made_logits():
    # positions: 0 [CLS] | 1-2 question | 3 [SEP] | 4-8 context | 9 [SEP]
    allowed = [False] * 4 + [True] * 5 + [False]
    start = [9.0, 8.0, 0, 0, 1.0, 3.0, 0.5, 0, 0, 9.0]  # huge logits on [CLS], question and [SEP] must be ignored
    end = [9.0, 0, 8.0, 0, 3.5, 0.5, 0, 2.0, 0, 9.0]  # end[4] is big but lies before the best start (5)
    spans = best_spans(start, end, allowed, max_answer_tokens=5, top_n=3)
    assert spans[0] == (5, 7, 5.0)  # start 5 (3.0) + end 7 (2.0); (5, 4) would be 6.5 but ends before it starts
    assert spans[1] == (4, 4, 4.5)
    assert all(allowed[s] and allowed[e] and s <= e for s, e, _ in spans)
    # A tighter length limit removes the 3-token span.
    short = best_spans(start, end, allowed, max_answer_tokens=2, top_n=1)
    assert short == [(4, 4, 4.5)]
    assert best_spans(start, end, allowed, max_answer_tokens=1, top_n=10) == sorted(
        [(i, i, start[i] + end[i]) for i in range(4, 9)], key=lambda s: -s[2])


def test_best_spans_matches_brute_force_on_random_logits():
    g = torch.Generator().manual_seed(0)
    for trial in range(20):
        n = 12
        start, end = torch.randn(n, generator=g).tolist(), torch.randn(n, generator=g).tolist()
        allowed = [i >= 3 and i != n - 1 for i in range(n)]
        max_len, top_n = 1 + trial % 5, 1 + trial % 4
        expected = sorted(((s, e, start[s] + end[e]) for s, e in itertools.product(range(n), range(n))
                           if allowed[s] and allowed[e] and 0 <= e - s < max_len), key=lambda x: -x[2])[:top_n]
        got = best_spans(start, end, allowed, max_len, top_n)
        assert [(s, e) for s, e, _ in got] == [(s, e) for s, e, _ in expected]
        assert [v for *_, v in got] == pytest.approx([v for *_, v in expected], abs=1e-5)


def test_no_valid_span_gives_no_candidates():
    assert best_spans([1.0, 2.0], [1.0, 2.0], [False, False], 5, 3) == []


# ---- windows and stride --------------------------------------------------------------------------

def _context_positions(encoding, w):
    return [i for i, sid in enumerate(encoding.sequence_ids[w]) if sid == 1]


def test_windows_and_stride_cover_a_long_context(squad):
    question = "Who started the company?"
    settings = QASettings(stride=10)
    enc = encode_windows(squad, question, LATE, settings)
    q_len = len(squad.tokenizer(question, add_special_tokens=False)["input_ids"])
    room = enc.max_length - 3 - q_len  # [CLS] q [SEP] c [SEP]
    n = enc.context_tokens
    assert enc.max_length == 64 and n > room
    assert enc.window_count == 1 + math.ceil((n - room) / (room - enc.stride))
    for w in range(enc.window_count):
        assert len(enc.input_ids[w]) <= 64
        ids = enc.input_ids[w]
        assert ids[0] == squad.tokenizer.cls_token_id and ids[-1] == squad.tokenizer.sep_token_id
        assert enc.sequence_ids[w][1:1 + q_len] == (0,) * q_len  # the question is repeated in every window
    # Neighbouring windows share exactly `stride` context tokens, and together they cover every one.
    spans = [[enc.offsets[w][i] for i in _context_positions(enc, w)] for w in range(enc.window_count)]
    for left, right in zip(spans, spans[1:]):
        assert left[-enc.stride:] == right[:enc.stride]
    covered = {span for window in spans for span in window}
    assert len(covered) == n
    assert enc.context[max(e for _, e in covered) - len("Tarpenning."):].startswith("Tarpenning")


def test_answer_past_the_first_window_is_found_in_a_later_window(squad):
    question = "Who started the company?"
    enc = encode_windows(squad, question, LATE, QASettings(stride=10))
    target_start = LATE.index("Marc Tarpenning")
    target_end = target_start + len("Marc Tarpenning")
    assert enc.window_count >= 2
    first_window_end = max(e for (s, e), sid in zip(enc.offsets[0], enc.sequence_ids[0]) if sid == 1)
    assert first_window_end < target_start  # the 64-token model cannot see it in window 1
    starts, ends = [], []
    for w in range(enc.window_count):
        s_logits, e_logits = torch.zeros(len(enc.input_ids[w])), torch.zeros(len(enc.input_ids[w]))
        for i, ((s, e), sid) in enumerate(zip(enc.offsets[w], enc.sequence_ids[w])):
            if sid == 1 and s == target_start:
                s_logits[i] = 10.0
            if sid == 1 and e == target_end:
                e_logits[i] = 10.0
        starts.append(s_logits)
        ends.append(e_logits)
    selection = select_answers(enc, starts, ends, QASettings(), "1.1", squad.tokenizer)
    best, ranked = selection.answer, selection.candidates
    assert best.text == "Marc Tarpenning" and best.window > 1
    assert best.score == pytest.approx(20.0)
    assert len({(c.start, c.end) for c in ranked}) == len(ranked)  # spans seen by two windows are merged
    assert len(selection.windows) == enc.window_count and selection.null_score is None


# ---- no-answer decision --------------------------------------------------------------------------

def _hand_made(enc, cls_scores, span_score):
    """Logits that put `cls_scores[w]` on [CLS] of window w and one span worth `span_score` in window 1."""
    starts, ends = [], []
    for w in range(enc.window_count):
        s, e = torch.full((len(enc.input_ids[w]),), -5.0), torch.full((len(enc.input_ids[w]),), -5.0)
        s[enc.cls_index[w]] = e[enc.cls_index[w]] = cls_scores[w] / 2
        if w == 0:
            first = _context_positions(enc, 0)[0]
            s[first] = e[first + 1] = span_score / 2
        starts.append(s)
        ends.append(e)
    return starts, ends


def test_squad2_says_no_answer_when_the_null_score_wins(squad2):
    enc = encode_windows(squad2, "Who started the company?", LATE, QASettings(stride=10))
    assert enc.window_count >= 2
    high = [8.0] * enc.window_count
    selection = select_answers(enc, *_hand_made(enc, high, 6.0), QASettings(), "2")
    assert selection.answer is None and selection.null_score == pytest.approx(8.0)
    assert "No answer in the context" in selection.decision
    assert selection.candidates[0].score == pytest.approx(6.0)  # the rejected span is still reported
    # The lowest null score over the windows decides: one window confident there *is* an answer is enough.
    mixed = [8.0] + [4.0] * (enc.window_count - 1)
    selection = select_answers(enc, *_hand_made(enc, mixed, 6.0), QASettings(), "2")
    assert selection.answer is not None and selection.answer.score == pytest.approx(6.0)
    assert selection.null_score == pytest.approx(4.0) and "Answer found" in selection.decision


def test_squad11_always_picks_a_span(squad):
    enc = encode_windows(squad, "Who founded Tesla?", TESLA, QASettings())
    selection = select_answers(enc, *_hand_made(enc, [50.0] * enc.window_count, 1.0), QASettings(), "1.1")
    assert selection.answer is not None and selection.null_score is None
    assert "always picks a span" in selection.decision


def test_squad_version_comes_from_the_cards():
    catalog = load_catalog()
    assert squad_version(catalog, "deepset/roberta-base-squad2")[0] == "2"
    assert squad_version(catalog, "distilbert-base-cased-distilled-squad")[0] == "1.1"
    assert squad_version(catalog, "tiny-roberta-squad2")[0] == "2"  # through the card it stands in for
    assert squad_version(catalog, "tiny-distilbert-squad")[0] == "1.1"
    version, why = squad_version(catalog, "someone/unknown-qa")
    assert version == "1.1" and "no card" in why


# ---- whole runs on the tiny models ---------------------------------------------------------------

def test_answer_question_end_to_end(squad, squad2):
    result = answer_question(squad, "Who founded Tesla?", TESLA, QASettings(top_n=4), "1.1")
    assert result.layout == "[CLS] question [SEP] context [SEP]"
    assert result.answer is not None and result.answer.text == TESLA[result.answer.start:result.answer.end]
    assert 1 <= len(result.candidates) <= 4
    assert [c.score for c in result.candidates] == sorted((c.score for c in result.candidates), reverse=True)
    window = result.windows[0]
    assert [t.segment_id for t in window.tokens if t.segment == "question"] == [0] * 4
    assert {t.segment_id for t in window.tokens if t.segment == "context"} == {1}
    context_tokens = [t for t in window.tokens if t.segment == "context"]
    assert sum(t.start_probability for t in context_tokens) == pytest.approx(1.0, abs=1e-4)  # SQuAD 1.1: context only
    assert "no segment ids" in result.segment_note  # DistilBERT has no token-type embeddings

    result = answer_question(squad2, "Who founded Tesla?", TESLA, QASettings(), "2")
    assert result.layout == "<s> question </s> </s> context </s>"
    window = result.windows[0]
    context_mass = sum(t.start_probability for t in window.tokens if t.segment == "context")
    mass = window.tokens[0].start_probability + context_mass
    assert mass == pytest.approx(1.0, abs=1e-4)  # SQuAD 2.0: [CLS] ("no answer") shares the probability
    assert result.null_score is not None


def test_long_context_reports_windows_and_clamped_stride(squad):
    result = answer_question(squad, "Who started the company?", LATE, QASettings(stride=128), "1.1")
    assert result.window_count >= 2
    assert any("overlapping windows" in n for n in result.notices)
    assert any("stride of 128" in n.lower() for n in result.notices)
    assert result.settings.stride < 128 and result.settings.max_length == 64


def test_a_context_in_one_window_gets_no_stride_notice(squad):
    """The stride only matters between windows: a short context (the lab default) is not told about it."""
    result = answer_question(squad, "Who founded Tesla?", "Tesla was founded by Martin.", QASettings(stride=128), "1.1")
    assert result.window_count == 1 and not any("stride" in n.lower() for n in result.notices)


@pytest.mark.parametrize("question, context, settings, message", [
    ("", TESLA, QASettings(), "question is empty"),
    ("Who founded Tesla?", "", QASettings(), "context is empty"),
    ("Who founded Tesla?", "!!! ??? ... ---", QASettings(), "no usable text"),
    ("???", TESLA, QASettings(), "no words"),
    ("Who founded the company that makes electric cars in Texas?", "Tesla, 2003.", QASettings(),
     "longer than the context"),
    ("who " * 50 + "?", FILLER * 3, QASettings(), "Shorten the question"),
    ("Who?", TESLA, QASettings(top_n=0), "Top-n"),
    ("Who?", TESLA, QASettings(max_answer_tokens=1000), "Max answer length"),
    ("Who?", TESLA, QASettings(stride=-1), "Stride"),
])
def test_bad_input_is_refused_with_a_clear_message(squad, question, context, settings, message):
    with pytest.raises(PlaygroundError, match=message):
        answer_question(squad, question, context, settings, "1.1")


def test_real_checkpoints_have_cards_and_fail_offline_with_the_download_command(store):
    with pytest.raises(ModelUnavailable, match="python -m playground download deepset/roberta-base-squad2"):
        store.get("deepset/roberta-base-squad2", "question-answering")


def test_a_long_context_reports_each_window_and_the_answer_is_the_same(squad):
    question = "Who started the company?"
    settings = QASettings(stride=10)
    heard: list[tuple[float, str]] = []
    listened = answer_question(squad, question, LATE, settings, progress=lambda f, s: heard.append((f, s)))
    windows = listened.window_count
    assert windows >= 3
    assert heard == [(w / windows, f"Reading window {w + 1} of {windows}") for w in range(windows)] + \
        [(1.0, f"Read {windows} windows; choosing the answer")]
    assert listened == answer_question(squad, question, LATE, settings)
    # A context that fits in one window is quick: no progress is reported for it.
    heard.clear()
    answer_question(squad, question, "Tesla was founded by Marc Tarpenning.", settings,
                    progress=lambda f, s: heard.append((f, s)))
    assert heard == []
