"""One long job at a time (the lab's training), first come first served, each waiting caller told its place.

Every job belongs to an owner (a browser session, an API client, the command line); only the owner can
stop it — `stop(owner)` never reaches another owner's job. An owner holds at most one ticket at a time
(running or waiting): one client cannot fill the queue with its own long runs.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from playground.core.errors import PlaygroundError


ONE_JOB_PER_OWNER = ("This session already has a lab run (or fine-tuning) running or waiting in line; one at "
                     "a time per session. Stop it or wait for it to finish, then start the next one.")


@dataclass
class Ticket:
    owner: str
    number: int
    stop: threading.Event = field(default_factory=threading.Event)


class JobGate:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._waiting: deque[Ticket] = deque()
        self._running: Ticket | None = None
        self._numbers = itertools.count(1)

    def join(self, owner: str) -> Ticket:
        """A place at the end of the line; refused at once if this owner already has a job running or waiting."""
        with self._lock:
            if any(t is not None and t.owner == owner for t in [self._running, *self._waiting]):
                raise PlaygroundError(ONE_JOB_PER_OWNER)
            ticket = Ticket(owner=owner, number=next(self._numbers))
            self._waiting.append(ticket)
            return ticket

    def position(self, ticket: Ticket) -> int:
        """0 when it is this ticket's turn (it holds the gate); k ≥ 1 = k-th in line behind the running job."""
        with self._lock:
            if self._running is ticket:
                return 0
            return list(self._waiting).index(ticket) + 1 if ticket in self._waiting else -1

    def wait_turn(self, ticket: Ticket, timeout_s: float) -> bool:
        """Take the gate if it is free and this ticket is first in line (waiting up to `timeout_s`)."""
        with self._lock:
            def my_turn() -> bool:
                return self._running is None and bool(self._waiting) and self._waiting[0] is ticket

            if self._running is ticket:
                return True
            if self._lock.wait_for(lambda: my_turn() or ticket.stop.is_set(), timeout=timeout_s) and my_turn():
                self._waiting.popleft()
                self._running = ticket
                return True
            return False

    def leave(self, ticket: Ticket) -> None:
        """Release the gate (or the place in line); always call it, e.g. in a `finally`."""
        with self._lock:
            if self._running is ticket:
                self._running = None
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._lock.notify_all()

    def stop(self, owner: str) -> bool:
        """Ask this owner's running or waiting job to stop; False if the owner has none."""
        with self._lock:
            found = False
            for ticket in [self._running, *self._waiting]:
                if ticket is not None and ticket.owner == owner:
                    ticket.stop.set()
                    found = True
            self._lock.notify_all()
            return found

    def busy(self) -> bool:
        with self._lock:
            return self._running is not None or bool(self._waiting)

    @contextmanager
    def turn(self, owner: str, timeout_s: float) -> Iterator[Ticket]:
        """Wait (up to `timeout_s`) for the gate, hold it for the `with` block, then release it."""
        ticket = self.join(owner)
        try:
            if not self.wait_turn(ticket, timeout_s):
                raise PlaygroundError(f"The lab is busy with another run; try again in a few minutes "
                                      f"(waited {timeout_s:.0f} s).")
            yield ticket
        finally:
            self.leave(ticket)
