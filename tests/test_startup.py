"""Start-up behaviour: safe defaults, Space variables, and an honest model status when offline."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import app
from playground.models.warm import WarmStart
from playground.tasks.context import AppOptions, make_context

ROOT = Path(__file__).resolve().parent.parent


def test_binds_locally_by_default(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    args = app.parse_args([])
    assert app.server_address(args) == ("127.0.0.1", 7860)
    assert args.share is False and args.allow_any_model is False


def test_space_variables_win_over_defaults_and_flags_win_over_both(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert app.server_address(app.parse_args([])) == ("0.0.0.0", 7861)
    assert app.server_address(app.parse_args(["--host", "127.0.0.1", "--port", "9000"])) == ("127.0.0.1", 9000)


def test_missing_models_are_named_with_the_download_command(monkeypatch):
    import playground.models.loader as loader
    from playground.ui.page import model_status_markdown

    monkeypatch.setattr(loader, "hub_is_cached", lambda repo_id: repo_id == "gpt2")
    ctx = make_context(AppOptions(models="default"))
    status = model_status_markdown(ctx)
    assert "bert-base-uncased" in status and "python -m playground download" in status
    command = status.split("`python -m playground download")[1].split("`")[0]
    assert "bert-base-uncased" in command and "gpt2" not in command  # the cached one is not asked for
    assert "--models lab" in status and "--models tiny" in status  # the offline modes


def test_tiny_mode_is_labelled_and_builds_nothing_at_start_up(tmp_path):
    ctx = make_context(AppOptions(models="tiny", tiny_dir=tmp_path / "tiny"))
    assert "predictions are noise" in ctx.profile.banner
    assert not (tmp_path / "tiny").exists()  # built on first use, not at start-up
    assert ctx.model("tiny-gpt2", "text-generation").is_tiny
    assert (tmp_path / "tiny" / "COMPLETE").exists()


def test_a_desktop_start_opens_the_browser_but_never_on_a_space_a_server_or_with_no_display():
    local = app.parse_args([])
    assert app.should_open_browser(local, "127.0.0.1", {"DISPLAY": ":0"})
    assert not app.should_open_browser(app.parse_args(["--no-browser"]), "127.0.0.1", {"DISPLAY": ":0"})
    assert not app.should_open_browser(local, "127.0.0.1", {"DISPLAY": ":0", "SPACE_ID": "me/playground"})
    assert not app.should_open_browser(local, "0.0.0.0", {"DISPLAY": ":0"})
    if sys.platform.startswith("linux"):
        assert not app.should_open_browser(local, "127.0.0.1", {})  # a server with no display


def test_help_has_examples_and_explains_the_environment(capsys):
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    text = capsys.readouterr().out
    for needle in ("examples:", "--models tiny", "--no-browser", "PLAYGROUND_MODELS", "HF_HUB_OFFLINE", "--share"):
        assert needle in text


@pytest.mark.server  # starts `python app.py` in a subprocess
def test_a_busy_port_gives_one_line_naming_the_port_flag(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = dict(os.environ, PLAYGROUND_TINY_DIR=str(tmp_path), GRADIO_ANALYTICS_ENABLED="False")
        run = subprocess.run([sys.executable, "app.py", "--models", "tiny", "--no-browser", "--port", str(port)],
                             capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert f"--port {port + 1}" in run.stderr and "launch(" not in run.stderr


def test_the_terminal_says_when_the_app_is_ready(capsys):
    """The page's status line is not the only place: the terminal says ready, with the address, once warm."""
    warm = WarmStart()
    warm.start([("loading lab-bert", lambda: None)], ready="lab-bert and lab-gpt loaded and warmed up — ready")
    app.announce_ready(warm, "http://127.0.0.1:7860/")
    line = capsys.readouterr().out.strip()
    assert line.startswith("✅ lab-bert and lab-gpt loaded and warmed up — ready") and line.endswith(
        "open http://127.0.0.1:7860/")
    app.announce_ready(None, "http://127.0.0.1:7860/")
    assert "ready (models load on first use) — open http://127.0.0.1:7860/" in capsys.readouterr().out
