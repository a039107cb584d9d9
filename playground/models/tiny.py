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

# The builder (`tiny_build.py`, torch and transformers at its top) is reached at call time as `models.tiny_build`,
# so importing this module (and starting the app) stays fast.

TINY_VERSION = "v2"
TINY_LABEL = "tiny untrained models — predictions are noise; run with the default models for real ones"
MAX_POSITIONS = 64
MANIFEST = "MANIFEST.json"  # every file of a build with its size and hash: the content check reads it
REBUILD_HINT = "`python -m playground tiny` rebuilds them"

# Shrunken sizes per config class: the real model classes and code paths, a few thousand parameters. The
# tiny build pairs them with its own tokenizers; `architectures.py` with the real configs (tiny twins).
_SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
TINY_SIZES: dict[str, dict[str, Any]] = {
    "BertConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS),
    "RobertaConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS + 2),  # 2 positions reserved for padding
    "XLMRobertaConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS + 2),
    "DistilBertConfig": dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=MAX_POSITIONS),
    "AlbertConfig": dict(_SMALL, embedding_size=16, max_position_embeddings=MAX_POSITIONS),
    "ElectraConfig": dict(_SMALL, embedding_size=16, max_position_embeddings=MAX_POSITIONS),
    "GPT2Config": dict(n_embd=32, n_layer=2, n_head=2, n_positions=MAX_POSITIONS),
    "PegasusConfig": dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=MAX_POSITIONS),
}

CORPUS = [
    "Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas.",
    "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.",
    "I am a data scientist who loves to work with ML, DL and NLP, and I know how to design a data pipeline.",
    "BERT reads the whole sentence at once and predicts the masked words from both sides.",
    "GPT predicts the next word from the words on its left, one token at a time.",
    "The movie was wonderful, the acting was great and I loved every minute of it.",
    "The food was terrible, the service was slow and I will never go back.",
    "Paris is the capital of France. The cat sat on the mat. Machine learning models learn from data.",
    "Question answering models find the answer span inside a context paragraph.",
    "Pegasus is trained to generate the gap sentences that were removed from a document.",
    "Transformers use attention to let every token look at other tokens in the sequence.",
    "Who founded Tesla? Where is it headquartered? What does the company make?",
    "She walked to the store, bought some bread and milk, and then went home happily.",
    "Language models are unsupervised multitask learners trained on large amounts of text.",
    "unbelievable tokenization playground encoder decoder bidirectional autoregressive",
]

# Only XLM-R's tokenizer learns these (the others stay English-only), so Hindi is [UNK] to the tiny BERT's
# WordPiece and pieces to XLM-R's. The real bert-base-uncased has single Devanagari characters: its
# normaliser drops the virama and several vowel signs, and what is left becomes pieces, not [UNK].
MULTILINGUAL_CORPUS = [
    "Paris est la capitale de la France. Le chat est assis sur le tapis.",
    "Tesla est une entreprise américaine de véhicules électriques basée à Austin, au Texas.",
    "BERT lit toute la phrase et prédit les mots masqués des deux côtés.",
    "पेरिस फ्रांस की राजधानी है। बिल्ली चटाई पर बैठी है।",
    "टेस्ला एक अमेरिकी इलेक्ट्रिक वाहन कंपनी है जिसका मुख्यालय ऑस्टिन, टेक्सास में है।",
    "भाषा मॉडल बहुत सारे पाठ से सीखते हैं और अगले शब्द का अनुमान लगाते हैं।",
]

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
