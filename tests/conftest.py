"""Shared fixtures: tiny models built once per session, a model store over them, and a live app."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

# Tests never touch the network: a missing model must fail fast with a clear message.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# The lab models folder of the tests is a fresh temporary one (never the user's cache): the app serves the
# pair shipped in the repo until a test trains a run into it.
os.environ.setdefault("PLAYGROUND_LAB_DIR", tempfile.mkdtemp(prefix="playground-lab-tests-"))


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny models: one intra-op thread is many times faster than two fighting over a busy 2-core machine.
    (Imported here, not at module level: a test checks in a subprocess that the app starts without torch.)"""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    from playground.models.tiny import build_tiny_models

    root = tmp_path_factory.mktemp("tiny") / "models"
    build_tiny_models(root)
    return root


@pytest.fixture(scope="session")
def store(tiny_dir):
    from playground.models.cards import load_catalog
    from playground.models.loader import ModelStore
    from playground.models.tiny import tiny_paths

    return ModelStore(load_catalog(), local_models=tiny_paths(tiny_dir))


@pytest.fixture(scope="session")
def ctx(store):
    """The app context the handlers take, over the tiny models (tiny profile, the real model cards)."""
    from playground.models.cards import load_catalog
    from playground.models.profiles import tiny_profile
    from playground.tasks.context import AppContext

    return AppContext(store=store, profile=tiny_profile(), catalog=load_catalog())


@pytest.fixture(scope="session")
def bert(store):
    return store.get("tiny-bert", "fill-mask")


@pytest.fixture(scope="session")
def gpt(store):
    return store.get("tiny-gpt2", "text-generation")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_collection_modifyitems(items):
    """A test that starts the live app must say so (marker `server`), or the fast loop would start it too."""
    unmarked = [item.nodeid for item in items
                if "live_app" in getattr(item, "fixturenames", ()) and item.get_closest_marker("server") is None]
    if unmarked:
        raise pytest.UsageError(f"mark these tests `server` (they start the live app): {', '.join(unmarked)}")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A browser module without Playwright skips itself (`pytest.importorskip`), so collection passes on a machine
    without it; where PLAYGROUND_REQUIRE_BROWSER is set (CI), that skip is a collection error instead."""
    report = yield
    if report.skipped and os.environ.get("PLAYGROUND_REQUIRE_BROWSER") and isinstance(collector, pytest.Module):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "playwright" in reason.lower():
            report.outcome = "failed"
            report.longrepr = f"PLAYGROUND_REQUIRE_BROWSER is set, so the browser tests must run, but: {reason}"
    return report


@pytest.fixture(scope="session")
def tiny_demo(tiny_dir):
    """The whole app on tiny models, built but not served (its endpoint functions can be called directly)."""
    from playground.tasks.context import AppOptions
    from playground.ui.page import build_app

    return build_app(AppOptions(models="tiny", tiny_dir=tiny_dir))


@pytest.fixture(scope="session")
def live_app(tiny_dir):
    """The whole app on tiny models, served on a free local port; yields its URL."""
    from playground.tasks.context import AppOptions
    from playground.ui.page import CSS, THEME, build_app
    from playground.ui.serving import launch

    demo = build_app(AppOptions(models="tiny", tiny_dir=tiny_dir))
    port = _free_port()
    # The app's own bounds (queue, concurrency groups, body size, sessions, uploads off), as `app.py` serves it.
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS, theme=THEME)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def client(live_app):
    from gradio_client import Client

    return Client(live_app, verbose=False)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (skipped where chromium is not installed)."""
    chromium = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        if os.environ.get("PLAYGROUND_REQUIRE_BROWSER"):
            pytest.fail(f"PLAYGROUND_REQUIRE_BROWSER is set but there is no chromium at {chromium}")
        pytest.skip(f"no chromium at {chromium}; install Debian's chromium (the CI script does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield instance
        instance.close()


@pytest.fixture()
def page(browser, live_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(live_app)
    yield tab
    context.close()


def hub_layout_cache(root: Path, models: dict[str, Path]) -> Path:
    """A Hugging Face Hub cache folder (`models--<name>/snapshots/<commit>/…`, `refs/main`) holding each local
    checkpoint under a Hub name, so the default path (`from_pretrained("gpt2")` with HF_HUB_OFFLINE=1) loads it."""
    import shutil

    commit = "0" * 40
    for hub_id, directory in models.items():
        repo = root / f"models--{hub_id.replace('/', '--')}"
        shutil.copytree(directory, repo / "snapshots" / commit)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
    return root


@pytest.fixture(scope="session")
def default_path_cache(tiny_dir, tmp_path_factory) -> Path:
    """The tiny BERT and GPT-2 under the default models' real names, in a Hub-layout cache."""
    return hub_layout_cache(tmp_path_factory.mktemp("hub-cache"),
                            {"bert-base-uncased": tiny_dir / "tiny-bert", "gpt2": tiny_dir / "tiny-gpt2"})
