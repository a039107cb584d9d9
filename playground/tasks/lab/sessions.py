"""Which lab run each session trained: a visitor's run is served to that visitor only, under names of its own
(`lab-bert@<run id>`, `lab-gpt@<run id>`), so one visitor's training never changes another's answers.

Bounded: a session keeps only its latest run (its previous one is deleted), and at most KEEP_SESSION_RUNS
sessions are served; the oldest lose their run first (as on disk, see `runs.prune_session_runs`).
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from playground.tasks.lab.runs import KEEP_SESSION_RUNS, LAB_BERT, LAB_GPT, session_names


@dataclass(frozen=True)
class SessionRun:
    run_id: str
    run_dir: Path
    names: dict[str, str] = field(default_factory=dict)  # {lab-bert: lab-bert@<id>, lab-gpt: lab-gpt@<id>}

    @property
    def bert(self) -> str:
        return self.names[LAB_BERT]

    @property
    def gpt(self) -> str:
        return self.names[LAB_GPT]


class SessionRuns:
    """owner (session hash) → its latest lab run, registered in a ModelStore under the run's own names."""

    def __init__(self, limit: int = KEEP_SESSION_RUNS) -> None:
        self._lock = threading.Lock()
        self._by_owner: OrderedDict[str, SessionRun] = OrderedDict()  # oldest first
        self._limit = limit

    def get(self, owner: str) -> SessionRun | None:
        """This session's run, if it has one still on disk."""
        with self._lock:
            run = self._by_owner.get(owner)
        return run if run is not None and run.run_dir.is_dir() else None

    def add(self, store, owner: str, run_dir: Path) -> SessionRun:
        """Serve `run_dir` as this owner's run (replacing and deleting its previous one); drop runs beyond the
        bound and runs whose folder the disk pruning removed."""
        run_dir = Path(run_dir)
        run = SessionRun(run_id=run_dir.name, run_dir=run_dir, names=session_names(run_dir.name))
        with self._lock:
            previous = self._by_owner.pop(owner, None)
            if previous is not None and previous.run_dir != run_dir:
                self._drop(store, previous, delete=True)
            for name, served_as in run.names.items():
                store.set_local(served_as, run_dir / name)
            self._by_owner[owner] = run
            for other, old in list(self._by_owner.items()):
                gone = not old.run_dir.is_dir()
                if gone or len(self._by_owner) > self._limit:
                    del self._by_owner[other]
                    self._drop(store, old, delete=not gone)
        return run

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_owner)

    @staticmethod
    def _drop(store, run: SessionRun, delete: bool) -> None:
        for served_as in run.names.values():
            store.remove_local(served_as)
        if delete:
            shutil.rmtree(run.run_dir, ignore_errors=True)
