"""Benchmark: the playground's own code paths vs the raw transformers calls, on real-size models.

    python -m playground.bench [--repeats 20] [--new-tokens 50] [--skip-heads]

Models are bert-base-uncased and gpt2 *shapes* (configs with the published hyper-parameters) with
random weights — the compute is the same as the real checkpoints', and nothing is downloaded.
Tokenizers are real WordPiece / byte-level BPE tokenizers trained locally and padded to the real
vocabulary sizes. Prints a table; no assertion — this is measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable

from playground.bench.timing import interleaved_ms, padded_tokenizer, real_size_model
from playground.models.loader import LoadedModel, model_nbytes

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."
PROMPT = "Tesla is an American electric vehicle company headquartered in Austin, Texas. It"


def bench_fill_mask(repeats: int, report: Callable[[str], None]) -> None:
    import torch
    from transformers import pipeline

    from playground.lm.masked_lm import fill_mask

    tokenizer = padded_tokenizer("wordpiece", 30522)
    ours = real_size_model("bert-base-uncased", "eager")  # eager, as the loader loads it
    lm = LoadedModel(name="bert-base (random)", task="fill-mask", tokenizer=tokenizer, model=ours,
                     nbytes=model_nbytes(ours), source="config")
    raw_model = real_size_model("bert-base-uncased", "sdpa")  # transformers' default attention
    raw_model.load_state_dict(ours.state_dict())
    raw = pipeline("fill-mask", model=raw_model, tokenizer=tokenizer, device=-1)
    with torch.inference_mode():
        ms = interleaved_ms({"ours": lambda: fill_mask(lm, TEXT, top_k=5),
                             "raw": lambda: raw(TEXT, top_k=5)}, repeats)
    t_ours, t_raw = ms["ours"] / 1000, ms["raw"] / 1000
    report(f"fill-mask, bert-base shape ({model_nbytes(ours) / 2**20:.0f} MiB), {len(tokenizer(TEXT)['input_ids'])} tokens")
    report(f"  playground fill_mask            {t_ours * 1000:8.1f} ms")
    report(f"  pipeline('fill-mask') (sdpa)    {t_raw * 1000:8.1f} ms   ratio {t_ours / t_raw:.2f}×")


def bench_generation(repeats: int, new_tokens: int, report: Callable[[str], None]) -> None:
    import torch

    from playground.lm.generation import GenerationSettings, generate

    tokenizer = padded_tokenizer("bpe", 50257)
    ours = real_size_model("gpt2", "eager")
    # Random weights almost never emit <|endoftext|>, but make sure both sides run the full length.
    ours.generation_config.eos_token_id = None
    lm = LoadedModel(name="gpt2 (random)", task="text-generation", tokenizer=tokenizer, model=ours,
                     nbytes=model_nbytes(ours), source="config")
    raw_model = real_size_model("gpt2", "sdpa")
    raw_model.load_state_dict(ours.state_dict())
    ids = torch.tensor([tokenizer(PROMPT)["input_ids"]])
    settings = GenerationSettings(max_new_tokens=new_tokens)
    produced = {}

    def run_ours():
        produced["ours"] = len(generate(lm, PROMPT, settings).tokens)

    def run_raw():
        out = raw_model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                                 pad_token_id=0)
        produced["raw"] = out.shape[1] - ids.shape[1]

    ms = interleaved_ms({"ours": run_ours, "raw": run_raw}, repeats)
    t_ours, t_raw = ms["ours"] / 1000, ms["raw"] / 1000
    ours_tps, raw_tps = produced["ours"] / t_ours, produced["raw"] / t_raw
    report(f"generation, gpt2 shape ({model_nbytes(ours) / 2**20:.0f} MiB), prompt {ids.shape[1]} tokens, "
           f"{new_tokens} new tokens, greedy")
    report(f"  playground stream_generate      {ours_tps:8.1f} tokens/s (with top-5 candidates per step)")
    report(f"  model.generate (sdpa)           {raw_tps:8.1f} tokens/s   ratio {ours_tps / raw_tps:.2f}×")


def bench_startup(report: Callable[[str], None], timeout_s: float = 60) -> None:
    """Seconds from `python app.py` to the page being served (no model is loaded at start-up)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(root / "app.py"), "--no-browser", "--port", str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout_s:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        report(f"start-up: `python app.py` → page served in {time.perf_counter() - start:.2f} s")
                        return
            except OSError:
                time.sleep(0.05)
        report(f"start-up: page not served within {timeout_s:.0f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--new-tokens", type=int, default=50)
    parser.add_argument("--skip-heads", action="store_true", help="only the Compare tab's benchmarks")
    args = parser.parse_args(argv)
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; best of interleaved runs")
    bench_startup(print)
    bench_fill_mask(args.repeats, print)
    bench_generation(max(3, args.repeats // 4), args.new_tokens, print)
    if not args.skip_heads:
        from playground.bench import heads as bench_heads

        bench_heads.run(print)


if __name__ == "__main__":
    main()
