"""Fine-tuning lab: the user's labelled lines (parsing, every refusal's message, the held-out split), a short
fine-tune on them, and a real checkpoint next to the lab models (the tiny stand-in here; offline, the loader's
message and the lab models' curve)."""

from __future__ import annotations

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.lab.finetune import finetune_curve
from playground.tasks.lab.finetune import (MAX_LABELLED_CHARS, MAX_LABELLED_LINES, MAX_LINE_CHARS, MIN_PER_LABEL,
                                           USER_DATA, fit_sizes, parse_labelled_lines, split_user_examples)
from playground.tasks.lab.runs import SHIPPED_DIR

POSITIVE = ["I loved every minute of it", "great food and friendly staff", "a wonderful evening",
            "the best hotel we ever stayed in", "lovely view, kind people", "we will come back"]
NEGATIVE = ["the soup was cold and the waiter rude", "awful, never again", "a terrible film",
            "the worst room I have seen", "boring and far too long", "dirty and noisy"]
LINES = "\n".join([f"positive: {t}" for t in POSITIVE] + [""] + [f"Negative: {t}" for t in NEGATIVE])


def test_labelled_lines_parse_with_empty_lines_and_repeats_skipped():
    examples = parse_labelled_lines(LINES + "\n\n   \npositive:  I loved every   minute of it ")
    assert len(examples) == 12  # the blank lines and the repeat (case and spaces aside) are skipped
    assert examples[0].text == "I loved every minute of it" and examples[0].label == 1
    assert examples[-1].text == "dirty and noisy" and examples[-1].label == 0


@pytest.mark.parametrize("text, message", [
    ("", "No labelled lines"),
    ("\n  \n", "No labelled lines"),
    ("positive: fine\nI forgot the label", "Line 2 has no label"),
    ("positive: fine\nhappy: very", "Line 2: unknown label 'happy'; use positive or negative"),
    ("negative:   ", "Line 1 has a label but no text"),
    ("positive: " + "a" * (MAX_LINE_CHARS + 1), f"Line 1 is {MAX_LINE_CHARS + 1:,} characters long"),
    ("positive: good\nnegative: Good", "Line 2 repeats the text of line 1 with the other label"),
    ("positive: ok\n" * (MAX_LABELLED_LINES + 1), f"at most {MAX_LABELLED_LINES}"),
    ("x" * (MAX_LABELLED_CHARS + 1), "characters; paste at most"),
    (["positive: a list"], "must be text"),
])
def test_bad_labelled_lines_get_clear_messages(text, message):
    with pytest.raises(PlaygroundError, match=message):
        parse_labelled_lines(text)


def test_held_out_split_needs_enough_of_each_label():
    pool, test = split_user_examples(parse_labelled_lines(LINES))
    assert len(test) == 2 * 2 and len(pool) == 12 - 4  # a quarter of 6, at least 2, per label
    assert not set(e.text for e in pool) & set(e.text for e in test)
    assert split_user_examples(parse_labelled_lines(LINES)) == (pool, test)  # fixed, not random per call
    few = "\n".join([f"positive: {t}" for t in POSITIVE] + [f"negative: {t}" for t in NEGATIVE[:MIN_PER_LABEL - 1]])
    with pytest.raises(PlaygroundError, match=f"at least {MIN_PER_LABEL} lines of each label.*"
                                              f"you gave 6 positive and {MIN_PER_LABEL - 1} negative"):
        split_user_examples(parse_labelled_lines(few))
    sizes, notices = fit_sizes((4, 8, 64), pool)
    assert sizes == (4, 8) and "at most 8" in notices[0]
    assert fit_sizes((2, 4), pool) == ((2, 4), ())


def test_finetune_on_user_lines_reports_accuracies():
    result = finetune_curve(SHIPPED_DIR, sizes="4, 16", steps=3, repeats=1, labelled_lines=LINES)
    assert result.data == USER_DATA and result.test_size == 4 and result.train_pool == 8
    assert result.sizes == (4, 8) and any("replaced by 8" in n for n in result.notices)
    assert {(p.model_name, p.init) for p in result.points} == {
        (m, i) for m in ("lab-bert", "lab-gpt") for i in ("pre-trained", "from scratch")}
    assert all(p.accuracy in (0, 0.25, 0.5, 0.75, 1) for p in result.points)  # 4 held-out lines


