"""The Pretraining lab's models: size presets, building a small BERT, GPT and LSTM with tokenizers trained on a
corpus, and the lab models folder (atomic saves, a content check that finds a broken or partial folder).

Folder layout (`default_lab_dir()`, or `$PLAYGROUND_LAB_DIR`):

    runs/<run id>/lab-bert/   BertForMaskedLM + WordPiece tokenizer     (save_pretrained: config, safetensors, tokenizer)
    runs/<run id>/lab-gpt/    GPT2LMHeadModel + byte-level BPE tokenizer
    runs/<run id>/lab-lstm/   LstmLanguageModel + the same BPE tokenizer
    runs/<run id>/manifest.json   settings, seed, final numbers, and every file with its size and sha256
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
from typing import Any, Sequence

from playground.core.errors import PlaygroundError
from playground.models.construction import constructs

LAB_VERSION = 1
LAB_BERT, LAB_GPT, LAB_LSTM = "lab-bert", "lab-gpt", "lab-lstm"
LAB_NAMES = (LAB_BERT, LAB_GPT, LAB_LSTM)
SERVED_NAMES = (LAB_BERT, LAB_GPT)  # the ones the other tabs load through the ModelStore
LAB_LABEL = ("lab models — a small BERT and GPT trained on the playground's built-in corpus (they know its "
             "small world, not the internet's); tabs without a lab model use tiny untrained models")
SHIPPED_DIR = Path(__file__).resolve().parent / "lab_pretrained"
MANIFEST = "manifest.json"
KEEP_RUNS = 2  # older runs are deleted once a newer one is current (a loaded model keeps its weights in memory)
SESSIONS = "sessions"  # the session runs' folder inside the lab folder
KEEP_SESSION_RUNS = 8  # at most this many session runs on disk (and served); the oldest go first
MAX_SESSION_BYTES = 200 * 2**20  # …and at most this many bytes together (a medium run is ~10 MB)
SESSION_SEPARATOR = "@"  # lab-bert@<run id>: a session run's served name


@dataclass(frozen=True)
class LabPreset:
    """Model sizes (all three get about the same number of parameters) and the batch size."""

    name: str
    hidden: int
    layers: int
    heads: int
    lstm_hidden: int
    vocab_size: int
    batch_size: int
    description: str
    dropout: float = 0.0  # off by default: it costs ~15 % of a step, and the held-out frames test generalisation


PRESETS: dict[str, LabPreset] = {
    "tiny": LabPreset("tiny", hidden=32, layers=1, heads=2, lstm_hidden=64, vocab_size=1000, batch_size=8,
                      description="seconds; for tests and a first look (learns little)"),
    "small": LabPreset("small", hidden=64, layers=2, heads=4, lstm_hidden=128, vocab_size=1600, batch_size=48,
                       description="the default: about 2½ minutes for all three on 2 CPU cores"),
    "medium": LabPreset("medium", hidden=128, layers=3, heads=4, lstm_hidden=256, vocab_size=2000, batch_size=32,
                        description="about 3× the default's time; learns more per step"),
}
DEFAULT_PRESET = "small"
MAX_POSITIONS = 128  # position embeddings of the lab BERT and GPT: sequence length setting ≤ this


def check_preset(name: str) -> LabPreset:
    if name not in PRESETS:
        raise PlaygroundError(f"Unknown model size '{name}'. Choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name]


def default_lab_dir() -> Path:
    root = os.environ.get("PLAYGROUND_LAB_DIR")
    if root:
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
    return Path(cache) / "bert-gpt-playground" / "lab"


# ---- building ---------------------------------------------------------------------------------------

def build_tokenizers(corpus: Sequence[str], preset: LabPreset):
    """(WordPiece for BERT, byte-level BPE for GPT and the LSTM), trained on `corpus`."""
    from playground.models.tokenizer_training import byte_level_bpe_tokenizer, wordpiece_tokenizer

    wordpiece = wordpiece_tokenizer(lowercase=True, corpus=corpus, vocab_size=preset.vocab_size,
                                    max_length=MAX_POSITIONS, reproducible=True)
    bpe = byte_level_bpe_tokenizer(roberta=False, corpus=corpus, vocab_size=preset.vocab_size)
    bpe.model_max_length = MAX_POSITIONS
    return wordpiece, bpe


@constructs
def build_models(preset: LabPreset, wordpiece, bpe, seed: int) -> dict[str, Any]:
    """Freshly initialised {lab-bert, lab-gpt, lab-lstm}, the same on every call with the same seed."""
    import torch
    import transformers as tf

    from playground.models.lstm import LstmConfig, LstmLanguageModel  # torch at import: imported lazily

    torch.manual_seed(seed)
    bert = tf.BertForMaskedLM(tf.BertConfig(
        vocab_size=len(wordpiece), hidden_size=preset.hidden, num_hidden_layers=preset.layers,
        num_attention_heads=preset.heads, intermediate_size=4 * preset.hidden, max_position_embeddings=MAX_POSITIONS,
        pad_token_id=wordpiece.pad_token_id, hidden_dropout_prob=preset.dropout, attention_probs_dropout_prob=preset.dropout))
    gpt = tf.GPT2LMHeadModel(tf.GPT2Config(
        vocab_size=len(bpe), n_embd=preset.hidden, n_layer=preset.layers, n_head=preset.heads,
        n_positions=MAX_POSITIONS, bos_token_id=bpe.eos_token_id, eos_token_id=bpe.eos_token_id,
        pad_token_id=bpe.eos_token_id, activation_function="gelu", resid_pdrop=preset.dropout,
        embd_pdrop=preset.dropout, attn_pdrop=preset.dropout))
    lstm = LstmLanguageModel(LstmConfig(vocab_size=len(bpe), embedding_size=preset.hidden,
                                        hidden_size=preset.lstm_hidden, dropout=preset.dropout,
                                        pad_token_id=bpe.eos_token_id))
    return {LAB_BERT: bert, LAB_GPT: gpt, LAB_LSTM: lstm}


def count_parameters(model) -> int:
    seen: set[int] = set()
    return sum(p.numel() for p in model.parameters() if not (id(p) in seen or seen.add(id(p))))


# ---- saving and checking --------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_list(run_dir: Path) -> dict[str, dict[str, Any]]:
    return {str(p.relative_to(run_dir)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(run_dir.rglob("*")) if p.is_file() and p.name != MANIFEST}


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
    """{lab-bert, lab-gpt: directory} for the ModelStore's local models (empty when there is no lab run)."""
    run = lab_run(lab_dir)
    return {name: run / name for name in SERVED_NAMES} if run else {}


