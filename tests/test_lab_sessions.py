"""A lab run started from the UI or API belongs to the session that started it: another session's lab-bert
answers do not change, before or after a restart; the shared default moves only by an operator's action
(`python -m playground pretrain`, or the local-only --lab-runs-become-default, refused on a Space)."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from playground.core.errors import ModelUnavailable
from playground.tasks.lab import runs
from playground.tasks.context import AppOptions, make_context
from playground.tasks.lab.corpus import builtin_corpus
from playground.tasks.compare import fill_mask_api
from playground.tasks.lab.handlers import _lab_run_dir, run_direction, run_pretraining

SMALL_TEXT = " ".join(builtin_corpus(300))
SENTENCE = "The [MASK] barked at the mailman."
A, B = "session-a", "session-b"


def _train(ctx, owner: str, steps: int = 12, seed: int = 0):
    """One quick run through the lab tab's handler, as a visitor's click or /pretrain call makes it."""
    last = None
    for last in run_pretraining(ctx, SMALL_TEXT, None, "tiny", steps, 60, 24, 5e-3, seed, owner):
        pass
    assert last.status == "finished", last.notices
    return last


def _answers(ctx, model: str = runs.LAB_BERT) -> list[tuple[str, float]]:
    result = fill_mask_api(ctx, SENTENCE, 5, model)
    return [(p.token, p.probability) for p in result.masks[0].predictions]


def _current(lab_dir: Path) -> str | None:
    pointer = lab_dir / "CURRENT"
    return pointer.read_text() if pointer.exists() else None


@pytest.fixture()
def lab_ctx(tiny_dir, tmp_path):
    if not runs.check_run(runs.SHIPPED_DIR).ok:
        pytest.skip("no pre-trained lab pair shipped")
    return make_context(AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=tmp_path / "lab"))


def test_one_sessions_run_never_changes_another_sessions_models_even_after_a_restart(lab_ctx, tiny_dir):
    ctx = lab_ctx
    before = _answers(ctx)  # session B's lab-bert: the shipped pair
    current_before = _current(ctx.lab_dir)
    final = _train(ctx, A)

    names = final.session_models
    assert set(names) == {runs.LAB_BERT, runs.LAB_GPT}
    assert names[runs.LAB_BERT].startswith("lab-bert@") and names[runs.LAB_GPT].startswith("lab-gpt@")
    assert Path(final.saved_to).parent == ctx.lab_dir / runs.SESSIONS
    assert names[runs.LAB_BERT] in " ".join(final.notices)
    # B, and everyone else, still gets the shared models; nothing shared moved.
    assert _answers(ctx) == before
    assert _current(ctx.lab_dir) == current_before
    assert ctx.store.local_models[runs.LAB_BERT] == runs.SHIPPED_DIR / runs.LAB_BERT
    assert _lab_run_dir(ctx, B) == runs.SHIPPED_DIR
    # A loads its own run by its name, and it answers differently (12 tiny steps, not the shipped pair).
    own = _answers(ctx, names[runs.LAB_BERT])
    assert own != before
    assert _lab_run_dir(ctx, A) == Path(final.saved_to)
    direction = run_direction(ctx, runs.LAB_BERT, runs.LAB_GPT, A)  # "the lab models", for A: its own run
    assert {r.model_name for r in direction.rows} == {names[runs.LAB_BERT], names[runs.LAB_GPT], runs.LAB_LSTM}
    shared = run_direction(ctx, runs.LAB_BERT, runs.LAB_GPT, B)
    assert {r.model_name for r in shared.rows} == {runs.LAB_BERT, runs.LAB_GPT, runs.LAB_LSTM}

    # A restart (a new process on the same lab folder, `--models lab`): B's answers are still the same.
    restarted = make_context(AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=ctx.lab_dir))
    assert _answers(restarted) == before
    assert restarted.store.local_models[runs.LAB_BERT] == runs.SHIPPED_DIR / runs.LAB_BERT
    with pytest.raises(ModelUnavailable):  # a session run is never served to a new process's visitors
        restarted.store.get(names[runs.LAB_BERT], "fill-mask")


def test_a_sessions_next_run_replaces_its_last_and_session_runs_are_bounded(lab_ctx, monkeypatch):
    ctx = lab_ctx
    first = _train(ctx, A, steps=2)
    second = _train(ctx, A, steps=2, seed=1)
    assert not Path(first.saved_to).exists()  # a session keeps only its latest run
    with pytest.raises(ModelUnavailable):
        ctx.store.get(first.session_models[runs.LAB_BERT], "fill-mask")
    assert ctx.lab_sessions.get(A).run_dir == Path(second.saved_to)

    # At most KEEP_SESSION_RUNS session runs (here 2): the oldest session loses its run, on disk and in the store.
    monkeypatch.setattr(runs, "KEEP_SESSION_RUNS", 2)
    monkeypatch.setattr(ctx.lab_sessions, "_limit", 2)
    b_run = _train(ctx, B, steps=2)
    c_run = _train(ctx, "session-c", steps=2)
    assert len(ctx.lab_sessions) == 2
    assert ctx.lab_sessions.get(A) is None and not Path(second.saved_to).exists()
    assert ctx.store.local_models.get(second.session_models[runs.LAB_BERT]) is None
    assert {p.name for p in runs.session_runs(ctx.lab_dir)} == {Path(b_run.saved_to).name, Path(c_run.saved_to).name}
    assert _lab_run_dir(ctx, A) == runs.SHIPPED_DIR  # A is back to the shared models


def test_session_runs_on_disk_are_bounded_in_bytes(tmp_path, monkeypatch):
    sessions = tmp_path / runs.SESSIONS
    for i, name in enumerate(["old", "mid", "new"]):
        (sessions / name).mkdir(parents=True)
        (sessions / name / "weights").write_bytes(b"x" * 1000)
        os.utime(sessions / name, ns=(i * 10**9, i * 10**9))  # oldest first
    monkeypatch.setattr(runs, "MAX_SESSION_BYTES", 2500)
    deleted = runs.prune_session_runs(tmp_path, keep="new")
    assert [p.name for p in deleted] == ["old"]
    assert [p.name for p in runs.session_runs(tmp_path)] == ["mid", "new"]
    with pytest.raises(Exception, match="Not a session run id"):
        runs.save_session_run({}, {}, {}, tmp_path, run_id="../escape")


def test_the_command_line_pretrain_still_makes_its_run_everyones_default(tmp_path, capsys):
    from playground.__main__ import main

    assert main(["pretrain", "--preset", "tiny", "--steps", "2", "--lab-dir", str(tmp_path / "lab")]) == 0
    current = runs.current_run(tmp_path / "lab")
    assert current is not None and current.parent.name == "runs"
    assert runs.lab_models(tmp_path / "lab")[runs.LAB_BERT] == current / runs.LAB_BERT
    assert "finished" in capsys.readouterr().out


def test_the_local_opt_in_makes_a_ui_run_the_default_but_never_on_a_space(tiny_dir, tmp_path, monkeypatch, capsys):
    from app import lab_runs_become_default, parse_args

    args = parse_args(["--lab-runs-become-default"])
    assert lab_runs_become_default(args, {}) is True
    assert lab_runs_become_default(args, {"SPACE_ID": "someone/playground"}) is False
    assert "ignored on a Hugging Face Space" in capsys.readouterr().err
    assert lab_runs_become_default(parse_args([]), {}) is False

    options = AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=tmp_path / "lab", lab_runs_become_default=True)
    monkeypatch.setenv("SPACE_ID", "someone/playground")
    assert make_context(options).lab_runs_become_default is False  # the context refuses it too
    monkeypatch.delenv("SPACE_ID")
    ctx = make_context(options)
    assert ctx.lab_runs_become_default
    final = _train(ctx, A, steps=2)
    assert not final.session_models and runs.current_run(ctx.lab_dir) == Path(final.saved_to)
    assert ctx.store.local_models[runs.LAB_BERT] == Path(final.saved_to) / runs.LAB_BERT


def test_the_flag_is_explained_in_the_help():
    from app import parse_args

    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        parse_args(["--help"])
    text = " ".join(out.getvalue().split())
    assert "--lab-runs-become-default" in text and "Ignored on a Hugging Face Space" in text
