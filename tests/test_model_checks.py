"""Issue 9: every task refuses a model without its head, --allow-any-model means Hub ids only, and the tiny
cache heals itself (checked by content), with the right advice in every message."""

import errno
import os
import shutil
from pathlib import Path

import pytest

import playground.__main__ as cli
import playground.models.tiny as tiny
import playground.models.tiny_build as tiny_build
from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.models.cards import load_catalog
from playground.tasks.context import AppOptions, make_context
from playground.models.loader import ModelStore
from playground.models.tiny import build_tiny_models, tiny_cache_problems, tiny_paths

ROOT = Path(__file__).resolve().parent.parent


# ---- every task checks the model's head ----------------------------------------------------------

@pytest.mark.parametrize("name, task, fits", [
    ("tiny-bert", "text-generation", "tiny-gpt2"),  # /next_token, /generate_step with BERT
    ("tiny-pegasus", "text-generation", "gpt2"),
    ("tiny-distilbert-sst2", "fill-mask", "tiny-bert"),  # /fill_mask with the SST-2 checkpoint
    ("tiny-distilbert-squad", "fill-mask", "bert-base-uncased"),  # … and with a SQuAD one
    ("tiny-distilbert-squad", "fill-mask", "tiny-bert"),  # /mask_sim with a QA model
    ("tiny-gpt2", "question-answering", "tiny-roberta-squad2"),
    ("tiny-bert", "sentiment", "tiny-distilbert-sst2"),
    ("tiny-roberta-squad2", "nsp", "bert-base-uncased"),
    ("tiny-bert", "summarization", "google/pegasus-xsum"),
])
def test_a_model_without_the_tasks_head_is_refused_naming_the_models_that_fit(store, name, task, fits):
    with pytest.raises(ModelUnavailable) as info:
        store.get(name, task)
    message = str(info.value)
    assert "unavailable" in message and "head" in message and "noise" in message
    assert fits in message.split("Models that fit:")[1]
    assert "python -m playground download" not in message  # downloading would not help


def test_checkpoint_names_are_refused_too_not_only_tiny_ones():
    real = ModelStore(load_catalog())  # nothing is loaded: the card decides before any download
    for name, task in [("gpt2", "fill-mask"), ("bert-base-uncased", "text-generation"),
                       ("distilbert-base-uncased-finetuned-sst-2-english", "fill-mask"),
                       ("google/pegasus-xsum", "text-generation"), ("deepset/roberta-base-squad2", "fill-mask")]:
        with pytest.raises(ModelUnavailable, match="Models that fit"):
            real.get(name, task)


def test_every_model_still_loads_for_its_own_tasks_and_any_tokenizer_for_tokenizer_only(store):
    from playground.models.registry import TASKS, card_for

    for name in tiny_paths(Path("unused")):
        for task in card_for(store.catalog, name).tasks:
            loaded = store.get(name, task)
            assert loaded.model is not None if TASKS[task].auto_class else loaded.tokenizer is not None
        assert store.get(name, "tokenizer-only").tokenizer is not None
    assert TASKS["nsp"].tiny_models == ("tiny-bert",)


