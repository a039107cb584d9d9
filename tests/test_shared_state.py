"""Issue 9: no request changes state another request sees.

A fast tokenizer's truncation/stride/padding are settings of its one Rust object, shared by every user of a
loaded model; NSP and QA used to switch them per call, so concurrent calls read each other's settings. Now
pairs are encoded whole and cut per call, the shared settings are never touched, and many threads at once
give exactly what one thread gives.
"""

import copy
import random
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.core.tokens import encode_pair, longest_first, overflow_spans, pair_batch, pair_rows, tokenize
from playground.lm.causal_lm import next_token_distribution
from playground.lm.masked_lm import fill_mask
from playground.tasks.nsp import next_sentence
from playground.tasks.question_answering import QASettings, answer_question
from playground.tasks.sentiment import classify
from playground.ui.widgets import to_json

WORDS = "Tesla is an American electric vehicle company , founded in 2003 by Martin Eberhard . Who ? 😀 東京".split()
PAIR_MODELS = ("tiny-bert", "tiny-distilbert-squad", "tiny-roberta-squad2")


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


@pytest.mark.parametrize("name", PAIR_MODELS)
def test_pairs_cut_per_call_equal_the_tokenizers_own_truncation(store, name):
    own = copy.deepcopy(store.get(name, "tokenizer-only").tokenizer)  # a private copy may change its settings
    rng = random.Random(name)
    for _ in range(60):
        a, b, length = _text(rng, 1, 50), _text(rng, 1, 80), rng.randint(12, 64)
        full = encode_pair(own, a, b)
        n_a, n_b = full.sequence_ids.count(0), full.sequence_ids.count(1)
        specials = len(full.ids) - n_a - n_b
        reference = own(a, b, truncation="longest_first", max_length=length)
        keep_a, keep_b = longest_first(n_a, n_b, length - specials)
        assert list(pair_rows(full, keep_a, [(0, keep_b)])[0].input_ids) == reference["input_ids"]
        room = length - specials - n_a
        if room < 4:
            continue
        stride = rng.randint(0, room // 2)
        reference = own(a, b, truncation="only_second", max_length=length, stride=stride,
                        return_overflowing_tokens=True, return_offsets_mapping=True)
        rows = pair_rows(full, n_a, overflow_spans(n_b, room, stride))
        assert [list(r.input_ids) for r in rows] == reference["input_ids"]
        offsets = [[tuple(o) for o in w] for w in reference["offset_mapping"]]
        assert [[tuple(o) for o in r.offsets] for r in rows] == offsets
        assert [list(r.sequence_ids) for r in rows] == [reference.sequence_ids(w) for w in range(len(rows))]


def _settings_of(lm) -> tuple:
    backend = lm.tokenizer.backend_tokenizer
    return backend.truncation, backend.padding


def test_nsp_and_qa_leave_the_shared_tokenizer_untouched(store):
    nsp, squad = store.get("tiny-bert", "nsp"), store.get("tiny-distilbert-squad", "question-answering")
    long_a = "Tesla is an American electric vehicle company. " * 12
    next_sentence(nsp, long_a, "It was founded in 2003.")  # too long: cut
    answer_question(squad, "Who founded Tesla?", long_a * 3, QASettings(stride=20))  # several windows
    assert _settings_of(nsp) == (None, None) and _settings_of(squad) == (None, None)


def _calls(store, rng: random.Random, n: int) -> list[tuple[str, tuple]]:
    """A mix of requests whose lengths and strides differ, so any shared setting would show."""
    calls = []
    for i in range(n):
        kind = ("nsp", "answer", "answer2", "fill", "next", "tokenize", "sentiment")[i % 7]
        if kind == "nsp":
            args = (_text(rng, 1, 60), _text(rng, 1, 60))
        elif kind.startswith("answer"):
            args = ("Who founded Tesla ?", _text(rng, 20, 120), rng.choice((0, 8, 16, 30)))
        else:
            args = (_text(rng, 1, 30) + " [MASK] " + _text(rng, 0, 10),)
        calls.append((kind, args))
    return calls


def _outcome(store, kind: str, args: tuple):
    """The result as JSON, or the error's message: a clear error must be the same error every time."""
    try:
        return to_json(_run(store, kind, args))
    except PlaygroundError as exc:
        return f"error: {exc}"


def _run(store, kind: str, args: tuple):
    if kind == "nsp":
        return next_sentence(store.get("tiny-bert", "nsp"), *args)
    if kind.startswith("answer"):
        name = "tiny-distilbert-squad" if kind == "answer" else "tiny-roberta-squad2"
        question, context, stride = args
        return answer_question(store.get(name, "question-answering"), question, context, QASettings(stride=stride),
                               "2" if kind == "answer2" else "1.1")
    if kind == "fill":
        return fill_mask(store.get("tiny-bert", "fill-mask"), args[0], 3)
    if kind == "next":
        return next_token_distribution(store.get("tiny-gpt2", "text-generation"), args[0], 3)
    if kind == "sentiment":
        return classify(store.get("tiny-distilbert-sst2", "sentiment"), args[0].replace("[MASK]", "good"))
    return tokenize(store.get("tiny-bert", "tokenizer-only"), args[0])


def test_many_threads_at_once_give_exactly_the_sequential_answers(store):
    calls = _calls(store, random.Random(9), 168)
    switch, threads = sys.getswitchinterval(), torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one intra-op thread is many times faster on a busy machine
    try:
        baseline = [_outcome(store, kind, args) for kind, args in calls]
        sys.setswitchinterval(1e-5)  # switch threads often, so interleavings that would race do happen
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda call: _outcome(store, *call), calls))
    finally:
        sys.setswitchinterval(switch)
        torch.set_num_threads(threads)
    assert sum(isinstance(b, str) for b in baseline) < len(calls) // 10  # nearly all are real answers
    differences = [(kind, i) for i, ((kind, _), want, got) in enumerate(zip(calls, baseline, results)) if want != got]
    assert differences == []


