"""The model-construction lock: every construction goes through it, and a built model is checked before use."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What builds a model (or a tokenizer through transformers' lazy module): loading and config construction,
# model classes, new torch layers (their init functions are what a load patches), adapters, quantized copies.
LOADERS = {"from_pretrained", "from_config", "from_float", "get_peft_model", "quantize_dynamic"}
MODEL_CLASS = re.compile(r"^[A-Z]\w*(Model|For[A-Z]\w*|LMHeadModel|Classifier|TokenizerFast)$")
NOT_MODELS = re.compile(r"^(DataCollator\w*|ModelUnavailable|LoadedModel|BrokenModel)$")


def _callee(node: ast.Call) -> tuple[str, str]:
    """(dotted prefix, last name) of a call's function, e.g. ('tf', 'BertForMaskedLM')."""
    parts, func = [], node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    parts.reverse()
    return ".".join(parts[:-1]), parts[-1] if parts else ""


def _is_construction(node: ast.Call) -> bool:
    prefix, name = _callee(node)
    if name in LOADERS:
        return True
    if MODEL_CLASS.match(name) and not NOT_MODELS.match(name):
        return True
    # torch.nn.Linear(…), nn.Embedding(…): a new layer initialises its weights (a Parameter wraps, never inits)
    return prefix.split(".")[-1:] == ["nn"] and name[:1].isupper() and name != "Parameter"


def _locked(stack: list[ast.AST]) -> bool:
    for node in stack:
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and _callee(item.context_expr)[1] == "constructing"
                for item in node.items):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                node.name == "__init__" or any(_callee(d)[1] == "constructs" if isinstance(d, ast.Call) else
                                               getattr(d, "id", getattr(d, "attr", "")) == "constructs"
                                               for d in node.decorator_list)):
            return True  # a module's own constructor runs inside its caller's construction
    return False


def unlocked_constructions() -> list[str]:
    found = []
    for path in sorted((ROOT / "playground").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))

        def visit(node: ast.AST, stack: list[ast.AST]) -> None:
            if isinstance(node, ast.Call) and _is_construction(node) and not _locked(stack):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {'.'.join(filter(None, _callee(node)))}")
            for child in ast.iter_child_nodes(node):
                visit(child, [*stack, node])

        visit(tree, [])
    return found


def test_every_construction_holds_the_lock():
    assert unlocked_constructions() == []


def test_the_scan_finds_an_unlocked_construction(tmp_path):
    """The scan itself: a direct constructor and a from_pretrained outside the lock are found, inside are not."""
    source = ("import transformers as tf\nfrom playground.models.construction import constructing, constructs\n"
              "def bad():\n    return tf.BertForMaskedLM(cfg), tf.AutoModel.from_pretrained('x')\n"
              "def good():\n    with constructing():\n        return tf.BertForMaskedLM(cfg)\n"
              "@constructs\ndef also_good():\n    return torch.nn.Linear(2, 2)\n")
    tree = ast.parse(source)
    calls = []

    def visit(node, stack):
        if isinstance(node, ast.Call) and _is_construction(node):
            calls.append((node.lineno, _locked(stack)))
        for child in ast.iter_child_nodes(node):
            visit(child, [*stack, node])

    visit(tree, [])
    assert calls == [(4, False), (4, False), (7, True), (10, True)]


# ---- concurrent loads ------------------------------------------------------------------------------------

SPECS = [("tiny-bert", "fill-mask"), ("tiny-gpt2", "text-generation"), ("tiny-xlm-roberta", "fill-mask"),
         ("tiny-distilbert-sst2", "sentiment"), ("tiny-pegasus", "summarization")]


def _logits(loaded):
    import torch

    enc = loaded.tokenizer("the cat sat on the mat", return_tensors="pt")
    with torch.no_grad():
        if loaded.task == "summarization":
            return loaded.model(**enc, decoder_input_ids=enc["input_ids"][:, :3]).logits
        return loaded.model(**enc).logits


