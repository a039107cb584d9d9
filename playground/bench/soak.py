"""`python -m playground.soak`: hit a local playground the way a busy public Space is hit, and count what broke.

It starts `python app.py --models tiny` on a free local port (or targets `--url`, which must be this machine:
127.0.0.1, localhost or ::1) and runs three bounded rounds over the public API, every request from a new session:

1. **bad-input corpus**: per endpoint, one good call and bad values for every parameter (NaN, infinity, text in a
   number field, lists, true/false, None, non-text text, lone surrogates, invisible text, HTML), plus protocol
   probes (an unknown endpoint, inputs left out, malformed JSON, an oversized body, an upload);
2. **concurrency**: `--clients` clients at once send requests of their own; every answer is compared with the
   answer to the same request sent alone (any difference is cross-talk);
3. **flood**: `--flood` requests fired at once at two endpoints; the queue length is polled all along.

It prints requests, clear errors, generic errors, crashes, cross-talk, p50/p95 latency, the server's peak RSS and
whether the queue bound held, and exits 1 if any of crashes, generic errors or cross-talk is not zero or the queue
outgrew its bound. Every loop is bounded by count and by `--seconds`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
QUEUE_MAX_SIZE = 32  # the app's bound (playground.ui.serving.QUEUE_MAX_SIZE); --queue-max to check another
GENERIC = ("Something went wrong", "Traceback", "Internal Server Error")

# Good values for parameters the corpus cannot guess from the API description.
GOOD = {"text": "Tesla is an American [MASK] company.", "sentence_a": "The cat sat on the mat.",
        "sentence_b": "It fell asleep.", "context": "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.",
        "question": "Who founded Tesla?", "prompt": "Tesla is", "models": ["bert-base-uncased"],
        "task": "question-answering", "kind": "all", "strategy": "greedy"}
BAD_NUMBERS = [math.nan, math.inf, "NaN", "abc", [1], True, None, {"a": 1}, -1, 10**30]
BAD_TEXTS = [42, [1], True, None, "\ud800", "\u200b\u200b", "<img src=x onerror=alert(1)><b>bold</b>" * 40,
             "\x00\x01\x02"]
BAD_LISTS = ["x", 5, [[1]], [None], ["<i>"] * 50]


@dataclass
class Outcome:
    kind: str  # "ok" | "clear" (a clear error) | "generic" | "crash" | "busy"
    seconds: float
    message: str = ""
    data: Any = None


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    cross_talk: int = 0
    unescaped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> Outcome:
        with self.lock:
            self.outcomes.append(outcome)
            if "<img" in outcome.message or "<b>" in outcome.message:
                self.unescaped += 1
        return outcome

    def count(self, kind: str) -> int:
        return sum(o.kind == kind for o in self.outcomes)


# ---- one request, the way a script sends it ---------------------------------------------------------

def _classify_error(message: Any) -> tuple[str, str]:
    text = message if isinstance(message, str) else ""
    if not text.strip() or any(g in text for g in GENERIC):
        return "generic", text or repr(message)
    return "clear", text


def call(http: httpx.Client, base: str, api: str, data: Any, *, raw: bytes | None = None,
         timeout: float = 120.0) -> Outcome:
    """POST /gradio_api/call/<api> from a new session, then read its event stream to the end."""
    started = time.perf_counter()
    if raw is None:  # as Python's json writes it: NaN and Infinity as such, lone surrogates as \ud800 escapes
        raw = json.dumps({"data": data, "session_hash": uuid.uuid4().hex}).encode()
    try:
        posted = http.post(f"{base}/call/{api}", content=raw, headers={"content-type": "application/json"},
                           timeout=timeout)
        if posted.status_code != 200:
            return _refused(posted, started)
        event_id = posted.json()["event_id"]
        event, payload = None, None
        with http.stream("GET", f"{base}/call/{api}/{event_id}", timeout=timeout) as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    payload = json.loads(line.split(":", 1)[1])
                    break
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return Outcome("crash", time.perf_counter() - started, f"{type(exc).__name__}: {exc}"[:200])
    seconds = time.perf_counter() - started
    if event == "complete":
        return Outcome("ok", seconds, data=payload)
    if event == "error":
        kind, message = _classify_error((payload or {}).get("error"))
        return Outcome(kind, seconds, message)
    return Outcome("crash", seconds, f"the event stream ended without an answer (last event: {event})")


def _refused(response: httpx.Response, started: float) -> Outcome:
    seconds = time.perf_counter() - started
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if response.status_code == 503 and isinstance(detail, str) and "busy" in detail:
        return Outcome("busy", seconds, detail)
    if response.status_code >= 500:
        return Outcome("crash", seconds, f"HTTP {response.status_code}: {str(detail)[:200]}")
    kind, message = _classify_error(detail if isinstance(detail, str) else None)
    return Outcome(kind, seconds, f"HTTP {response.status_code}: {message}")


# ---- the app under test -----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(wait_s: float = 180.0) -> tuple[subprocess.Popen, str]:
    """`python app.py --models tiny` on a free local port; returns (process, base URL) once it answers."""
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    env.setdefault("PLAYGROUND_TINY_DIR", str(Path(tempfile.gettempdir()) / "playground-soak-tiny"))
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "app.py", "--models", "tiny", "--no-browser", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"the app exited while starting:\n{log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the app did not answer within {wait_s:.0f} s")


def server_pid(url: str) -> int | None:
    """The process listening on the URL's port (this machine only)."""
    port = urlparse(url).port
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return conn.pid
    except (psutil.AccessDenied, PermissionError):
        return None
    return None


