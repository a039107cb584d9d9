"""The assistant checkpoints shipped with the project (`playground/models/lab_pretrained/assistant/`): lab-gpt-sft
and lab-gpt-dpo (GPT2LMHeadModel + tokenizer, trained from the shipped lab-gpt by the default run) and lab-reward
(the reward model: lab-bert's encoder + a scalar head), each file hashed in the folder's manifest like the lab
models'. The tab starts from them (results shown at once) until a session trains its own; every tab that offers
lab-gpt offers lab-gpt-sft and lab-gpt-dpo too. Rebuilt by `python -m playground assistant --out <this folder>`.

No torch here: only paths, the manifest and its check.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from playground.tasks.lab.runs import SHIPPED_DIR

ASSISTANT_DIR = SHIPPED_DIR / "assistant"
LAB_GPT_SFT, LAB_GPT_DPO, LAB_REWARD = "lab-gpt-sft", "lab-gpt-dpo", "lab-reward"
SERVED = (LAB_GPT_SFT, LAB_GPT_DPO)  # causal LMs the ModelStore serves to every tab (the reward model is the tab's)
MANIFEST = "manifest.json"
MAX_CHECKPOINT_BYTES = 1_200_000  # each shipped model folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_list(folder: Path) -> dict[str, dict]:
    return {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def read_manifest(folder: Path = ASSISTANT_DIR) -> dict | None:
    """The manifest if every file it lists is there with its size and hash (and all three models are), else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError):
        return None
    if not all(any(f.startswith(f"{name}/") for f in files) for name in (*SERVED, LAB_REWARD)):
        return None
    for relative, expected in files.items():
        path = folder / relative
        if not path.is_file() or path.stat().st_size != expected["bytes"] or sha256(path) != expected["sha256"]:
            return None
    return manifest


def assistant_models(folder: Path = ASSISTANT_DIR) -> dict[str, Path]:
    """{lab-gpt-sft, lab-gpt-dpo: directory} for the ModelStore when the shipped checkpoints are intact, else {}."""
    return {name: folder / name for name in SERVED} if read_manifest(folder) else {}
