"""Pretraining lab: corpus checks, MLM masking, the training loop (losses fall, the seed reproduces, Stop keeps
the checkpoint), saving/loading through the normal loader, the direction test's tally, the queue."""

from __future__ import annotations

import math
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from playground.core.errors import PlaygroundError
from playground.core.jobs import JobGate
from playground.tasks.lab import networks, runs
from playground.tasks.lab.corpus import (GapItem, builtin_corpus, choose_corpus, decode_upload, direction_items,
                                         user_corpus)
from playground.tasks.lab.direction import direction_table
from playground.tasks.lab.pretrain import PretrainSettings, check_settings, prepare, pretrain, run_training

SMALL_TEXT = " ".join(builtin_corpus(300))  # a short corpus keeps the tokenizers and data quick to build
QUICK = PretrainSettings(preset="tiny", steps=12, seq_len=24, learning_rate=5e-3, seed=0)


def _last(progress_stream):
    last = None
    for last in progress_stream:
        pass
    return last


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """One short run saved into a fresh lab folder: (lab folder, final progress)."""
    lab_dir = tmp_path_factory.mktemp("lab")
    final = _last(run_training(user_corpus(SMALL_TEXT), QUICK, lab_dir=lab_dir))
    return lab_dir, final


# ---- corpus ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (b"\x00\x01\x02binary\x00" * 10, "binary"),
    ("café".encode("latin-1") * 100, "not UTF-8"),
    (b"a" * 1_000_001, "MB"),
])
def test_bad_uploads_get_clear_messages(data, message):
    with pytest.raises(PlaygroundError, match=message):
        decode_upload(data, "notes.txt")


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n ", "empty"),
    ("Too short. Only two sentences.", "too small"),
    ("\x07\x08\x0b" * 500, "does not look like text"),
])
def test_bad_texts_get_clear_messages(text, message):
    with pytest.raises(PlaygroundError, match=message):
        user_corpus(text)


@pytest.mark.parametrize("text, upload, distinct", [
    ("the cat sat on the mat.\n" * 50, None, 1),
    (None, b"a\n" * 100_000, 1),  # a 100,000-line upload of one word
    # a dozen sentences, repeated: still too few to hold some out and train on the rest
    ("\n".join(builtin_corpus(12) * 30), None, len(set(builtin_corpus(12)))),
])
def test_repeated_sentences_are_refused_before_training(text, upload, distinct):
    with pytest.raises(PlaygroundError, match=rf"only {distinct} distinct sentences? .*at least 20 different"):
        choose_corpus(text, upload, "a.txt")


def test_prepare_refuses_an_empty_training_side():
    corpus = user_corpus(SMALL_TEXT)
    with pytest.raises(PlaygroundError, match="no sentences to train on"):
        prepare(replace(corpus, train=()), QUICK)


def test_corpus_choice_and_heldout_split():
    assert choose_corpus("", None).name == "built-in"
    mine = choose_corpus(SMALL_TEXT)
    assert mine.name == "pasted text" and mine.heldout and not set(mine.heldout) & set(mine.train)
    assert choose_corpus(None, SMALL_TEXT.encode(), "book.txt").name == "book.txt"


def test_direction_items_have_a_left_context_and_one_gap():
    items = direction_items()
    assert {i.decided_by for i in items} == {"left", "right"}
    assert all(i.text.count("___") == 1 and i.text.split("___")[0].strip() for i in items)
    training = " ".join(builtin_corpus())
    assert not any(i.text.replace("___", i.answer) in training for i in items)  # held-out sentences


# ---- masking and packing ---------------------------------------------------------------------------------

def test_mlm_masking_is_15_percent_with_80_10_10_and_skips_specials():
    import torch

    from playground.lm.training import MASKED, Objective, mask_for_mlm

    objective = Objective("b", MASKED, None, None, None, pad_id=0, mask_id=4, special_ids=(0, 1, 2, 3, 4),
                          replacement_ids=tuple(range(5, 500)))
    ids = torch.randint(5, 500, (400, 60))
    ids[:, 0] = 2  # [CLS]
    attention = torch.ones_like(ids)
    attention[:, 50:] = 0  # padding
    corrupted, labels = mask_for_mlm(ids, attention, objective, torch.Generator().manual_seed(0))
    selected = labels != -100
    assert not selected[:, 0].any() and not selected[:, 50:].any()
    rate = selected.sum().item() / (400 * 49)
    masked = (corrupted == 4) & selected
    changed = (corrupted != ids) & selected & ~masked
    assert 0.14 < rate < 0.16
    assert 0.77 < masked.sum().item() / selected.sum().item() < 0.83
    assert 0.08 < changed.sum().item() / selected.sum().item() < 0.12
    assert torch.equal(labels[selected], ids[selected])