def test_real_checkpoint_fine_tuned_next_to_the_lab_models(store):
    loaded = store.get("tiny-distilbert-sst2", "sentiment")
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    result = finetune_curve(SHIPPED_DIR, sizes="4, 8", steps=2, repeats=1, models=("lab-gpt",),
                            labelled_lines=LINES, checkpoint=loaded)
    checkpoint_points = [p for p in result.points if p.model_name == "tiny-distilbert-sst2"]
    assert result.checkpoint == "tiny-distilbert-sst2"
    assert [(p.init, p.examples) for p in checkpoint_points] == [("pre-trained", 4), ("pre-trained", 8)]
    assert all(v.equal(loaded.model.state_dict()[k]) for k, v in before.items())  # the shared model is untouched
    assert not any(p.requires_grad for p in loaded.model.parameters())


def test_checkpoint_time_budget_keeps_what_it_measured(store, monkeypatch):
    from playground.tasks.lab import finetune as finetune_lab

    ticks = iter(range(0, 10_000, 5))  # every clock read is 5 s later: the 1 s budget runs out in the first run
    monkeypatch.setattr(finetune_lab.time, "perf_counter", lambda: float(next(ticks)))
    result = finetune_curve(SHIPPED_DIR, sizes="4", steps=2, repeats=1, models=("lab-gpt",),
                            labelled_lines=LINES, checkpoint=store.get("tiny-distilbert-sst2", "sentiment"),
                            checkpoint_budget_s=1)
    assert {p.model_name for p in result.points} == {"lab-gpt"}  # the lab model's curve is there
    assert any("tiny-distilbert-sst2: its time budget (1 s) ran out at 4 examples; nothing measured" in n
               for n in result.notices)


def test_checkpoint_offline_fails_fast_with_the_loaders_message(store):
    from playground.models.cards import load_catalog
    from playground.tasks.context import AppContext
    from playground.models.profiles import tiny_profile
    from playground.tasks.lab.handlers import checkpoint_choice, load_checkpoint

    ctx = AppContext(store=store, profile=tiny_profile(), catalog=load_catalog())
    assert checkpoint_choice(ctx) == "tiny-distilbert-sst2"  # offline, the stand-in for a DistilBERT checkpoint
    loaded, why_not = load_checkpoint(ctx, "distilbert-base-uncased")  # HF_HUB_OFFLINE, not in the cache
    assert loaded is None
    assert "python -m playground download distilbert-base-uncased" in why_not and "--models lab" in why_not
    with pytest.raises(PlaygroundError, match="not named in model_cards"):
        load_checkpoint(ctx, "someone/unknown-model")
    with pytest.raises(PlaygroundError, match="encoder checkpoint"):
        load_checkpoint(ctx, "tiny-gpt2")


def test_encoding_cuts_per_call_and_leaves_the_shared_tokenizer_as_it_was(bert):
    """Fine-tuning batches match the tokenizer's own truncation and padding, without setting either on the
    tokenizer the model store shares with every other request (a concurrent Compare would read with it)."""
    import threading

    from playground.tasks.lab.transfer import encode as _encode

    tokenizer = bert.tokenizer
    backend = tokenizer.backend_tokenizer
    texts = ["the dog barked at the mailman all morning long", "a cat", "the river ran past the old mill " * 20]
    expected = tokenizer(texts, return_tensors="pt", padding=True, truncation=True, max_length=16)
    backend.no_truncation(), backend.no_padding()  # what that reference call left behind, undone
    before = (backend.truncation, backend.padding)
    results, seen = [], []

    def encode():
        results.append(_encode(tokenizer, texts, "cpu", 16))
        seen.append((backend.truncation, backend.padding))

    threads = [threading.Thread(target=encode) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s == before for s in seen) and (backend.truncation, backend.padding) == before
    for enc in results:
        assert enc["input_ids"].tolist() == expected["input_ids"].tolist()
        assert enc["attention_mask"].tolist() == expected["attention_mask"].tolist()


def test_stop_keeps_the_curves_measured_in_full():
    import threading

    stop = threading.Event()
    result = finetune_curve(SHIPPED_DIR, sizes="4", models=("lab-gpt",), steps=2, repeats=1, recipe="frozen",
                            stop=stop, progress=lambda fraction, _: fraction >= 0.5 and stop.set())
    assert [(p.model_name, p.init) for p in result.points] == [("lab-gpt", "pre-trained")]
    assert any("Stopped after 1 of 2 runs" in n for n in result.notices)