def test_models_loaded_at_once_in_many_threads_are_whole_and_equal_to_a_lone_load(tiny_dir):
    """Five threads load five different models at the same moment, 30 times over: each model passes the check
    (nothing on the meta device, output layer tied), gives the logits of the same model loaded alone, and
    transformers' tie_weights is the real method afterwards. Before the lock, 9 of 10 such rounds broke."""
    import torch
    import transformers

    from playground.models.cards import load_catalog
    from playground.models.construction import model_problems
    from playground.models.loader import ModelStore
    from playground.models.tiny import tiny_paths

    paths = tiny_paths(tiny_dir)
    alone = {spec: _logits(ModelStore(load_catalog(), local_models=paths).get(*spec)) for spec in SPECS}
    failures: list[str] = []
    for trial in range(30):
        store = ModelStore(load_catalog(), local_models=paths)
        start = threading.Barrier(len(SPECS))
        got: dict = {}

        def load(spec):
            start.wait()
            try:
                got[spec] = store.get(*spec)
            except Exception as exc:  # noqa: BLE001 — every failure is reported below
                failures.append(f"round {trial} {spec}: {exc}")

        threads = [threading.Thread(target=load, args=(spec,)) for spec in SPECS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for spec, loaded in got.items():
            problems = model_problems(loaded.model)
            if problems:
                failures.append(f"round {trial} {spec}: {problems}")
            elif not torch.equal(_logits(loaded), alone[spec]):
                failures.append(f"round {trial} {spec}: logits differ from a lone load")
    assert failures == []
    assert transformers.PreTrainedModel.tie_weights.__qualname__ == "PreTrainedModel.tie_weights"


# ---- the check ----------------------------------------------------------------------------------------------

def test_the_check_finds_weights_on_the_meta_device_and_an_untied_head(store):
    import copy

    import torch

    from playground.models.construction import model_problems

    model = copy.deepcopy(store.get("tiny-bert", "fill-mask").model)
    assert model_problems(model) == []
    model.cls.predictions.decoder.weight = torch.nn.Parameter(model.cls.predictions.decoder.weight.detach().clone())
    assert model_problems(model) == ["its output layer is not tied to its input embeddings, as its config says it is"]
    model.cls.predictions.decoder.weight = torch.nn.Parameter(torch.empty(3, 3, device="meta"))
    assert any("meta device" in p for p in model_problems(model))


def test_a_broken_load_is_never_cached_and_the_next_request_loads_again(tiny_dir, monkeypatch):
    """A load that comes out broken (here: the output layer left on the meta device, as the race left it) is
    refused with what happened (no download advice) and not kept; the next request loads a whole model."""
    import torch
    import transformers

    from playground.core.errors import ModelUnavailable
    from playground.models.cards import load_catalog
    from playground.models.construction import model_problems
    from playground.models.loader import ModelStore
    from playground.models.tiny import tiny_paths

    real = transformers.AutoModelForMaskedLM.from_pretrained.__func__
    broken = {"left": 1}

    def from_pretrained(cls, *args, **kwargs):
        model, info = real(cls, *args, **kwargs)
        if broken["left"]:
            broken["left"] -= 1
            model.cls.predictions.decoder.weight = torch.nn.Parameter(torch.empty(2, 2, device="meta"))
        return model, info

    monkeypatch.setattr(transformers.AutoModelForMaskedLM, "from_pretrained", classmethod(from_pretrained))
    store = ModelStore(load_catalog(), local_models=tiny_paths(tiny_dir))
    with pytest.raises(ModelUnavailable) as refused:
        store.get("tiny-bert", "fill-mask")
    message = str(refused.value)
    assert "meta device" in message and "next request" in message
    assert "download" not in message.lower() and "rebuild" not in message.lower()
    assert store.loaded() == []
    again = store.get("tiny-bert", "fill-mask")
    assert model_problems(again.model) == []
    assert store.get("tiny-bert", "fill-mask") is again


def test_a_tie_weights_patch_left_behind_is_undone_by_the_next_construction(store):
    """Code outside the lock that left transformers' tie_weights as a no-op cannot break later loads."""
    import transformers

    from playground.models.construction import constructing

    real = transformers.PreTrainedModel.tie_weights
    transformers.PreTrainedModel.tie_weights = lambda *a, **k: None
    try:
        with constructing():
            assert transformers.PreTrainedModel.tie_weights is real
    finally:
        transformers.PreTrainedModel.tie_weights = real


def test_a_failed_load_that_is_not_about_missing_files_gives_no_download_advice(tiny_dir, tmp_path):
    """A checkpoint whose config is damaged: the message says what failed and does not advise downloading."""
    import shutil

    from playground.core.errors import ModelUnavailable
    from playground.models.cards import load_catalog
    from playground.models.loader import ModelStore

    damaged = tmp_path / "tiny-bert"
    shutil.copytree(tiny_dir / "tiny-bert", damaged)
    (damaged / "config.json").write_text('{"model_type": "bert", "hidden_size": "wide"}')
    store = ModelStore(load_catalog(), local_models={"tiny-bert": damaged})
    with pytest.raises(ModelUnavailable) as refused:
        store.get("tiny-bert", "fill-mask")
    message = str(refused.value)
    assert "failed" in message
    assert "download" not in message.lower() and "rebuild" not in message.lower()


def test_a_lab_run_while_requests_load_and_run_models(tiny_dir):
    """A lab pre-training run builds its models while other threads load models into fresh stores, build a
    measurement model and run passes: no error, every answer equals the quiet one, and the lab run's numbers
    equal the same run done alone (its seeded initial weights were not disturbed)."""
    import torch

    from playground.models.architectures import build_model
    from playground.models.cards import load_catalog
    from playground.models.construction import model_problems
    from playground.models.loader import ModelStore
    from playground.models.tiny import tiny_paths
    from playground.tasks.lab.corpus import builtin_choice
    from playground.tasks.lab.pretrain import PretrainSettings, run_training

    settings = PretrainSettings(preset="tiny", steps=20, seq_len=24, seed=3)
    corpus = builtin_choice()
    alone = [p for p in run_training(corpus, settings, save=False)][-1]
    paths = tiny_paths(tiny_dir)
    quiet = {spec: _logits(ModelStore(load_catalog(), local_models=paths).get(*spec)) for spec in SPECS}

    failures: list[str] = []
    training_done = threading.Event()
    result: dict = {}

    def train():
        try:
            result["final"] = [p for p in run_training(corpus, settings, save=False)][-1]
        except Exception as exc:  # noqa: BLE001
            failures.append(f"lab run: {exc!r}")
        finally:
            training_done.set()

    def serve(spec):
        rounds = 0
        while not training_done.is_set() or rounds < 2:
            rounds += 1
            try:
                loaded = ModelStore(load_catalog(), local_models=paths).get(*spec)  # a fresh load every time
                if model_problems(loaded.model) or not torch.equal(_logits(loaded), quiet[spec]):
                    failures.append(f"{spec} round {rounds}: broken or different answer "
                                    f"{model_problems(loaded.model)} {(_logits(loaded) - quiet[spec]).abs().max()}")
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{spec} round {rounds}: {exc!r}")

    def measure():
        while not training_done.is_set():
            try:
                if model_problems(build_model("bert-base-uncased", tiny=True)):
                    failures.append("measurement model broken")
            except Exception as exc:  # noqa: BLE001
                failures.append(f"measurement: {exc!r}")

    threads = [threading.Thread(target=train), threading.Thread(target=measure),
               *(threading.Thread(target=serve, args=(spec,)) for spec in SPECS[:3])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert failures == []
    final = result["final"]
    assert final.status == "finished"
    assert [(m.name, m.train_loss, m.heldout_loss) for m in final.models] == \
           [(m.name, m.train_loss, m.heldout_loss) for m in alone.models]