def test_sentences_are_packed_whole_with_padding_marked():
    from playground.lm.training import PAD_SLOT, pack_sentences

    blocks = pack_sentences([[1, 2, 9], [3, 9], [4, 5, 6, 9]], seq_len=6, prefix=[7])
    assert blocks == [[7, 1, 2, 9, 3, 9], [7, 4, 5, 6, 9, PAD_SLOT]]


# ---- training ---------------------------------------------------------------------------------------------

def test_losses_fall_and_the_run_is_saved(saved_run):
    lab_dir, final = saved_run
    assert final.status == "finished" and final.saved_to
    for model in final.models:
        points = final.curves[model.name]
        assert points[-1].train_loss < points[0].train_loss - 0.3, model.name
        assert model.heldout_loss is not None and model.tokens_per_s > 0
    vocab = {m.name: m for m in final.models}
    assert vocab["lab-bert"].masked_accuracy is not None and vocab["lab-gpt"].perplexity is not None
    assert runs.current_run(lab_dir) == Path(final.saved_to)


def test_the_seed_reproduces_the_curves_and_another_seed_does_not():
    corpus = user_corpus(SMALL_TEXT)
    settings = PretrainSettings(preset="tiny", steps=4, seq_len=24, seed=7)
    first = _last(run_training(corpus, settings, save=False))
    again = _last(run_training(corpus, settings, save=False))
    other = _last(run_training(corpus, PretrainSettings(preset="tiny", steps=4, seq_len=24, seed=8), save=False))
    assert first.curves == again.curves
    assert first.curves != other.curves


def test_saved_models_load_through_the_loader_and_serve_compare(saved_run):
    from playground.models.cards import load_catalog
    from playground.models.loader import ModelStore
    from playground.tasks.compare import compare

    lab_dir, _ = saved_run
    store = ModelStore(load_catalog(), local_models=runs.lab_models(lab_dir))
    result = compare(store.get("lab-bert", "fill-mask"), store.get("lab-gpt", "text-generation"),
                     "The [MASK] barked at the mailman.", top_k=3)
    assert result.bert.masks[0].predictions and result.gpt.predictions
    assert result.bert_tokens.tokens[0].piece == "[CLS]"


def test_stop_keeps_the_saved_checkpoint(saved_run):
    lab_dir, final = saved_run
    gate, seen = JobGate(), []
    long_run = PretrainSettings(preset="tiny", steps=500, seq_len=24)
    for progress in pretrain(gate, "me", user_corpus(SMALL_TEXT), long_run, lab_dir, poll_s=0.05):
        seen.append(progress.status)
        if progress.status == "running":
            assert not gate.stop("someone else")  # other owners cannot reach it
            gate.stop("me")
    assert seen[-1] == "stopped" and "unchanged" in " ".join(progress.notices)
    assert progress.saved_to is None and progress.step < 500
    assert runs.current_run(lab_dir) == Path(final.saved_to)
    assert runs.check_run(Path(final.saved_to)).ok
    assert not gate.busy()


def test_a_broken_or_partial_run_folder_is_detected(saved_run, tmp_path):
    _, final = saved_run
    copy = tmp_path / "run"
    shutil.copytree(final.saved_to, copy)
    assert runs.check_run(copy).ok
    weights = copy / "lab-gpt" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    assert "wrong size" in runs.check_run(copy).problem
    (copy / "manifest.json").unlink()
    assert not runs.check_run(copy).ok
    (tmp_path / "labdir").mkdir()
    (tmp_path / "labdir" / "CURRENT").write_text("missing-run")
    assert runs.current_run(tmp_path / "labdir") is None


def test_settings_are_bounded_with_clear_messages():
    assert check_settings().preset == networks.DEFAULT_PRESET
    for kwargs, message in [({"preset": "huge"}, "model size"), ({"steps": 10**6}, "Steps"),
                            ({"seq_len": 4096}, "Sequence length"), ({"time_budget_s": 0}, "Time budget")]:
        with pytest.raises(PlaygroundError, match=message):
            check_settings(**kwargs)


