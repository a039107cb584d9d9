"""Warm start: once the page is served, load the default models in a background thread (and run one request
through them), so the first click is a warm click. Its state is one line the page shows; a failure (e.g.
offline) is reported there, never raised: the app keeps serving, and a request loads its model as usual.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence

log = logging.getLogger("playground")

Step = tuple[str, Callable[[], object]]  # (what the status line says while it runs, the work)


class WarmStart:
    """Runs its steps once, in order, in a daemon thread; `status()` says how far it got."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._line = ""
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def status(self) -> str:
        with self._lock:
            return self._line

    def _say(self, line: str) -> None:
        with self._lock:
            self._line = line

    def start(self, steps: Sequence[Step], ready: str = "ready") -> threading.Thread:
        """Run `steps` in the background (once; later calls return the same thread)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(list(steps), ready), name="warm-start",
                                            daemon=True)
            self._say(f"⏳ {steps[0][0]}…" if steps else "")
            self._thread.start()
        return self._thread

    def skip(self, line: str = "") -> None:
        """Do not run at all (it could only fail, and the page already says why): finished, showing `line`."""
        if self._thread is None:
            self._say(line)
            self._done.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self._done.wait(timeout_s)

    def _run(self, steps: list[Step], ready: str) -> None:
        started = time.perf_counter()
        done: list[str] = []
        try:
            for what, work in steps:
                self._say(f"⏳ {'; '.join([*done, what])}…")
                try:
                    work()
                except Exception as exc:  # offline, out of memory…: say so; the app keeps serving
                    log.warning("warm start: %s failed: %s", what, exc)
                    # Its advice (e.g. how to download a model) is the page's header's and the tabs' to give.
                    message = str(getattr(exc, "without_advice", exc)).strip()
                    first = message.splitlines()[0] if message else type(exc).__name__
                    self._say(f"⚠️ {what} failed: {first[:400]} The playground still works; this model loads "
                              "(or explains why it cannot) when a request needs it.")
                    return
                done.append(f"{what}… done")
            self._say(f"✅ {ready} ({time.perf_counter() - started:.0f} s).")
        finally:
            self._done.set()