@constructs
def load_lstm(run_dir: Path, name: str = LAB_LSTM):
    """The lab LSTM of a run as a LoadedModel (it is not a transformers class, so the ModelStore does not load it)."""
    from transformers import AutoTokenizer

    from playground.core.types import LoadedModel
    from playground.models.loader import model_nbytes
    from playground.models.lstm import LstmLanguageModel  # torch at import: imported lazily

    directory = Path(run_dir) / name
    try:
        model = LstmLanguageModel.from_pretrained(directory)
        tokenizer = AutoTokenizer.from_pretrained(directory)
    except (OSError, ValueError) as exc:
        raise PlaygroundError(f"The lab LSTM in {directory} cannot be loaded ({exc}). Train the lab models again: "
                              "`python -m playground pretrain`.") from exc
    model.requires_grad_(False)
    return LoadedModel(name=name, task="text-generation", tokenizer=tokenizer, model=model,
                       nbytes=model_nbytes(model), source=str(directory))


@constructs
def language_model_body(run_dir: Path, name: str, pretrained: bool, seed: int = 0):
    """(body, tokenizer, hidden size) of a lab model without its LM head: its pre-trained weights, or the same
    architecture freshly initialised (`pretrained=False`) — the fine-tuning lab's two contenders."""
    import torch
    import transformers as tf

    directory = Path(run_dir) / name
    tokenizer = tf.AutoTokenizer.from_pretrained(directory)
    if tokenizer.pad_token_id is None:  # GPT-2 style tokenizers have no padding token; the mask hides it anyway
        tokenizer.pad_token = tokenizer.eos_token
    config = tf.AutoConfig.from_pretrained(directory)
    torch.manual_seed(seed)  # from scratch: the same start for the same seed
    if pretrained:
        tf.logging.set_verbosity_error()  # the unused LM head is expected
        body = tf.AutoModel.from_pretrained(directory, config=config)
    else:
        body = tf.AutoModel.from_config(config)
    hidden = getattr(config, "hidden_size", None) or config.n_embd
    return body, tokenizer, hidden
