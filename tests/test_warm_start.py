"""Warm start: the default Compare models load in the background after the page is served, with a status line;
a failure to load is reported there and the app keeps working; --no-preload turns it off."""

import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import app
from playground.tasks.context import AppOptions, make_context
from playground.models.profiles import Profile, tiny_profile
from playground.models.warm import WarmStart
from playground.ui.page import _warm_status, build_demo, start_preload

ROOT = Path(__file__).resolve().parent.parent
TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_block(demo):
    return next((b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "warm-status"), None)


def test_preload_loads_the_default_models_warms_them_up_and_says_so(tiny_dir):
    ctx = make_context(AppOptions(models="tiny", tiny_dir=tiny_dir, preload=True))
    demo = build_demo(ctx)
    assert _status_block(demo) is not None and ctx.store.loaded() == []  # nothing loads while the page is built
    refresh = [fn for fn in demo.fns.values() if fn.fn is not None and "warm" in getattr(fn.fn, "__qualname__", "")]
    assert refresh and all(fn.api_visibility == "private" for fn in refresh)
    start_preload(ctx, demo)
    assert ctx.warm.status().startswith("⏳ loading tiny-bert")
    assert ctx.warm.wait(120)
    status, timer = _warm_status(ctx)
    assert status.startswith("✅ tiny-bert and tiny-gpt2 loaded and warmed up — ready") and timer.active is False
    assert {(name, task) for name, task, _ in ctx.store.loaded()} == {("tiny-bert", "fill-mask"),
                                                                      ("tiny-gpt2", "text-generation")}


def test_a_preload_failure_is_reported_in_the_status_and_the_app_stays_usable(tiny_dir, monkeypatch):
    import playground.models.loader as loader
    from gradio_client import Client

    monkeypatch.setattr(loader, "hub_offline_forced", lambda: True)  # offline, and bert-base is not cached
    tiny = make_context(AppOptions(models="tiny", tiny_dir=tiny_dir, preload=True))
    profile = Profile(name="tiny", models={**tiny_profile().models, "fill-mask": ("bert-base-uncased", "tiny-bert")})
    ctx = dataclasses.replace(tiny, profile=profile)
    demo = build_demo(ctx)
    port = _free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        start_preload(ctx, demo)
        assert ctx.warm.wait(60)
        status = ctx.warm.status()
        assert status.startswith("⚠️ loading bert-base-uncased failed")
        assert "bert-base-uncased' is unavailable" in status and "still works" in status
        assert "python -m playground download" not in status  # the advice is the header's and the tabs' to give
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
        result = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            TESLA, 3, "", 1, 1, "tiny-bert", "tiny-gpt2", False, api_name="/compare")
        assert result["bert"]["masks"][0]["predictions"]
    finally:
        demo.close()


def test_a_failing_step_stops_the_warm_start_without_raising():
    warm = WarmStart()
    ran = []
    warm.start([("step one", lambda: ran.append(1)), ("step two", lambda: 1 / 0), ("step three", lambda: ran.append(3))])
    assert warm.wait(10) and ran == [1]
    assert warm.status().startswith("⚠️ step two failed: division by zero")


def test_no_preload_turns_it_off(tiny_dir):
    args = app.parse_args(["--no-preload"])
    assert args.no_preload and not app.parse_args([]).no_preload
    ctx = make_context(AppOptions(models="tiny", tiny_dir=tiny_dir, preload=not args.no_preload))
    demo = build_demo(ctx)
    assert ctx.warm is None and start_preload(ctx, demo) is None
    assert _status_block(demo) is None


@pytest.mark.slow  # starts `python app.py` and serves its page: about 10 s
@pytest.mark.server
def test_the_app_offline_serves_its_page_and_says_why_it_skips_the_preload(tmp_path):
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, "app.py", "--no-browser", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the page was not served")
        time.sleep(3)  # the app keeps serving after start-up (offline, nothing cached)
        assert proc.poll() is None  # still serving
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err
    # Offline with nothing cached the preload could only fail: it is skipped, and the terminal says why.
    assert "warm start skipped: offline (HF_HUB_OFFLINE) and bert-base-uncased and gpt2 not in the local cache" in err