def test_the_command_line_trains_into_a_folder(tmp_path, capsys):
    from playground.__main__ import main

    out = tmp_path / "pair"
    argv = ["pretrain", "--preset", "tiny", "--steps", "2", "--out", str(out), "--lab-dir", str(tmp_path / "lab")]
    assert main(argv) == 0
    assert runs.check_run(out).ok and "finished" in capsys.readouterr().out
    assert not (tmp_path / "lab").exists()  # --out leaves the lab folder alone


# ---- queue -------------------------------------------------------------------------------------------------

def test_one_run_at_a_time_and_waiters_see_their_place():
    gate = JobGate()
    first, second, third = gate.join("a"), gate.join("b"), gate.join("c")
    assert gate.wait_turn(first, 0.01) and gate.position(first) == 0
    assert not gate.wait_turn(second, 0.01)
    assert gate.position(second) == 1 and gate.position(third) == 2
    gate.leave(second)  # b gives up
    assert gate.position(third) == 1
    released = threading.Timer(0.05, gate.leave, args=(first,))
    released.start()
    assert gate.wait_turn(third, 2.0)
    gate.leave(third)
    assert not gate.busy()


def test_one_lab_job_per_session_at_a_time_with_a_clear_message(tmp_path):
    gate = JobGate()
    blocker = gate.join("other")
    assert gate.wait_turn(blocker, 0.01)
    mine = pretrain(gate, "me", user_corpus(SMALL_TEXT), QUICK, tmp_path, poll_s=0.01)
    assert next(mine).status == "queued"
    with pytest.raises(PlaygroundError, match="already has a lab run.*Stop it or wait"):
        next(pretrain(gate, "me", user_corpus(SMALL_TEXT), QUICK, tmp_path, poll_s=0.01))  # refused at once
    with pytest.raises(PlaygroundError, match="already has a lab run"):
        gate.join("other")  # running counts too
    with pytest.raises(PlaygroundError, match="already has a lab run"):
        with gate.turn("me", 0.01):  # fine-tuning shares the gate: not while this session's run waits
            pass
    assert gate.position(third := gate.join("third")) == 2  # another session may still queue
    mine.close()  # the first run leaves the line: the session may start another
    gate.leave(third)
    gate.leave(blocker)
    again = gate.join("me")
    gate.leave(again)
    assert not gate.busy()


# ---- the direction test's tally ----------------------------------------------------------------------------

def test_direction_table_splits_left_and_right_on_a_hand_made_case():
    items = [GapItem("The ___ barked.", "dog", "right", "animal"), GapItem("It barked: the ___.", "dog", "left", "animal"),
             GapItem("The ___ meowed.", "cat", "right", "animal"), GapItem("It meowed: the ___.", "cat", "left", "animal"),
             GapItem("The ___ taught.", "teacher", "right", "job")]
    predictions = {"both": ["Dog", "dog", "cat", "cat", "teacher"],  # case does not matter
                   "left-only": ["the", "dog", "dog", None, "cow"]}  # None: not scored
    result = direction_table(items, predictions, {"both": "both sides", "left-only": "left only"})
    both, left_only = result.rows
    assert (both.left_decided, both.right_decided, both.left_count, both.right_count) == (1.0, 1.0, 2, 3)
    assert (left_only.left_decided, left_only.right_decided, left_only.skipped) == (1.0, 0.0, 1)
    assert left_only.left_count == 1 and left_only.right_count == 3
    # chance: a guess among the answers of the gap's kind (2 animals, 1 job)
    assert math.isclose(result.chance["left"], 0.5) and math.isclose(result.chance["right"], (0.5 + 0.5 + 1) / 3)
    assert result.items[0].predictions == {"both": "Dog", "left-only": "the"}


def test_shipped_pair_shows_the_direction_effect():
    """The measured table of the pair shipped in the repo (if shipped): BERT ahead where only the right decides."""
    from playground.models.cards import load_catalog
    from playground.models.loader import ModelStore
    from playground.tasks.lab.direction import run_direction_test

    if not runs.check_run(runs.SHIPPED_DIR).ok:
        pytest.skip("no pre-trained lab pair shipped")
    store = ModelStore(load_catalog(), local_models={n: runs.SHIPPED_DIR / n for n in runs.SERVED_NAMES})
    result = run_direction_test(store.get("lab-bert", "fill-mask"), store.get("lab-gpt", "text-generation"),
                                networks.load_lstm(runs.SHIPPED_DIR))
    rows = {r.model_name: r for r in result.rows}
    assert rows["lab-bert"].right_decided > rows["lab-gpt"].right_decided + 0.3
    assert rows["lab-bert"].right_decided > rows["lab-lstm"].right_decided + 0.3
    assert rows["lab-gpt"].left_decided > result.chance["left"] + 0.3


