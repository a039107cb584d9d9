import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.models.cards import load_catalog
from playground.core.errors import ModelUnavailable
from playground.models.loader import ModelStore

ROOT = Path(__file__).resolve().parent.parent


def test_models_are_loaded_once_and_shared(store):
    first = store.get("tiny-gpt2", "text-generation")
    again = store.get("tiny-gpt2", "text-generation")
    assert first is again
    assert first.model.training is False
    assert not any(p.requires_grad for p in first.model.parameters())


def test_unlisted_model_is_refused_without_opt_in(store):
    with pytest.raises(ModelUnavailable, match="not named in model_cards"):
        store.get("someone/unknown-model", "fill-mask")


def test_opt_in_allows_unlisted_names_but_still_fails_clearly_offline(tiny_dir):
    open_store = ModelStore(load_catalog(), allow_unlisted=True, hub_reachable=lambda: False)
    open_store.check_allowed("someone/unknown-model")  # allowed…
    with pytest.raises(ModelUnavailable, match="python -m playground download someone/unknown-model"):
        open_store.get("someone/unknown-model", "fill-mask")  # …but not downloadable here


def test_missing_model_with_the_hub_unreachable_fails_fast_and_names_the_download_command(monkeypatch):
    import playground.models.loader as loader

    monkeypatch.setattr(loader, "hub_offline_forced", lambda: False)  # as on a user's machine without the flag
    calls = []
    offline_store = ModelStore(load_catalog(), hub_reachable=lambda: calls.append(1) or False)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        offline_store.get("gpt2", "text-generation")
    assert time.monotonic() - started < 2
    assert calls == [1]  # the reachability probe decided, not ~20 s of HTTP retries
    with pytest.raises(ModelUnavailable):
        offline_store.get("bert-base-uncased", "fill-mask")
    assert calls == [1]  # and its answer is remembered for a while
    assert "Hub is unreachable" in str(info.value)
    assert "python -m playground download gpt2" in str(info.value)


def test_missing_model_with_hf_hub_offline_fails_without_probing(monkeypatch):
    import playground.models.loader as loader

    monkeypatch.setattr(loader, "hub_offline_forced", lambda: True)
    offline_store = ModelStore(load_catalog(), hub_reachable=lambda: pytest.fail("must not probe when offline"))
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE is set"):
        offline_store.get("bert-base-uncased", "fill-mask")


def test_hub_probe_gives_up_quickly_on_an_unreachable_endpoint(monkeypatch):
    from huggingface_hub import constants

    import playground.models.loader as loader

    monkeypatch.setattr(constants, "ENDPOINT", "https://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    assert loader.hub_is_reachable(timeout_s=1.0) is False
    assert time.monotonic() - started < 2


def test_memory_budget_evicts_least_recently_used(tiny_dir):
    from playground.models.tiny import tiny_paths

    local = tiny_paths(tiny_dir)
    probe = ModelStore(load_catalog(), local_models=local)
    one_model = probe.get("tiny-gpt2", "text-generation").nbytes
    small = ModelStore(load_catalog(), local_models=local, memory_budget_bytes=int(one_model * 1.5))
    small.get("tiny-gpt2", "text-generation")
    small.get("tiny-bert", "fill-mask")
    loaded = [(name, task) for name, task, _ in small.loaded()]
    assert loaded == [("tiny-bert", "fill-mask")]


def test_unknown_task_is_rejected(store):
    with pytest.raises(ValueError, match="Unknown task"):
        store.get("tiny-bert", "translation")


def test_importing_the_app_loads_no_model_and_no_torch():
    code = ("import sys, app; from playground.tasks.context import make_context, AppOptions; "
            "ctx = make_context(AppOptions(models='default')); "
            "import playground.ui.page as ui; ui.build_demo(ctx); "
            "print('torch' in sys.modules, ctx.store.loaded())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip().splitlines()[-1] == "False []"


def test_a_download_never_holds_up_other_models_loads(tiny_dir, monkeypatch):
    """A model not in the cache is downloaded before the construction lock is taken: while it downloads, another
    thread loads another model (with the lock held during the download, that load would wait for it)."""
    import threading

    import playground.models.loader as loader
    from playground.models.cards import load_catalog
    from playground.models.loader import ModelStore
    from playground.models.tiny import tiny_paths

    monkeypatch.setattr(loader, "hub_is_cached", lambda name: False)
    monkeypatch.setattr(loader, "hub_offline_forced", lambda: False)
    loaded_meanwhile = []

    def fetch(repo_id: str) -> str:  # stands in for the download: another user's load runs meanwhile
        other = ModelStore(load_catalog(), local_models=tiny_paths(tiny_dir))
        worker = threading.Thread(target=lambda: loaded_meanwhile.append(other.get("tiny-gpt2", "text-generation")))
        worker.start()
        worker.join(20)
        return str(tiny_dir / "tiny-bert")

    monkeypatch.setattr(loader, "fetch_model_files", fetch)
    store = ModelStore(load_catalog(), hub_reachable=lambda: True)
    bert = store.get("bert-base-uncased", "fill-mask")
    assert len(loaded_meanwhile) == 1 and loaded_meanwhile[0].model is not None
    assert bert.model is not None and bert.source == str(tiny_dir / "tiny-bert")