@pytest.mark.parametrize("name", PAIR_MODELS)
def test_pair_batches_equal_the_tokenizers_own_padding_and_truncation(store, name):
    own = copy.deepcopy(store.get(name, "tokenizer-only").tokenizer)
    rng = random.Random(name + "batch")
    for _ in range(10):
        firsts = [_text(rng, 1, 40) for _ in range(5)]
        seconds = [_text(rng, 0, 60) for _ in range(5)]  # an empty answer too: a policy may write nothing
        length = rng.randint(16, 64)
        reference = own(firsts, seconds, padding=True, truncation="longest_first", max_length=length,
                        return_tensors="pt")
        batch = pair_batch(store.get(name, "tokenizer-only").tokenizer, firsts, seconds, length)
        for key in ("input_ids", "attention_mask") + (("token_type_ids",) if "token_type_ids" in reference else ()):
            assert torch.equal(batch[key], reference[key]), key


def test_reward_scores_leave_the_shared_tokenizer_untouched_and_agree_across_threads():
    """The shipped reward model (one cached copy for every session) scores answers; its tokenizer's settings stay
    off, and many threads at once get exactly the sequential scores."""
    from playground.tasks.assistant import checkpoints, reward

    model = checkpoints.load_shipped().reward
    rng = random.Random(3)
    prompts = [f"Question: {_text(rng, 1, 12)}?\nAnswer:" for _ in range(48)]
    answers = [_text(rng, 0, 90) for _ in range(48)]  # some over the 128-token cut
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        baseline = [reward.score(model, [p], [a]) for p, a in zip(prompts, answers)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda pa: reward.score(model, [pa[0]], [pa[1]]), zip(prompts, answers)))
    finally:
        torch.set_num_threads(threads)
    backend = model.tokenizer.backend_tokenizer
    assert (backend.truncation, backend.padding) == (None, None)
    assert results == baseline


def test_a_training_that_ends_leaves_another_ones_thread_count_alone():
    """torch's thread count is one process-wide setting: two trainings at once hold it together, and only the
    last one to end gives it back (a run switched to another count mid-run would lose its reproducible bits)."""
    import threading

    from playground.lm.training import training_threads

    outside = torch.get_num_threads()
    first_in, first_out, second_done = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with training_threads(1):
            first_in.set()
            second_done.wait(5)  # the second starts and its own run is under way
        first_out.set()

    def second():
        first_in.wait(5)
        with training_threads(1):
            seen["start"] = torch.get_num_threads()
            second_done.set()
            first_out.wait(5)  # the first run has ended while this one still trains
            seen["after the first ended"] = torch.get_num_threads()

    torch.set_num_threads(2)
    try:
        runs = [threading.Thread(target=first), threading.Thread(target=second)]
        for run in runs:
            run.start()
        for run in runs:
            run.join(10)
        assert seen == {"start": 1, "after the first ended": 1}
        assert torch.get_num_threads() == 2  # given back once neither trains
    finally:
        torch.set_num_threads(outside)
