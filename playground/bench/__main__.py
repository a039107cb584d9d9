"""Benchmark: the playground's own code paths vs the raw transformers calls, on real-size models, and issue 13's
targets as ratios measured side by side in one run.

    python -m playground.bench [--repeats 10] [--new-tokens 50] [--skip-heads] [--skip-inside] [--skip-lab] [--agreement]
    python -m playground.bench --class-only     # 16 clients at once on the default path (classroom.py)
    python -m playground.bench --assistant-only # GPT → Assistant: full run breakdown, TRL vs plain loop

Models are bert-base-uncased and gpt2 *shapes* (configs with the published hyper-parameters) with
random weights — the compute is the same as the real checkpoints', and nothing is downloaded.
Tokenizers are real WordPiece / byte-level BPE tokenizers trained locally and padded to the real
vocabulary sizes. Every time is the best of interleaved runs (background load hits both sides of a ratio
alike). Prints the measurements, then a table of the targets; no assertion — this is measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

import torch
from transformers import pipeline

from playground.bench import heads as bench_heads
from playground.bench.agreement import Agreement, measure, report_agreement
from playground.bench.classroom import bench_class
from playground.bench import assistant as bench_assistant
from playground.bench.compare import bench_click, bench_warm_start
from playground.bench.inside import bench_inside, real_size_readers
from playground.bench.lab import bench_lab_training
from playground.bench.timing import BENCH_BERT, BENCH_GPT, Target, bench_models, interleaved_ms
from playground.lm.generation import GenerationSettings, generate
from playground.lm.masked_lm import fill_mask
from playground.lm.passes import attention_reader
from playground.models.variants import AGREEMENT_FILE

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."
PROMPT = "Tesla is an American electric vehicle company headquartered in Austin, Texas. It"
ROOT = Path(__file__).resolve().parents[2]
Report = Callable[[str], None]


def _sdpa_and_eager(lm):
    """The model as loaded (sdpa) and its eager twin (same weights), as the app uses them."""
    return lm.model, attention_reader(lm).model


def bench_attention(repeats: int, report: Report) -> None:
    """Why predictions use sdpa and only attention maps use eager attention."""
    _, bert, gpt = bench_models()
    rows = {}
    for lm, text in ((bert, TEXT), (gpt, PROMPT)):
        ids = torch.tensor([lm.tokenizer(text)["input_ids"]])
        sdpa, eager = _sdpa_and_eager(lm)

        def run(model, attentions):
            def call():
                with torch.inference_mode():
                    model(input_ids=ids, output_attentions=attentions)
            return call
        ms = interleaved_ms({"sdpa": run(sdpa, False), "eager": run(eager, False),
                             "eager+weights": run(eager, True)}, repeats)
        rows[lm.name] = (ids.shape[1], ms)
    report("Attention implementation (one forward pass, inference mode):")
    for name, (tokens, ms) in rows.items():
        report(f"  {name}, {tokens} tokens: sdpa {ms['sdpa']:.1f} ms · eager {ms['eager']:.1f} ms "
               f"({ms['eager'] / ms['sdpa']:.2f}×) · eager returning the weights {ms['eager+weights']:.1f} ms "
               f"({ms['eager+weights'] / ms['sdpa']:.2f}×)")


def bench_fill_mask(repeats: int, report: Report) -> list[Target]:
    ctx, bert, _ = bench_models()
    fast = ctx.model(BENCH_BERT, "fill-mask", "int8")
    raw = pipeline("fill-mask", model=bert.model, tokenizer=bert.tokenizer, device=-1)
    with torch.inference_mode():
        ms = interleaved_ms({"ours": lambda: fill_mask(bert, TEXT, top_k=5),
                             "fast": lambda: fill_mask(fast, TEXT, top_k=5),
                             "raw": lambda: raw(TEXT, top_k=5)}, repeats)
    report(f"fill-mask, bert-base shape ({bert.nbytes / 2**20:.0f} MiB; int8 copy {fast.nbytes / 2**20:.0f} MiB), "
           f"{len(bert.tokenizer(TEXT)['input_ids'])} tokens")
    report(f"  pipeline('fill-mask') (fp32, sdpa) {ms['raw']:8.1f} ms")
    report(f"  playground fill_mask (fp32, sdpa)  {ms['ours']:8.1f} ms   {ms['ours'] / ms['raw']:.2f}× the pipeline")
    report(f"  playground fill_mask, fast (int8)  {ms['fast']:8.1f} ms   {ms['fast'] / ms['raw']:.2f}× the pipeline")
    return [Target("Fast mode: fill-mask int8 / pipeline('fill-mask') fp32", ms["fast"] / ms["raw"], 0.4)]


def bench_generation(repeats: int, new_tokens: int, report: Report) -> list[Target]:
    ctx, _, gpt = bench_models()
    fast = ctx.model(BENCH_GPT, "text-generation", "int8")
    ids = torch.tensor([gpt.tokenizer(PROMPT)["input_ids"]])
    settings = GenerationSettings(max_new_tokens=new_tokens)
    produced = {}

    def ours(lm, key):
        def run():
            produced[key] = len(generate(lm, PROMPT, settings).tokens)
        return run

    def run_raw():
        out = gpt.model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                                 pad_token_id=0)
        produced["raw"] = out.shape[1] - ids.shape[1]

    ms = interleaved_ms({"ours": ours(gpt, "ours"), "fast": ours(fast, "fast"), "raw": run_raw}, repeats)
    tps = {key: produced[key] / ms[key] * 1000 for key in ms}
    report(f"generation, gpt2 shape ({gpt.nbytes / 2**20:.0f} MiB; int8 copy {fast.nbytes / 2**20:.0f} MiB), "
           f"prompt {ids.shape[1]} tokens, {new_tokens} new tokens, greedy")
    report(f"  model.generate (fp32, sdpa)        {tps['raw']:8.1f} tokens/s")
    report(f"  playground stream_generate (fp32)  {tps['ours']:8.1f} tokens/s   {tps['ours'] / tps['raw']:.2f}× "
           "(with top-5 candidates per step)")
    report(f"  playground stream_generate (int8)  {tps['fast']:8.1f} tokens/s   {tps['fast'] / tps['raw']:.2f}×")
    return [Target("Fast mode: GPT-2 greedy int8 tokens/s / model.generate fp32", tps["fast"] / tps["raw"], 3.0,
                   at_most=False)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seconds_to_page(command: list[str], timeout_s: float = 120) -> float:
    """Seconds from starting `command --port N` to its page being served."""
    port = _free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    proc = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout_s:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        return float("inf")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def bench_startup(report: Report, runs: int = 3) -> list[Target]:
    """`python app.py` → page served, against a bare Gradio Blocks hello-world started the same way (tiny models,
    so the warm start really loads models in the background while the page is being served)."""
    commands = {
        "hello": [sys.executable, "-m", "playground.bench.hello"],
        "app": [sys.executable, "app.py", "--no-browser", "--models", "tiny"],
        "app --no-preload": [sys.executable, "app.py", "--no-browser", "--models", "tiny", "--no-preload"],
    }
    best = {name: float("inf") for name in commands}
    for _ in range(runs):  # interleaved, best of
        for name, command in commands.items():
            best[name] = min(best[name], _seconds_to_page(command))
    report(f"start-up to page served (best of {runs}): Gradio hello-world {best['hello']:.2f} s · "
           f"python app.py {best['app']:.2f} s ({best['app'] / best['hello']:.2f}×) · "
           f"with --no-preload {best['app --no-preload']:.2f} s")
    return [Target("Start-up: app.py page served / Gradio hello-world", best["app"] / best["hello"], 1.5)]


def bench_agreement(args: argparse.Namespace, report: Report) -> None:
    if args.agreement:
        result = measure(args.agreement_steps, args.agreement_model, report, write_to=AGREEMENT_FILE)
    elif AGREEMENT_FILE.exists():
        result = Agreement(**json.loads(AGREEMENT_FILE.read_text()))
        report(f"(agreement from {AGREEMENT_FILE.name}, measured earlier; --agreement measures it again)")
    else:
        report("Fast mode honesty: not measured yet (python -m playground.bench --agreement).")
        return
    report_agreement(result, report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--new-tokens", type=int, default=50)
    parser.add_argument("--skip-heads", action="store_true", help="only the Compare tab's benchmarks")
    parser.add_argument("--skip-lab", action="store_true", help="skip the Pretraining lab's training speed")
    parser.add_argument("--skip-startup", action="store_true", help="no start-up and warm-start subprocesses")
    parser.add_argument("--skip-class", action="store_true", help="skip the class scenario (16 clients at once)")
    parser.add_argument("--skip-inside", action="store_true", help="skip the Inside tab's views (bench/inside.py)")
    parser.add_argument("--class-only", action="store_true", help="only the class scenario (16 clients at once)")
    parser.add_argument("--agreement", action="store_true",
                        help="measure fast mode's top-1/top-5 agreement again (trains a small BERT, minutes)")
    parser.add_argument("--agreement-steps", type=int, default=600)
    parser.add_argument("--agreement-model", default=None, help="a saved masked LM to measure instead")
    parser.add_argument("--before", default=None, metavar="DIR",
                        help="also time the Compare click in DIR, a checkout of older code (with playground/bench/"
                             "click.py, shapes.py and timing.py copied in), for before → after ratios")
    parser.add_argument("--skip-assistant", action="store_true", help="skip GPT → Assistant (full run, TRL vs plain)")
    parser.add_argument("--assistant-only", action="store_true",
                        help="only GPT → Assistant: the default full run's breakdown and TRL vs a plain loop")
    args = parser.parse_args(argv)
    if args.assistant_only:
        bench_assistant.run(print)
        return

    if args.class_only:
        bench_class(print)
        return

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; best of interleaved runs")
    targets: list[Target] = []
    if not args.skip_startup:
        targets += bench_startup(print)
    bench_attention(args.repeats, print)
    if args.before:
        print(f"BEFORE ({args.before}):")
        before = {t.name: t for t in bench_click(max(3, args.repeats // 2), print, root=Path(args.before))}
        print("AFTER (this checkout):")
    click = bench_click(max(3, args.repeats // 2), print)
    targets += click
    if args.before:
        print("Compare click, before → after (ratios to one bare sdpa forward, each measured in its own run):")
        for target in click:
            if target.name in before:
                print(f"  {target.name:<58} {before[target.name].ratio:6.2f}× → {target.ratio:5.2f}×")
    if not args.skip_startup:
        targets += bench_warm_start(print)
    targets += bench_fill_mask(args.repeats, print)
    targets += bench_generation(max(3, args.repeats // 4), args.new_tokens, print)
    bench_agreement(args, print)
    print("Targets (issue 13), ratios from this run:")
    for target in targets:
        print(target.line())
    if not args.skip_heads:
        bench_heads.run(print)
    if not args.skip_inside:
        bench_inside(real_size_readers(), max(3, args.repeats // 2), print)
    if not args.skip_lab:
        bench_lab_training(print)
    if not args.skip_assistant:
        bench_assistant.run(print)
    if not args.skip_class:
        bench_class(print)


if __name__ == "__main__":
    main()
