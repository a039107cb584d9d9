"""The Pretraining lab's runs folder: atomic saves, a content check that finds a broken or partial run, the run in
use (`CURRENT`, else the shipped pair) and the session runs (a visitor's run, bounded in number and bytes).

Folder layout (`default_lab_dir()`, or `$PLAYGROUND_LAB_DIR`):

    runs/<run id>/lab-bert/   BertForMaskedLM + WordPiece tokenizer     (save_pretrained: config, safetensors, tokenizer)
    runs/<run id>/lab-gpt/    GPT2LMHeadModel + byte-level BPE tokenizer
    runs/<run id>/lab-lstm/   LstmLanguageModel + the same BPE tokenizer
    runs/<run id>/lab-sentiment/, lab-nsp/, lab-electra/, lab-qa/   the lab heads, when trained (`heads.py`,
                              `pretrain --heads`): lab-bert fine-tuned, each with lab-bert's tokenizer
    runs/<run id>/lab-summarizer/   the summarization head: a small Pegasus of its own (`summarizer.py`), with its
                              own SentencePiece tokenizer
    runs/<run id>/manifest.json   settings, seed, final numbers (`heads`: each head's held-out score), and every file
                              with its size and sha256
    CURRENT                   the run id in use, replaced atomically (os.replace) after a run is complete
    sessions/<run id>/        a run started from the app's UI or API: same layout, owned by one session

A run is written into a staging folder and renamed into `runs/` only when complete; `CURRENT` moves last.
A crash or Stop at any moment therefore leaves the previous run in use, intact. A small pair trained by
`python -m playground pretrain` with the default settings ships in `playground/models/lab_pretrained/`
(same layout as a run), so the first offline start needs no training.

Only an operator moves `CURRENT` (the `pretrain` command, or the app's local-only opt-in flag): a run
started by a visitor is a *session run* (`save_session_run`), served under names of its own
(`lab-bert@<run id>`), never as everyone's lab-bert. Session runs are bounded in number and bytes; the
oldest are deleted first.

Nothing here imports torch or transformers at module import time.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.errors import PlaygroundError
# Named in profiles (which offers them to every tab); re-exported for the lab's own modules.
from playground.models.profiles import (LAB_BERT, LAB_ELECTRA, LAB_GPT, LAB_HEADS, LAB_NSP, LAB_QA,  # noqa: F401
                                        LAB_SENTIMENT, LAB_SUMMARIZER)

LAB_VERSION = 1
LAB_LSTM = "lab-lstm"  # the lab's own: not a transformers model, the ModelStore does not serve it
LAB_NAMES = (LAB_BERT, LAB_GPT, LAB_LSTM)
SERVED_NAMES = (LAB_BERT, LAB_GPT)  # the ones the other tabs load through the ModelStore
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models" / "lab_pretrained"  # shipped data, beside the models
MANIFEST = "manifest.json"
KEEP_RUNS = 2  # older runs are deleted once a newer one is current (a loaded model keeps its weights in memory)
SESSIONS = "sessions"  # the session runs' folder inside the lab folder
KEEP_SESSION_RUNS = 8  # at most this many session runs on disk (and served); the oldest go first
MAX_SESSION_BYTES = 200 * 2**20  # …and at most this many bytes together (a medium run is ~10 MB)
SESSION_SEPARATOR = "@"  # lab-bert@<run id>: a session run's served name


def default_lab_dir() -> Path:
    root = os.environ.get("PLAYGROUND_LAB_DIR")
    if root:
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return Path(cache) / "bert-gpt-playground" / "lab"


# ---- saving and checking --------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_list(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Every file of the run with its size and hash, except those of a nested folder with a manifest of its own
    (the shipped folder's assistant/ models are hashed in theirs)."""
    nested = [p.parent for p in run_dir.rglob(MANIFEST) if p.parent != run_dir]
    return {str(p.relative_to(run_dir)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name != MANIFEST and not any(p.is_relative_to(n) for n in nested)}


def write_run(models: dict[str, Any], tokenizers: dict[str, Any], info: dict[str, Any], target: Path) -> Path:
    """Write a complete run folder at `target` (staged next to it, then renamed: never half-written)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        for name, model in models.items():
            model.save_pretrained(staging / name)
            tokenizers[name].save_pretrained(staging / name)
        manifest = {"lab_version": LAB_VERSION, **info, "files": _file_list(staging)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def save_lab_run(models: dict[str, Any], tokenizers: dict[str, Any], info: dict[str, Any],
                 lab_dir: Path | None = None) -> Path:
    """Save a finished run into the lab folder and make it current — everyone's lab-bert / lab-gpt from the next
    start on: an operator's action (`python -m playground pretrain`), never a visitor's. Returns the run folder."""
    lab_dir = Path(lab_dir or default_lab_dir())
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    run_dir = write_run(models, tokenizers, info, lab_dir / "runs" / run_id)
    pointer = lab_dir / f".CURRENT-{run_id}"
    pointer.write_text(run_id)
    os.replace(pointer, lab_dir / "CURRENT")  # atomic: readers see the old run or the new one, never neither
    _prune_runs(lab_dir, keep=run_id)
    return run_dir


def _prune_runs(lab_dir: Path, keep: str) -> None:
    runs = sorted((p for p in (lab_dir / "runs").iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in [p for p in runs if p.name != keep][: max(0, len(runs) - KEEP_RUNS)]:
        shutil.rmtree(old, ignore_errors=True)


# ---- session runs: a visitor's run, never everyone's default ------------------------------------------------

def new_session_run_id() -> str:
    """Unguessable (64 random bits): a session run is served under names built from it."""
    return secrets.token_hex(8)


def session_names(run_id: str) -> dict[str, str]:
    """{lab-bert: lab-bert@<run id>, lab-gpt: lab-gpt@<run id>}: how the ModelStore serves a session run."""
    return {name: f"{name}{SESSION_SEPARATOR}{run_id}" for name in SERVED_NAMES}


def save_session_run(models: dict[str, Any], tokenizers: dict[str, Any], info: dict[str, Any],
                     lab_dir: Path | None = None, run_id: str | None = None) -> Path:
    """Save a finished run under `sessions/<run id>/`; `CURRENT` is not touched. Prunes the oldest session runs
    beyond KEEP_SESSION_RUNS / MAX_SESSION_BYTES (never the new one). Returns the run folder."""
    lab_dir = Path(lab_dir or default_lab_dir())
    run_id = run_id or new_session_run_id()
    if not run_id.isalnum():  # it becomes a folder name: never a path
        raise PlaygroundError(f"Not a session run id: {run_id!r}.")
    run_dir = write_run(models, tokenizers, info, lab_dir / SESSIONS / run_id)
    prune_session_runs(lab_dir, keep=run_id)
    return run_dir


def session_runs(lab_dir: Path | None = None) -> list[Path]:
    """The session run folders, oldest first (staging folders excluded)."""
    folder = Path(lab_dir or default_lab_dir()) / SESSIONS
    if not folder.is_dir():
        return []
    runs = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(runs, key=lambda p: (p.stat().st_mtime_ns, p.name))


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def prune_session_runs(lab_dir: Path | None = None, keep: str | None = None) -> list[Path]:
    """Delete the oldest session runs until at most KEEP_SESSION_RUNS remain within MAX_SESSION_BYTES; the run
    `keep` always stays. Returns the deleted folders (their served names must be dropped too)."""
    runs = [p for p in session_runs(lab_dir) if p.name != keep]
    kept = 1 if keep else 0
    total = _folder_bytes(Path(lab_dir or default_lab_dir()) / SESSIONS / keep) if keep else 0
    sizes = {p: _folder_bytes(p) for p in runs}
    deleted = []
    while runs and (kept + len(runs) > KEEP_SESSION_RUNS or total + sum(map(sizes.get, runs)) > MAX_SESSION_BYTES):
        oldest = runs.pop(0)
        shutil.rmtree(oldest, ignore_errors=True)
        deleted.append(oldest)
    return deleted


@dataclass(frozen=True)
class RunCheck:
    ok: bool
    problem: str = ""


def check_run(run_dir: Path, verify_hashes: bool = True) -> RunCheck:
    """Is this run folder complete and unchanged? (manifest present, every listed file there with its size/hash)."""
    run_dir = Path(run_dir)
    manifest_path = run_dir / MANIFEST
    if not manifest_path.is_file():
        return RunCheck(False, f"{run_dir} has no {MANIFEST} (not a finished lab run)")
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError) as exc:
        return RunCheck(False, f"{manifest_path} is unreadable ({exc})")
    for name in LAB_NAMES:
        if not any(f.startswith(f"{name}/model.safetensors") for f in files):
            return RunCheck(False, f"{run_dir} has no weights for {name}")
    for relative, expected in files.items():
        path = run_dir / relative
        if not path.is_file():
            return RunCheck(False, f"{relative} is missing from {run_dir}")
        if path.stat().st_size != expected["bytes"]:
            return RunCheck(False, f"{relative} in {run_dir} has the wrong size (partial or changed)")
        if verify_hashes and _sha256(path) != expected["sha256"]:
            return RunCheck(False, f"{relative} in {run_dir} does not match its manifest (changed or corrupt)")
    return RunCheck(True)


def current_run(lab_dir: Path | None = None) -> Path | None:
    """The lab folder's current run if it is complete, else None."""
    lab_dir = Path(lab_dir or default_lab_dir())
    try:
        run_id = (lab_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    run_dir = lab_dir / "runs" / run_id
    return run_dir if run_id and check_run(run_dir).ok else None


def lab_run(lab_dir: Path | None = None) -> Path | None:
    """The run the app uses: the user's current run, else the pair shipped with the project, else None."""
    run = current_run(lab_dir)
    if run is not None:
        return run
    return SHIPPED_DIR if check_run(SHIPPED_DIR).ok else None


def lab_models(lab_dir: Path | None = None) -> dict[str, Path]:
    """{lab-bert, lab-gpt and the lab heads: directory} for the ModelStore's local models (empty when there is no
    lab run). The run's own heads, else the shipped ones that fit its lab-bert."""
    run = lab_run(lab_dir)
    if run is None:
        return {}
    served = {name: run / name for name in SERVED_NAMES}
    served.update({name: run / name for name in head_scores(run) if name in LAB_HEADS})
    if run != SHIPPED_DIR and check_run(SHIPPED_DIR).ok:  # a run trained without heads: the shipped ones serve
        served.update({name: SHIPPED_DIR / name for name in _fitting_shipped_heads(run) if name not in served})
    return served


def _fitting_shipped_heads(run: Path) -> list[str]:
    """The shipped heads that can serve next to `run`'s lab-bert: each reads its own tokenizer, except ELECTRA's
    discriminator, which reads the generator's tokens, so it serves only when the vocabularies are the same file."""
    files = _manifest(SHIPPED_DIR).get("files", {})
    bert_tokenizer = _manifest(run).get("files", {}).get(f"{LAB_BERT}/tokenizer.json", {}).get("sha256")
    return [name for name in head_scores(SHIPPED_DIR) if name in LAB_HEADS and
            (name != LAB_ELECTRA or files.get(f"{name}/tokenizer.json", {}).get("sha256") == bert_tokenizer)]


# ---- the lab heads: added to a finished run ------------------------------------------------------------------

def _manifest(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(run_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def head_scores(run_dir: Path | None) -> dict[str, dict[str, Any]]:
    """{head name: its manifest entry (held-out score, seconds, steps, seed)} of the heads the run holds whole."""
    if run_dir is None:
        return {}
    manifest = _manifest(run_dir)
    files = manifest.get("files", {})
    return {name: info for name, info in manifest.get("heads", {}).items()
            if any(f.startswith(f"{name}/model.safetensors") for f in files)}


def add_heads(run_dir: Path, models: dict[str, Any], tokenizers: dict[str, Any], infos: dict[str, Any]) -> Path:
    """Add (or replace) lab heads in a finished run: each head is staged and renamed into place, then the
    manifest — every file with its size and sha256, and `heads` — is replaced atomically."""
    run_dir = Path(run_dir)
    manifest = _manifest(run_dir)
    if "files" not in manifest:
        raise PlaygroundError(f"{run_dir} is not a finished lab run (no readable {MANIFEST}).")
    for name, model in models.items():
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=run_dir))
        try:
            model.save_pretrained(staging)
            tokenizers[name].save_pretrained(staging)
            shutil.rmtree(run_dir / name, ignore_errors=True)
            staging.rename(run_dir / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    manifest["heads"] = {**manifest.get("heads", {}), **infos}
    manifest["files"] = _file_list(run_dir)
    pointer = run_dir / f".{MANIFEST}.new"
    pointer.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(pointer, run_dir / MANIFEST)
    return run_dir