def test_lab_models_are_offered_where_they_can_serve(tmp_path):
    from playground.tasks.context import AppOptions, make_context

    if not runs.check_run(runs.SHIPPED_DIR).ok:
        pytest.skip("no pre-trained lab pair shipped")
    ctx = make_context(AppOptions(models="lab", tiny_dir=tmp_path / "tiny", lab_dir=tmp_path / "lab"))
    assert ctx.profile.default("fill-mask") == "lab-bert" and ctx.profile.default("text-generation") == "lab-gpt"
    assert "lab-bert" not in ctx.profile.choices("nsp")  # masked LM only: no next-sentence head
    assert ctx.store.local_models["lab-bert"] == runs.SHIPPED_DIR / "lab-bert"
    default = make_context(AppOptions(models="default", lab_dir=tmp_path / "lab"))
    assert default.profile.default("fill-mask") == "bert-base-uncased"
    assert "lab-bert" in default.profile.choices("fill-mask") and "lab-gpt" in default.profile.choices("text-generation")


def test_tab_views_show_what_the_results_carry():
    from playground.tasks.lab.direction import DirectionTestResult, ModelRow
    from playground.tasks.lab.finetune import FinetunePoint, FinetuneResult
    from playground.tasks.lab.pretrain import CurvePoint, ModelSummary, PretrainProgress
    from playground.ui.tabs.lab import direction_rows, finetune_note, finetune_rows, pretrain_view, status_markdown

    progress = PretrainProgress(status="running", step=5, total_steps=10, elapsed_s=3.0, cpu_s=2.0, models=(
        ModelSummary("lab-bert", "masked LM", 1000, 5.0, 5.5, None, 0.25, 1234.0),),
        curves={"lab-bert": (CurvePoint(1, 6.0), CurvePoint(5, 5.0, 5.5))})
    view = pretrain_view(progress)
    assert "step 5/10" in view.status and view.figure is not None
    assert view.table == [["lab-bert", "masked LM", "1,000", "5.000", "5.500", "–", "25.0%", "1,234"]]
    assert "number **2** in line" in status_markdown(PretrainProgress(status="queued", queue_position=2))
    direction = DirectionTestResult(rows=(ModelRow("lab-bert", "both sides", 0.5, 0.75, 4, 4, 0),),
                                    chance={"left": 0.125, "right": 0.125}, items=())
    assert direction_rows(direction)[0] == ["lab-bert", "both sides", "50%", "75%"]
    assert direction_rows(direction)[-1][0] == "chance"
    points = tuple(FinetunePoint("lab-gpt", init, n, acc, (acc,)) for init, n, acc in
                   [("pre-trained", 8, 0.9), ("pre-trained", 16, 1.0), ("from scratch", 8, 0.5), ("from scratch", 16, 0.6)])
    curve = FinetuneResult(sizes=(8, 16), points=points, test_size=10, repeats=1, steps=5, learning_rate=1e-3, seconds=1)
    assert finetune_rows(curve) == [["lab-gpt", "pre-trained", "90%", "100%"], ["lab-gpt", "from scratch", "50%", "60%"]]
    partial = FinetuneResult(sizes=(8, 16), points=points + (FinetunePoint("tiny-distilbert-sst2", "pre-trained", 8,
                             0.7, (0.7,)),), test_size=10, repeats=1, steps=5, learning_rate=1e-3, seconds=1,
                             notices=("tiny-distilbert-sst2: its time budget (1 s) ran out at 16 examples",))
    assert finetune_rows(partial)[-1] == ["tiny-distilbert-sst2", "pre-trained", "70%", "–"]
    assert "time budget" in finetune_note(partial) and "built-in reviews" in finetune_note(partial)


@pytest.mark.parametrize("chosen, why", [
    ('{"name": "big.txt", "size": 2000000}', "2.0 MB and the lab takes .txt files up to 1 MB"),
    ('{"name": "corpus.zip", "size": 120}', "plain .txt files"),
    ('{"name": "notes.txt", "size": 120}', "did not finish"),
    ("not json", "did not arrive"),
])
def test_a_chosen_file_that_never_arrived_stops_training(chosen, why):
    from playground.tasks.lab.handlers import check_chosen_file

    check_chosen_file("")  # nothing missing: train on what arrived
    with pytest.raises(PlaygroundError, match=why):
        check_chosen_file(chosen)
