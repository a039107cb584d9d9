"""The class scenario: a room of students opens the playground at once.

`python app.py` on the default path (bert-base-uncased and gpt2 through the Hub cache, offline) on a free local
port; one client alone sends /fill_mask, /next_token and /compare a few times (the baseline), then 16 clients
send the same requests at once, every request from a new session. Prints per endpoint the median alone, the
median and p95 with 16 at once, p95(16) / median(1), and every error.

The real checkpoints are used when they are in the Hugging Face cache; otherwise real-size stand-ins (the same
architectures with random weights, tokenizers trained locally and padded to the real vocabularies) are written
once into a Hub-layout cache in the temp folder: the compute per request is the same.

    python -m playground.bench --class-only      # just this scenario
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import httpx

from playground.bench.shapes import padded_tokenizer, real_size_model
from playground.bench.soak import _free_port, call
from playground.models.loader import hub_is_cached

ROOT = Path(__file__).resolve().parents[2]
STAND_IN_CACHE = Path(tempfile.gettempdir()) / "playground-bench-hub-cache"
REQUESTS = [("fill_mask", ["Tesla is an American [MASK] company headquartered in Austin, Texas."]),
            ("next_token", ["Tesla is an American electric vehicle company headquartered in Austin, Texas. It"]),
            ("compare", ["Tesla is an American [MASK] company headquartered in Austin, Texas."])]
CLIENTS = 16
Report = Callable[[str], None]


def stand_in_cache(root: Path = STAND_IN_CACHE) -> Path:
    """A Hub-layout cache with bert-base-uncased and gpt2 stand-ins (written once, then reused)."""
    commit = "0" * 40
    for hub_id, kind, vocab in (("bert-base-uncased", "wordpiece", 30522), ("gpt2", "bpe", 50257)):
        repo = root / f"models--{hub_id}"
        snapshot = repo / "snapshots" / commit
        if (snapshot / "model.safetensors").is_file():
            continue
        model = real_size_model(hub_id, "sdpa")
        model.save_pretrained(snapshot)
        padded_tokenizer(kind, vocab).save_pretrained(snapshot)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
    return root


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def bench_class(report: Report = print, clients: int = CLIENTS, rounds_alone: int = 3) -> None:
    real = all(hub_is_cached(name) for name in ("bert-base-uncased", "gpt2"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    if not real:
        env["HF_HUB_CACHE"] = str(stand_in_cache())
    port = _free_port()
    base = f"http://127.0.0.1:{port}/gradio_api"
    process = subprocess.Popen([sys.executable, "app.py", "--no-browser", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                report("class scenario: the app did not start")
                return
            time.sleep(0.2)
        with httpx.Client() as http:
            for api, data in REQUESTS:  # models loaded and warm: the scenario measures serving, not loading
                call(http, base, api, data, timeout=600)
            alone: dict[str, list[float]] = {api: [] for api, _ in REQUESTS}
            for _ in range(rounds_alone):
                for api, data in REQUESTS:
                    outcome = call(http, base, api, data, timeout=600)
                    alone[api].append(outcome.seconds)
        together: dict[str, list[float]] = {api: [] for api, _ in REQUESTS}
        errors: list[str] = []
        start = threading.Barrier(clients)

        def student(number: int) -> None:
            with httpx.Client() as http:
                start.wait()
                for api, data in REQUESTS[number % len(REQUESTS):] + REQUESTS[:number % len(REQUESTS)]:
                    outcome = call(http, base, api, data, timeout=600)
                    if outcome.kind == "ok":
                        together[api].append(outcome.seconds)
                    else:
                        errors.append(f"{api}: {outcome.kind} {outcome.message[:160]}")

        threads = [threading.Thread(target=student, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        process.terminate()
        process.wait(30)
    what = "the real checkpoints" if real else "real-size stand-ins (random weights)"
    report(f"class scenario: {clients} clients at once on the default path ({what}), each sending "
           f"{', '.join('/' + api for api, _ in REQUESTS)}; seconds per request:")
    for api, _ in REQUESTS:
        if not together[api]:
            continue
        one, many = statistics.median(alone[api]), together[api]
        report(f"  /{api:<11} alone median {one:6.2f} · {clients} at once: median {statistics.median(many):6.2f}, "
               f"p95 {_percentile(many, 0.95):6.2f} ({_percentile(many, 0.95) / one:.1f}× alone)")
    everyone = [s for values in together.values() for s in values]
    all_alone = [s for values in alone.values() for s in values]
    if everyone:
        report(f"  all requests: p95 with {clients} at once / median alone = "
               f"{_percentile(everyone, 0.95) / statistics.median(all_alone):.1f}×")
    report(f"  errors: {len(errors)}" + "".join(f"\n    {e}" for e in errors[:10]))
