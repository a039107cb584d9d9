"""Saving the assistant checkpoints and loading them back for the tab (`ship.py` runs the command that saves them).
Folder layout and the manifest check: `shipped.py`."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer, BertModel

from playground.models.construction import constructs
from playground.tasks.assistant.reward import RewardModel
from playground.tasks.assistant.shipped import (ASSISTANT_DIR, LAB_GPT_DPO, LAB_GPT_SFT, LAB_REWARD, MANIFEST,
                                                MAX_CHECKPOINT_BYTES, file_list, read_manifest)
from playground.tasks.assistant.sessions import AssistantModels

HEAD = "head.safetensors"


def save(models: AssistantModels, bert_tokenizer: Any, report: dict, target: Path = ASSISTANT_DIR) -> Path:
    """Write lab-gpt-sft, lab-gpt-dpo and lab-reward with a hashed manifest (staged, then swapped in whole)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".assistant-", dir=target.parent))
    try:
        for name, model in ((LAB_GPT_SFT, models.sft), (LAB_GPT_DPO, models.dpo)):
            model.save_pretrained(staging / name)
            models.tokenizer.save_pretrained(staging / name)
        models.reward.encoder.save_pretrained(staging / LAB_REWARD)
        bert_tokenizer.save_pretrained(staging / LAB_REWARD)
        save_file({k: v.contiguous() for k, v in models.reward.head.state_dict().items()}, staging / LAB_REWARD / HEAD)
        for name in (LAB_GPT_SFT, LAB_GPT_DPO, LAB_REWARD):
            size = sum(p.stat().st_size for p in (staging / name).rglob("*") if p.is_file())
            if size > MAX_CHECKPOINT_BYTES:
                raise ValueError(f"{name} is {size:,} bytes, over the {MAX_CHECKPOINT_BYTES:,} a shipped model may be")
        manifest = {"files": file_list(staging), "report": report}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        old = target.with_name(target.name + ".old")
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@constructs
def _load(folder: Path) -> AssistantModels:
    tokenizer = AutoTokenizer.from_pretrained(folder / LAB_GPT_SFT)
    sft = AutoModelForCausalLM.from_pretrained(folder / LAB_GPT_SFT).requires_grad_(False).eval()
    dpo = AutoModelForCausalLM.from_pretrained(folder / LAB_GPT_DPO).requires_grad_(False).eval()
    encoder = BertModel.from_pretrained(folder / LAB_REWARD, add_pooling_layer=False)
    reward = RewardModel(encoder, AutoTokenizer.from_pretrained(folder / LAB_REWARD))
    reward.head.load_state_dict(load_file(folder / LAB_REWARD / HEAD))
    reward.requires_grad_(False).eval()
    return AssistantModels(gpt_name=LAB_GPT_SFT, tokenizer=tokenizer, sft=sft, reward=reward, dpo=dpo)


@functools.lru_cache(maxsize=2)
def load_shipped(folder: Path = ASSISTANT_DIR) -> AssistantModels | None:
    """The shipped models (read-only: every stage trains a copy), with the shipped run's results; None if absent."""
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    torch.manual_seed(0)
    return _load(folder)
