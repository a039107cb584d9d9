"""Benchmark: the Pretraining lab's training speed — tokens per second per model, on this machine.

Trains the default preset on the built-in corpus for a few steps (the lab's own loop: `accelerate`, one CPU
thread) and reports each model's training tokens/s (non-padding tokens through forward, backward and the
optimiser step), plus the time to build tokenizers and models.
"""

from __future__ import annotations

from typing import Callable

from playground.tasks.lab.corpus import builtin_choice
from playground.tasks.lab.networks import PRESETS
from playground.tasks.lab.pretrain import PretrainSettings, run_training


def bench_lab_training(report: Callable[[str], None], steps: int = 60) -> None:
    settings = PretrainSettings(steps=steps)
    prepared_at, final = None, None
    for progress in run_training(builtin_choice(), settings, save=False):
        if progress.status == "running" and prepared_at is None:
            prepared_at = progress.elapsed_s
        final = progress
    batch = PRESETS[settings.preset].batch_size
    report(f"pretraining lab, '{settings.preset}' preset, batches of {batch} × {settings.seq_len} tokens, "
           f"{final.step} steps each, one CPU thread (tokenizers + models built in {prepared_at or 0:.1f} s)")
    for model in final.models:
        report(f"  {model.name:9} {model.parameters / 1e6:5.2f} M parameters  {model.tokens_per_s:10,.0f} "
               f"training tokens/s   ({model.objective})")
