"""GPT → Assistant: the default full run (SFT + reward model + DPO, 3 seeds) with its breakdown, and TRL vs the plain
loop per step on the lab models (why the lab trains with a plain loop; the DPO loss itself is checked against TRL's
in tests/test_assistant.py).

    python -m playground.bench --assistant-only
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
from datasets import Dataset
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

from playground.models.cards import load_catalog
from playground.models.construction import constructing
from playground.models.loader import ModelStore
from playground.models.profiles import lab_profile
from playground.tasks.assistant import dpo, handlers, sft
from playground.tasks.assistant.data import instruction_split, preference_pairs
from playground.tasks.context import AppContext
from playground.tasks.lab import runs

BATCH = 16


def _lab_context() -> AppContext:
    lab_dir = Path(tempfile.mkdtemp(prefix="bench-assistant-"))
    store = ModelStore(load_catalog(), local_models=runs.lab_models(lab_dir))
    return AppContext(store=store, profile=lab_profile(), catalog=load_catalog(), lab_dir=lab_dir)


def bench_full_run(report: Callable[[str], None]) -> None:
    ctx, owner = _lab_context(), "bench"
    started = time.monotonic()
    s = handlers.run_sft_stage(ctx, owner)
    r = handlers.run_reward_stage(ctx, owner)
    d = handlers.run_dpo_stage(ctx, owner)
    total = time.monotonic() - started
    report(f"GPT → Assistant, default full run: {total:.0f} s wall (budget 180 s on 2 cores)")
    report(f"  SFT            {s.seconds:6.1f} s  held-out exact match {s.base_exact:.0%} → {s.sft_exact:.0%}, "
           f"F1 {s.base_f1:.2f} → {s.sft_f1:.2f}")
    report(f"  reward model   {r.seconds:6.1f} s  held-out pair accuracy {r.heldout_accuracy:.0%}")
    report(f"  DPO ×{len(d.seeds)} seeds  {d.seconds:6.1f} s  win rate vs SFT: reward model "
           f"{d.win_rate_reward.mean:.2f} ± {d.win_rate_reward.std:.2f}, rule {d.win_rate_rule.mean:.2f} ± "
           f"{d.win_rate_rule.std:.2f}; KL {d.kl_from_sft.mean:.3f} ± {d.kl_from_sft.std:.3f}")


def _per_step(run: Callable[[int], None], short: int = 3, long: int = 13) -> float:
    """Seconds per step, setup excluded: (time of `long` steps − time of `short` steps) / (long − short)."""
    times = {}
    for steps in (short, long):
        start = time.perf_counter()
        run(steps)
        times[steps] = time.perf_counter() - start
    return (times[long] - times[short]) / (long - short)


def _fresh(model):
    """A trainable copy (the store's models are frozen)."""
    with constructing():
        return copy.deepcopy(model).requires_grad_(True)


def bench_trl_vs_plain(report: Callable[[str], None]) -> None:
    ctx = _lab_context()
    gpt = ctx.model("lab-gpt", "text-generation")
    tokenizer = gpt.tokenizer
    split = instruction_split()
    items = list(split.train)
    pairs = preference_pairs(split.train)
    out = tempfile.mkdtemp(prefix="bench-trl-")
    common = dict(output_dir=out, per_device_train_batch_size=BATCH, report_to="none", use_cpu=True,
                  save_strategy="no", logging_strategy="no", dataset_num_proc=None, pad_token=tokenizer.eos_token,
                  disable_tqdm=True)

    def plain_sft(steps: int) -> None:
        sft.train_sft(_fresh(gpt.model), tokenizer, items[:steps * BATCH], sft.SftSettings(epochs=1))

    def trl_sft(steps: int) -> None:
        data = Dataset.from_list([{"prompt": i.prompt, "completion": i.completion} for i in items])
        with constructing():
            trainer = SFTTrainer(model=_fresh(gpt.model), args=SFTConfig(max_steps=steps, learning_rate=1e-3, **common),
                                 train_dataset=data, processing_class=tokenizer)
        trainer.train()

    def plain_dpo(steps: int) -> None:
        reference = _fresh(gpt.model).requires_grad_(False)
        dpo.train_dpo(_fresh(gpt.model), reference, tokenizer, pairs[:steps * BATCH], dpo.DpoSettings(epochs=1))

    def trl_dpo(steps: int) -> None:
        data = Dataset.from_list([{"prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected} for p in pairs])
        with constructing():
            trainer = DPOTrainer(model=_fresh(gpt.model), ref_model=_fresh(gpt.model).requires_grad_(False),
                                 args=DPOConfig(max_steps=steps, beta=0.1, learning_rate=1e-4, **common),
                                 train_dataset=data, processing_class=tokenizer)
        trainer.train()

    report(f"TRL vs a plain loop on lab-gpt, seconds per step (batch {BATCH}, setup excluded, "
           f"{torch.get_num_threads()} threads):")
    for name, plain, trl in (("SFT", plain_sft, trl_sft), ("DPO", plain_dpo, trl_dpo)):
        p, t = _per_step(plain), _per_step(trl)
        report(f"  {name}: plain {p * 1000:7.1f} ms, TRL {t * 1000:7.1f} ms  → TRL costs {t / p:4.1f}× the plain loop")


def run(report: Callable[[str], None]) -> None:
    torch.set_num_threads(1)  # as the tab trains (and the lab): both sides of the ratio on one thread
    bench_trl_vs_plain(report)
    bench_full_run(report)