class RssSampler(threading.Thread):
    """The server's resident memory, sampled every 0.2 s."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()
        self.marks: list[tuple[str, int]] = []  # (after which round, RSS then)

    def mark(self, label: str) -> None:
        if self.samples:
            self.marks.append((label, self.samples[-1]))

    def run(self) -> None:
        if self.pid is None:
            return

        process = psutil.Process(self.pid)
        while not self.stop.is_set():
            try:
                self.samples.append(process.memory_info().rss)
            except psutil.Error:
                return
            self.stop.wait(0.2)


# ---- the three rounds ---------------------------------------------------------------------------------

def endpoints(http: httpx.Client, base: str) -> dict[str, list[dict]]:
    info = http.get(f"{base}/info", timeout=30).json()
    return {name.lstrip("/"): spec["parameters"] for name, spec in info["named_endpoints"].items()}


def _good_args(parameters: list[dict]) -> list:
    return [GOOD.get(p["parameter_name"], p.get("parameter_default")) for p in parameters]


def _bad_values(parameter: dict) -> list:
    kind = json.dumps(parameter.get("type", {}))
    if '"array"' in kind:
        return BAD_LISTS
    return BAD_NUMBERS if any(t in kind for t in ('"number"', '"integer"', '"boolean"')) else BAD_TEXTS


def corpus_round(http: httpx.Client, base: str, apis: dict[str, list[dict]], tally: Tally, deadline: float,
                 workers: int = 4) -> None:
    jobs: list[tuple[str, Any, bytes | None]] = []
    for api, parameters in apis.items():
        good = _good_args(parameters)
        jobs.append((api, good, None))
        for i, parameter in enumerate(parameters):
            jobs += [(api, good[:i] + [bad] + good[i + 1:], None) for bad in _bad_values(parameter)]
    jobs += [("no_such_endpoint", ["x"], None), ("nsp", ["only sentence A"], None), ("tokenize", None, b"{not json"),
             ("tokenize", ["word " * 80_000, "bert-base-uncased"], None)]  # 400 KB: over the body limit

    def run(job):
        api, data, raw = job
        if time.monotonic() > deadline:
            return None
        return tally.add(call(http, base, api, data, raw=raw))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, jobs))
    started = time.perf_counter()  # an upload, though no input takes a file
    upload = http.post(f"{base}/upload", files={"files": ("big.bin", b"\0" * 100_000)}, timeout=30)
    tally.add(_refused(upload, started) if upload.status_code != 200 else
              Outcome("generic", time.perf_counter() - started, "an upload was accepted"))


def _client_requests(client: int, count: int) -> list[tuple[str, list]]:
    """Requests only this client sends (its number is in every text), over endpoints with one right answer."""
    out = []
    for j in range(count):
        tag = f"Client {client} request {j}"
        out.append([
            ("nsp", [f"{tag}: Tesla is a company.", f"It was founded in {2000 + client}."]),
            ("answer", [f"{tag}. Tesla was founded in 2003 by Martin Eberhard. " * (1 + j % 4), "Who founded Tesla?",
                        3, 15, 8 * (client % 4)]),
            ("fill_mask", [f"{tag} is an American [MASK] company.", 5]),
            ("tokenize", [f"{tag} reads 東京 and 😀."]),
            ("sentiment", [f"{tag} was wonderful.\n{tag} was awful.", True, 1]),
            ("generate", [f"{tag} is", 8, "greedy", 1.0, 0, 1.0, ""]),
        ][(client + j) % 6])
    return out


def _comparable(data: Any) -> Any:
    return json.dumps(data, sort_keys=True)


def concurrency_round(http_factory, base: str, clients: int, per_client: int, tally: Tally,
                      deadline: float) -> None:
    requests = {c: _client_requests(c, per_client) for c in range(clients)}
    with http_factory() as http:  # each request alone first: the answers the concurrent ones must equal
        alone = {(c, j): call(http, base, api, data)
                 for c, reqs in requests.items() for j, (api, data) in enumerate(reqs) if time.monotonic() < deadline}

    def client(c: int) -> None:
        with http_factory() as http:
            for j, (api, data) in enumerate(requests[c]):
                if time.monotonic() > deadline:
                    return
                outcome = tally.add(call(http, base, api, data))
                expected = alone.get((c, j))
                if expected is not None and outcome.kind == expected.kind == "ok":
                    if _comparable(outcome.data) != _comparable(expected.data):
                        with tally.lock:
                            tally.cross_talk += 1

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))


def flood_round(http_factory, base: str, size: int, tally: Tally, deadline: float, queue_max: int) -> dict:
    text = ("Tesla is an American [MASK] company headquartered in Austin, Texas. " * 1500)[:100_000]
    jobs = [("fill_mask", [text, 5]) if i % 2 else ("compare", [text[:3000], 5]) for i in range(size)]
    observed: list[int] = []
    done = threading.Event()

    def poll() -> None:
        with http_factory() as http:
            while not done.is_set():
                try:
                    observed.append(int(http.get(f"{base}/queue/status", timeout=5).json().get("queue_size") or 0))
                except (httpx.HTTPError, ValueError):
                    pass
                done.wait(0.05)

    def fire(job):
        if time.monotonic() > deadline:
            return None
        with http_factory() as http:
            return tally.add(call(http, base, *job))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    with ThreadPoolExecutor(max_workers=min(size, 64)) as pool:
        results = [r for r in pool.map(fire, jobs) if r is not None]
    done.set()
    poller.join(timeout=5)
    with http_factory() as http:  # and afterwards, a normal request is answered at once
        after = call(http, base, "fill_mask", ["The [MASK] sat on the mat.", 3], timeout=60)
    tally.add(after)
    return {"sent": len(results), "busy": sum(r.kind == "busy" for r in results),
            "answered": sum(r.kind in ("ok", "clear") for r in results),
            "queue_peak": max(observed, default=0), "queue_max": queue_max,
            "bound_respected": max(observed, default=0) <= queue_max, "after_flood": after.kind,
            "after_flood_s": after.seconds}


# ---- report -------------------------------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def report(tally: Tally, flood: dict, rss: list[int], seconds: float,
           marks: list[tuple[str, int]] = ()) -> tuple[str, bool]:
    answered = [o.seconds for o in tally.outcomes if o.kind in ("ok", "clear")]
    mb = [r / 2**20 for r in rss]
    rounds = ", ".join(f"after {label} {value / 2**20:.0f} MB" for label, value in marks)
    examples = [o.message for o in tally.outcomes if o.kind in ("generic", "crash")][:5]
    lines = [
        f"requests          {len(tally.outcomes)}  ({seconds:.0f} s)",
        f"answered          {tally.count('ok')}",
        f"clear errors      {tally.count('clear')}",
        f"busy answers      {tally.count('busy')}",
        f"generic errors    {tally.count('generic')}",
        f"crashes           {tally.count('crash')}",
        f"cross-talk        {tally.cross_talk}",
        f"unescaped echoes  {tally.unescaped}",
        f"latency p50/p95   {statistics.median(answered) if answered else math.nan:.3f} s / "
        f"{_percentile(answered, 0.95):.3f} s",
        (f"server RSS        start {mb[0]:.0f} MB, peak {max(mb):.0f} MB ({rounds})" if mb else
         "server RSS        not measured (the server's process is not visible from here)"),
        f"flood             {flood.get('sent', 0)} sent, {flood.get('busy', 0)} told busy, "
        f"{flood.get('answered', 0)} answered; queue peak {flood.get('queue_peak', 0)} of {flood.get('queue_max')} "
        f"({'bound respected' if flood.get('bound_respected') else 'BOUND EXCEEDED'}); next request after it: "
        f"{flood.get('after_flood')} in {flood.get('after_flood_s', math.nan):.2f} s",
    ]
    lines += [f"  e.g. {e[:160]}" for e in examples]
    passed = (tally.count("generic") == tally.count("crash") == tally.cross_talk == tally.unescaped == 0
              and bool(flood.get("bound_respected")) and flood.get("after_flood") in ("ok", "clear"))
    return "\n".join(lines), passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.soak", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running playground on this machine (default: start one with tiny models)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in round 2 (default 16)")
    parser.add_argument("--per-client", type=int, default=6, help="requests per client in round 2 (default 6)")
    parser.add_argument("--flood", type=int, default=120, help="requests fired at once in round 3 (default 120)")
    parser.add_argument("--seconds", type=float, default=900, help="stop starting new requests after this long")
    parser.add_argument("--queue-max", type=int, default=QUEUE_MAX_SIZE, help="the queue bound to check")
    args = parser.parse_args(argv)
    for name in ("clients", "per_client", "flood"):
        if not 1 <= getattr(args, name) <= 500:
            parser.error(f"--{name.replace('_', '-')} must be between 1 and 500")

    process = None
    if args.url:
        host = urlparse(args.url).hostname or ""
        if host not in LOCAL_HOSTS:
            parser.error(f"--url must be this machine (127.0.0.1, localhost or ::1), not {host!r}")
        url = args.url.rstrip("/")
    else:
        print("starting python app.py --models tiny …", flush=True)
        process, url = start_app()
    base = f"{url}/gradio_api"
    sampler = RssSampler(process.pid if process else server_pid(url))
    sampler.start()
    started = time.monotonic()
    deadline = started + args.seconds
    tally = Tally()
    factory = lambda: httpx.Client(timeout=120)  # noqa: E731 — one client (connection pool) per thread
    try:
        with factory() as http:
            apis = endpoints(http, base)
            print(f"round 1: bad-input corpus over {len(apis)} endpoints", flush=True)
            corpus_round(http, base, apis, tally, deadline)
        sampler.mark("corpus")
        print(f"round 2: {args.clients} clients at once, {args.per_client} requests each", flush=True)
        concurrency_round(factory, base, args.clients, args.per_client, tally, deadline)
        sampler.mark("concurrency")
        print(f"round 3: a flood of {args.flood} requests", flush=True)
        flood = flood_round(factory, base, args.flood, tally, deadline, args.queue_max)
        time.sleep(0.5)
        sampler.mark("flood")
    finally:
        sampler.stop.set()
        sampler.join(timeout=2)
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    text, passed = report(tally, flood, sampler.samples, time.monotonic() - started, sampler.marks)
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
