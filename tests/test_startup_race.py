"""Fresh starts never serve a broken model: requests that arrive while the warm start is still loading the
default models all succeed, and give the answers of a quiet app (issue: 9 of 11 fresh starts broke)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.server]

TEXT = "The cat sat on the [MASK]."
REQUESTS = [("fill_mask", [TEXT]), ("next_token", ["The cat sat on the"]), ("compare", [TEXT])]
VARYING = ("seconds", "_ms", "timing", "elapsed")  # wall-clock fields: the only part of an answer that may differ


def _stable(value):
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if not any(word in k for word in VARYING)}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str, object]:
    from playground.bench.soak import _free_port

    port = _free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "app.py", *args, "--no-browser", "--port", str(port)], cwd=ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}/gradio_api", log


def _wait_until_served(process, base: str, log, wait_s: float = 120.0) -> None:
    """Poll every 50 ms, so the requests go out the moment the page is served (the warm start begins then)."""
    import httpx

    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the app exited while starting:\n{log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/info", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the app did not answer within {wait_s:.0f} s")


def _all_at_once(base: str) -> dict[str, object]:
    import httpx

    from playground.bench.soak import call

    outcomes: dict[str, object] = {}
    start = threading.Barrier(len(REQUESTS))

    def fire(api, data):
        with httpx.Client() as http:
            start.wait()
            outcomes[api] = call(http, base, api, data)

    threads = [threading.Thread(target=fire, args=request) for request in REQUESTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _answers(outcomes: dict[str, object]) -> dict[str, object]:
    bad = {api: f"{o.kind}: {o.message}" for api, o in outcomes.items() if o.kind != "ok"}
    assert bad == {}
    return {api: _stable(o.data) for api, o in outcomes.items()}


def _quiet_answers(args: list[str], env: dict[str, str]) -> dict[str, object]:
    """The same requests, one at a time, on an app with no warm start."""
    import httpx

    from playground.bench.soak import call

    process, base, log = _start([*args, "--no-preload"], env)
    try:
        _wait_until_served(process, base, log)
        with httpx.Client() as http:
            return _answers({api: call(http, base, api, data) for api, data in REQUESTS})
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize("path", ["tiny", "default"])
def test_requests_during_the_warm_start_never_get_a_broken_model(path, tiny_dir, default_path_cache):
    """Fresh starts (3 with the tiny models, 3 on the default path: bert-base-uncased and gpt2 from an offline Hub
    cache): /fill_mask, /next_token and /compare fired together the moment the page is served, while the warm
    start loads the same models in its thread; then again once it is done. No error, quiet-app answers."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", PLAYGROUND_TINY_DIR=str(tiny_dir),
               HF_HUB_CACHE=str(default_path_cache), PLAYGROUND_LAB_DIR=tempfile.mkdtemp(prefix="lab-race-"))
    args = ["--models", path]
    quiet = _quiet_answers(args, env)
    for start in range(3):
        process, base, log = _start(args, env)
        try:
            _wait_until_served(process, base, log)
            during = _answers(_all_at_once(base))
            time.sleep(3)  # the warm start is done by now (tiny models load in about a second)
            after = _answers(_all_at_once(base))
        finally:
            process.terminate()
            process.wait(30)
        assert during == quiet, f"start {start}: answers during the warm start differ from a quiet app's"
        assert after == quiet, f"start {start}: later answers differ from a quiet app's"
