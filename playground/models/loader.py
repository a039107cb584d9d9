"""The one place that loads models: lazily, once per (model, task, variant), shared by every user, with an
LRU memory budget, an allow-list from `model_cards/`, and fast, explained failure when offline.

Variants: "fp32" is the checkpoint as published (sdpa attention, transformers' default); "int8" is the fast-mode
copy made from it (`variants.int8_copy`), cached like any model and counted at its real size.

Start-up: nothing here imports torch or transformers at module import time (huggingface_hub is imported at the
top: gradio has imported it already); the first `get()` does, and reaches `variants` as `models.variants`, so the
app starts fast.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import socket
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from huggingface_hub import constants, list_repo_files, snapshot_download, try_to_load_from_cache

from playground import models
from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.core.text_input import shown
from playground.core.types import LoadedModel
from playground.models.cards import CardCatalog
from playground.models.construction import BrokenModel, check_model, constructing, load_dtype
from playground.models.registry import LOADABLE_TASKS, TASKS, card_for
from playground.models.tiny import REBUILD_HINT

VARIANTS = ("fp32", "int8")
DEFAULT_MEMORY_BUDGET_GB = float(os.environ.get("PLAYGROUND_MEMORY_BUDGET_GB", "6"))
# A Hugging Face Hub repo id: `name` or `owner/name`, letters, digits, `-`, `_`, `.` — never a path or a URL.
_HUB_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
HUB_ID = re.compile(rf"{_HUB_PART}(?:/{_HUB_PART})?")
# What each task's head does, for messages that refuse a model without it.
HEAD_WORDS = {
    "fill-mask": "masked-language-model (fill-mask)",
    "text-generation": "next-token (text-generation)",
    "nsp": "next-sentence-prediction (nsp)",
    "sentiment": "sentiment-classification",
    "question-answering": "question-answering",
    "summarization": "summarization",
}


def _short(name: str, limit: int = 80) -> str:
    """A model name as a message may repeat it."""
    return name if len(name) <= limit else f"{name[:limit]}… ({len(name):,} characters)"


def is_hub_id(name: str) -> bool:
    """Shaped like a Hub repo id and not also a path on this machine (which transformers would load instead)."""
    return (bool(HUB_ID.fullmatch(name)) and ".." not in name and "--" not in name
            and not name.endswith(".git") and not os.path.exists(name))


def model_nbytes(model: Any) -> int:
    """Bytes of parameters and buffers (tied weights counted once)."""
    if model is None:
        return 0
    seen: set[int] = set()
    total = 0
    for tensor in list(model.parameters()) + list(model.buffers()):
        if id(tensor) not in seen:
            seen.add(id(tensor))
            total += tensor.numel() * tensor.element_size()
    return total


# What `from_pretrained` needs from a Hub repo: config and tokenizer files, and one weights format.
CONFIG_PATTERNS = ["*.json", "*.txt", "*.model", "spiece.model", "vocab.*", "merges.txt"]


def weight_patterns(repo_files: list[str]) -> list[str]:
    """Safetensors if the repo has them, else PyTorch .bin — never TF/Flax/ONNX copies."""
    if any(fnmatch.fnmatch(f, "*.safetensors") for f in repo_files):
        return ["*.safetensors", "*.safetensors.index.json"]
    return ["pytorch_model*.bin", "pytorch_model.bin.index.json"]


def fetch_model_files(repo_id: str) -> str:
    """Download what `from_pretrained` needs into the Hub cache (once); returns the local snapshot folder.

    The store calls it before taking the construction lock, so a minutes-long download never holds up the
    loads of other models (construction itself, from local files, takes seconds)."""
    return snapshot_download(repo_id, allow_patterns=CONFIG_PATTERNS + weight_patterns(list_repo_files(repo_id)))


def hub_is_cached(repo_id: str) -> bool:
    """True if the Hub cache already holds this model's config (so loading needs no network)."""
    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # malformed repo id etc.: treat as not cached
        return False


def hub_offline_forced() -> bool:
    return bool(constants.HF_HUB_OFFLINE)