class _PretendHub(ModelStore):
    """An unlisted 'Hub' model served from a tiny checkpoint directory (nothing is downloaded)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(load_catalog(), allow_unlisted=True)
        self.directory = directory

    def _source(self, name):
        return str(self.directory), True


def test_an_unlisted_model_is_checked_by_its_weights_when_loaded(tiny_dir):
    sst2_copy = _PretendHub(tiny_dir / "tiny-distilbert-sst2")
    assert sst2_copy.get("someone/sst2-copy", "sentiment").model is not None
    with pytest.raises(ModelUnavailable, match="no trained masked-language-model .* head .*random") as info:
        sst2_copy.get("someone/sst2-copy", "fill-mask")
    assert "bert-base-uncased" in str(info.value)


# ---- --allow-any-model: Hub ids only ----------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "/etc", "/nonexistent", "../../../../etc/passwd", "etc/passwd/", "./models", "docs", "playground",
    "https://huggingface.co/gpt2", "hf://gpt2", "C:\\\\models\\\\bert", "~/models", "a/b/c", "owner/..",
    "-leading-dash", "name with spaces", "\ud800", "x" * 300, "owner--name/x", "gpt2.git",
])
def test_allow_any_model_refuses_paths_and_urls_with_one_message(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # where `docs` and `playground` are folders
    open_store = ModelStore(load_catalog(), allow_unlisted=True, hub_reachable=lambda: pytest.fail("no probe"))
    with pytest.raises(ModelUnavailable) as info:
        open_store.get(name, "fill-mask")
    message = str(info.value)
    assert "only Hugging Face Hub model ids" in message and "never a path on this machine or a URL" in message
    assert len(message) < 500


def test_refusals_read_the_same_for_existing_and_missing_paths():
    """The same reason whether or not the path exists: a refusal tells nothing about the disk."""
    open_store = ModelStore(load_catalog(), allow_unlisted=True)
    reasons = set()
    for name in ("/etc", "/nonexistent", "/etc/passwd", "../../../../etc/passwd"):
        with pytest.raises(ModelUnavailable) as info:
            open_store.get(name, "fill-mask")
        reasons.add(info.value.reason)
    assert len(reasons) == 1


@pytest.mark.parametrize("name", ["gpt2-xl", "someone/unknown-model", "EleutherAI/gpt-neo-125m", "a.b_c-d/x1"])
def test_allow_any_model_accepts_hub_ids(name):
    ModelStore(load_catalog(), allow_unlisted=True).check_allowed(name)


# ---- the tiny cache heals itself -----------------------------------------------------------------

@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "tiny"
    build_tiny_models(root)
    return root


@pytest.fixture()
def cache(pristine, tmp_path) -> Path:
    copy = tmp_path / "tiny"
    shutil.copytree(pristine, copy)
    assert tiny_cache_problems(copy) == []
    return copy


def _damage_weights(cache: Path) -> None:
    weights = cache / "tiny-gpt2" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])


@pytest.mark.parametrize("damage", [
    _damage_weights,
    lambda cache: shutil.rmtree(cache / "tiny-gpt2"),  # a deleted model folder
    lambda cache: (cache / "tiny-gpt2" / "tokenizer.json").unlink(),
    lambda cache: (cache / tiny.MANIFEST).unlink(),  # a partial build: files, no manifest
], ids=["damaged weights", "deleted folder", "missing tokenizer", "partial build"])
def test_a_broken_cache_is_found_by_its_content_and_rebuilt_on_first_use(cache, damage):
    damage(cache)
    assert (cache / "COMPLETE").exists()  # the marker survives: it cannot be what decides
    assert tiny_cache_problems(cache)
    ctx = make_context(AppOptions(models="tiny", tiny_dir=cache))
    assert ctx.model("tiny-gpt2", "text-generation").is_tiny
    assert tiny_cache_problems(cache) == []


def test_python_m_playground_tiny_really_rebuilds(cache, monkeypatch, capsys):
    _damage_weights(cache)
    before = (cache / "tiny-bert" / "config.json").stat().st_ino
    monkeypatch.setattr(tiny, "default_tiny_dir", lambda: cache)
    assert cli.main(["tiny"]) == 0
    assert tiny_cache_problems(cache) == []
    assert (cache / "tiny-bert" / "config.json").stat().st_ino != before  # a fresh build, not a shrug
    assert "tiny-gpt2" in capsys.readouterr().out


def test_a_read_only_cache_gets_a_clear_message_with_the_right_advice(cache, monkeypatch):
    _damage_weights(cache)

    def read_only(root):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(root))

    monkeypatch.setattr(tiny_build, "build_all", read_only)
    ctx = make_context(AppOptions(models="tiny", tiny_dir=cache))
    with pytest.raises(ModelUnavailable) as info:
        ctx.model("tiny-gpt2", "text-generation")
    message = str(info.value)
    assert "Read-only file system" in message and "PLAYGROUND_TINY_DIR" in message
    assert "python -m playground download" not in message and "Something went wrong" not in message
    with pytest.raises(PlaygroundError, match="PLAYGROUND_TINY_DIR"):
        build_tiny_models(cache, force=True)


def test_a_tiny_model_that_fails_to_load_names_the_rebuild_command_not_a_download(cache):
    store = ModelStore(load_catalog(), local_models=tiny_paths(cache))  # no self-healing here
    (cache / "tiny-gpt2" / "config.json").write_text("{ not json")
    with pytest.raises(ModelUnavailable) as info:
        store.get("tiny-gpt2", "text-generation")
    assert "python -m playground tiny" in str(info.value) and "playground download" not in str(info.value)
