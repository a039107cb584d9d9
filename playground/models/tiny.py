"""Tiny models with random weights and real tokenizers trained here, for tests and offline demos.

`build_tiny_models()` writes BERT, GPT-2, DistilBERT (sentiment, cased QA), RoBERTa (SQuAD 2.0 style
QA), Pegasus, ELECTRA (a discriminator) and XLM-RoBERTa checkpoints, each with a tokenizer trained on a
small built-in corpus (English; French and Hindi too for XLM-R) with
`tokenizers` / `sentencepiece`, into a cache directory — in well under a second — and returns
{name: directory}. Their predictions are noise; their shapes, tokenizers and code paths are real.

The cache heals itself: every file is listed with its hash in MANIFEST.json, and a cache that is missing,
partial or damaged (checked by content, not by a marker file) is rebuilt and swapped in whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from playground import models
from playground.core.errors import PlaygroundError
from playground.models.registry import TINY_STAND_INS
# What the tiny models are made of (sizes, corpora): shared with the builder, re-exported here.
from playground.models.tiny_specs import CORPUS, MAX_POSITIONS, MULTILINGUAL_CORPUS, TINY_SIZES  # noqa: F401

# The builder (`tiny_build.py`, torch and transformers at its top) is reached at call time as `models.tiny_build`,
# so importing this module (and starting the app) stays fast.

TINY_VERSION = "v2"
TINY_LABEL = "tiny untrained models — predictions are noise; run with the default models for real ones"
MANIFEST = "MANIFEST.json"  # every file of a build with its size and hash: the content check reads it
REBUILD_HINT = "`python -m playground tiny` rebuilds them"

def default_tiny_dir() -> Path:
    root = os.environ.get("PLAYGROUND_TINY_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "bert-gpt-playground"
    )
    return Path(root) / f"tiny-{TINY_VERSION}"


def tiny_paths(root: Path) -> dict[str, Path]:
    """{name: checkpoint directory} of every tiny model (see registry.TINY_STAND_INS) under `root`."""
    return {name: Path(root) / name for name in TINY_STAND_INS}


def _manifest(root: Path) -> dict[str, Any]:
    """Every file of a build with its size and SHA-256: what a healthy cache must still hold."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name not in (MANIFEST, "COMPLETE"))
    return {"version": TINY_VERSION, "files": {
        p.relative_to(root).as_posix(): {"bytes": p.stat().st_size,
                                         "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in files}}


def tiny_cache_problems(target: Path) -> list[str]:
    """What is wrong with a tiny-model cache, checked by content (a marker file proves nothing): [] = healthy."""
    target = Path(target)
    try:
        recorded = json.loads((target / MANIFEST).read_text())
        files = recorded["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{target} holds no complete build (no readable {MANIFEST})"]
    if recorded.get("version") != TINY_VERSION:
        return [f"{target} was built by another version ({recorded.get('version')!r}, not {TINY_VERSION!r})"]
    problems = [f"{name} has no config.json" for name in TINY_STAND_INS if f"{name}/config.json" not in files]
    for relative, expected in files.items():
        path = target / relative
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(f"{relative} is missing")
            continue
        if len(data) != expected.get("bytes") or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            problems.append(f"{relative} is damaged (its content changed)")
    return problems


def build_tiny_models(target: Path | None = None, *, force: bool = False) -> dict[str, Path]:
    """{name: checkpoint directory} of every tiny model, built when the cache is missing, partial or damaged
    (or when `force`d) and swapped in whole, so a reader never sees half a build."""
    target = Path(target) if target else default_tiny_dir()
    if force or tiny_cache_problems(target):
        try:
            _rebuild(target)
        except OSError as exc:
            raise PlaygroundError(
                f"The tiny models cannot be built in {target} ({exc.strerror or type(exc).__name__}). Point "
                "PLAYGROUND_TINY_DIR at a writable folder, e.g. `PLAYGROUND_TINY_DIR=/tmp/playground-tiny python "
                "app.py --models tiny`.") from exc
    return tiny_paths(target)


def _rebuild(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
    retired = target.parent / f"{staging.name}-old"
    try:
        models.tiny_build.build_all(staging)  # torch and transformers: imported on first use
        (staging / MANIFEST).write_text(json.dumps(_manifest(staging), indent=1))
        (staging / "COMPLETE").write_text(TINY_VERSION)
        if target.exists():
            target.rename(retired)  # out of the way in one step; removed below
        try:
            staging.rename(target)
        except OSError:  # another process swapped its own build in first: fine if that one is healthy
            if tiny_cache_problems(target):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