def hub_is_reachable(timeout_s: float = 2.0) -> bool:
    """One quick TCP connect to the Hub endpoint.

    Without it, a missing model on an offline machine costs ~20 s of HTTP retries before failing.
    """
    url = urlparse(constants.ENDPOINT)
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class ModelStore:
    """Lazy, thread-safe, LRU-bounded cache of loaded models.

    `local_models` maps names to directories (the tiny test models); every other name must be a
    hub id named by a card in `model_cards/` unless `allow_unlisted` is set by the user.
    """

    def __init__(
        self,
        catalog: CardCatalog,
        *,
        memory_budget_bytes: int | None = None,
        allow_unlisted: bool = False,
        local_models: dict[str, Path] | None = None,
        hub_reachable: Callable[[], bool] = hub_is_reachable,
        prepare_local: Callable[[], object] | None = None,
    ) -> None:
        self.catalog = catalog
        self.memory_budget_bytes = memory_budget_bytes or int(DEFAULT_MEMORY_BUDGET_GB * 2**30)
        self.allow_unlisted = allow_unlisted
        self.local_models = dict(local_models or {})
        self._hub_reachable = hub_reachable
        self._last_probe: tuple[float, bool] | None = None  # (when, result): probe at most once a minute
        self._prepare_local = prepare_local  # e.g. build the tiny models on first use
        self._cache: OrderedDict[tuple[str, str, str], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[tuple[str, str, str], threading.Lock] = {}

    def set_local(self, name: str, directory: Path) -> None:
        """Serve `name` from `directory` from now on (e.g. a newly trained lab model); drops its loaded copies."""
        with self._lock:
            self.local_models[name] = Path(directory)
            for key in [k for k in self._cache if k[0] == name]:
                del self._cache[key]

    def remove_local(self, name: str) -> None:
        """Stop serving `name` (e.g. a pruned session run) and drop its loaded copies; unknown names are ignored."""
        with self._lock:
            self.local_models.pop(name, None)
            for key in [k for k in self._cache if k[0] == name]:
                del self._cache[key]

    # ---- what may be loaded -------------------------------------------------------------
    def is_tiny(self, name: str) -> bool:
        return name in self.local_models

    def check_allowed(self, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise PlaygroundError("Choose a model first.")
        if name in self.local_models or self.catalog.by_hub_id(name):
            return
        if self.allow_unlisted:
            if is_hub_id(name):
                return
            # One message for every refusal, so it never tells what exists on this machine.
            raise ModelUnavailable(
                _short(name),
                "only Hugging Face Hub model ids (`name` or `owner/name`: letters, digits, '-', '_', '.') can be "
                "loaded, even with --allow-any-model: never a path on this machine or a URL.",
                download_hint=False)
        known = ", ".join(sorted(c.hub_id for c in self.catalog.runnable() if c.hub_id))
        raise ModelUnavailable(
            _short(name),
            "it is not named in model_cards/, so the playground will not load it. "
            f"Known models: {known}. To load any Hub model anyway, start the app with --allow-any-model.",
            download_hint=False,
        )

    def models_for(self, task: str) -> list[str]:
        """The models whose card lists `task`: this store's tiny stand-ins first, then the Hub checkpoints."""
        tiny = [n for n in self.local_models if task in getattr(card_for(self.catalog, n), "tasks", ())]
        return tiny + [c.hub_id for c in self.catalog.for_task(task) if c.hub_id]

    def check_task(self, name: str, task: str) -> None:
        """Refuse a model whose card does not list the task: its head would be random weights, its answers noise."""
        if task not in HEAD_WORDS:  # the tokenizer alone: any model has one
            return
        card = card_for(self.catalog, name)
        if card is None or task in card.tasks:  # unlisted models are checked when loaded (missing head weights)
            return
        has = ", ".join(card.tasks) if card.tasks else "no task of this playground"
        raise ModelUnavailable(
            name, f"it has no trained {HEAD_WORDS[task]} head (its card lists: {has}), so its answers would be "
                  f"noise. Models that fit: {', '.join(self.models_for(task))}.", download_hint=False)

    def availability(self, name: str) -> str:
        """'local', 'cached' or 'not downloaded' — cheap, never touches the network."""
        if name in self.local_models:
            return "local"
        return "cached" if hub_is_cached(name) else "not downloaded"

    # ---- loading ------------------------------------------------------------------------
    def get(self, name: str, task: str, variant: str = "fp32") -> LoadedModel:
        if task not in LOADABLE_TASKS:
            raise PlaygroundError(f"Unknown task {shown(task)}. Known tasks: {', '.join(LOADABLE_TASKS)}.")
        if variant not in VARIANTS:
            raise PlaygroundError(f"Unknown model variant {shown(variant)}; choose one of {', '.join(VARIANTS)}.")
        self.check_allowed(name)
        self.check_task(name, task)
        key = (name, task, variant)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            load_lock = self._load_locks.setdefault(key, threading.Lock())
        with load_lock:  # one load per key even if many users ask at once
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return self._cache[key]
            loaded = self._load(name, task) if variant == "fp32" else self._quantized(name, task)
            with self._lock:
                self._cache[key] = loaded
                self._evict_over_budget(keep=key)
            return loaded

    def loaded(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return [(m.name, m.task, m.nbytes) for m in self._cache.values()]

    def _evict_over_budget(self, keep: tuple[str, str, str]) -> None:
        total = sum(m.nbytes for m in self._cache.values())
        for key in list(self._cache):
            if total <= self.memory_budget_bytes:
                break
            if key != keep:
                total -= self._cache.pop(key).nbytes

    def _hub_is_reachable(self, ttl_s: float = 60.0) -> bool:
        if self._last_probe is None or time.monotonic() - self._last_probe[0] > ttl_s:
            self._last_probe = (time.monotonic(), self._hub_reachable())
        return self._last_probe[1]

    def _source(self, name: str) -> tuple[str, bool]:
        """Where to load from, and whether to stay off the network."""
        if name in self.local_models:
            if self._prepare_local is not None:
                try:  # a content check (cheap); a missing, partial or damaged build is rebuilt here
                    with constructing():  # a rebuild constructs models
                        self._prepare_local()
                except PlaygroundError as exc:
                    raise ModelUnavailable(name, str(exc), download_hint=False) from exc
            return str(self.local_models[name]), True
        if hub_is_cached(name):
            return name, True
        if hub_offline_forced():
            raise ModelUnavailable(name, "it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set.")
        if not self._hub_is_reachable():
            raise ModelUnavailable(name, "it is not in the local Hugging Face cache and the Hub is unreachable.")
        return name, False

    def _load(self, name: str, task: str) -> LoadedModel:
        source, local_only = self._source(name)
        unlisted = card_for(self.catalog, name) is None and name not in self.local_models
        try:
            if not local_only:  # download first, outside the lock: other models keep loading meanwhile
                source, local_only = fetch_model_files(name), True
            with constructing():  # one construction at a time in the process (see models/construction.py)
                # deferred: transformers (seconds to import); the page is built before any model is loaded
                import transformers

                transformers.logging.set_verbosity_error()  # load reports about unused heads are noise here
                tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=local_only)
                model = None
                auto_class_name = TASKS[task].auto_class
                if auto_class_name:
                    auto_class = getattr(transformers, auto_class_name)
                    # transformers' default attention (sdpa); attention maps use a weight-sharing eager twin.
                    # float32 always: the process default, so this load never changes a concurrent pass's dtype.
                    model, info = auto_class.from_pretrained(source, local_files_only=local_only, dtype=load_dtype(),
                                                             output_loading_info=True)
                    missing = list(info.get("missing_keys") or ())
                    if unlisted and missing:  # no card vouches for the head: its weights must all be there
                        raise ModelUnavailable(
                            name, f"its checkpoint has no trained {HEAD_WORDS.get(task, task)} head ({len(missing)} "
                                  f"weight(s) would be random, e.g. {missing[0]}), so its answers would be noise. "
                                  f"Models that fit: {', '.join(self.models_for(task))}.", download_hint=False)
                    model.eval()
                    model.requires_grad_(False)  # inference only; input gradients still flow
                    check_model(model, f"{name} for '{task}'")
        except ModelUnavailable:
            raise
        except BrokenModel as exc:  # never cached: the next request loads it again
            raise ModelUnavailable(name, str(exc), download_hint=False) from exc
        except Exception as exc:  # OSError (missing files), ValueError (wrong head), ...
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if name in self.local_models:  # the tiny build: say how to rebuild it, not how to download it
                hint = f"; {REBUILD_HINT}" if isinstance(exc, OSError) else ""
                raise ModelUnavailable(name, f"loading the local model for '{task}' failed ({first_line[:300]})"
                                             f"{hint}.", download_hint=False) from exc
            # Only missing files are mended by a download; any other failure is said as it is.
            raise ModelUnavailable(name, f"loading it for '{task}' failed ({first_line[:300]}).",
                                   download_hint=isinstance(exc, OSError)) from exc
        return LoadedModel(
            name=name, task=task, tokenizer=tokenizer, model=model, nbytes=model_nbytes(model),
            source=source, is_tiny=name in self.local_models,
        )

    def _quantized(self, name: str, task: str) -> LoadedModel:
        """The fast-mode copy, made from the float32 model (loaded first if needed)."""
        base = self.get(name, task)
        if base.model is None:
            raise PlaygroundError(f"'{task}' loads no model, so it has no fast mode.")
        with constructing():  # new layers are built (their init functions are what loads patch)
            model = models.variants.int8_copy(base.model)  # torch: imported on first use
            check_model(model, f"the fast-mode copy of {name}", tied=False)  # int8 head: its own copy
        return dataclasses.replace(base, model=model, nbytes=models.variants.stored_nbytes(model), variant="int8")
