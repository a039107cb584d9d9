"""Each session's assistant models (SFT, reward model, DPO) and its latest results, in memory.

A finished stage replaces only that session's entry, in one step under a lock (a request of the same session sees
the old models or the new ones, never a mix; another session never sees them). Bounded: at most KEEP_SESSIONS
sessions keep models (each a few MB); the least recently updated go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Callable

KEEP_SESSIONS = 8


@dataclass(frozen=True)
class AssistantModels:
    gpt_name: str = ""  # the lab GPT the SFT model started from
    tokenizer: Any = None  # the lab GPT's tokenizer
    sft: Any = None
    reward: Any = None
    dpo: Any = None
    results: dict = field(default_factory=dict)  # stage ("sft" | "reward" | "dpo") → its result
    token: str = ""  # this session's served names end in @<token> (lab-gpt-sft@…, lab-gpt-dpo@…)
    served: dict = field(default_factory=dict)  # served name → its folder on disk


class AssistantSessions:
    def __init__(self, limit: int = KEEP_SESSIONS) -> None:
        self._lock = threading.Lock()
        self._by_owner: OrderedDict[str, AssistantModels] = OrderedDict()
        self._limit = limit

    def get(self, owner: str) -> AssistantModels:
        with self._lock:
            return self._by_owner.get(owner) or AssistantModels()

    def update(self, owner: str, stage: str, result: Any, drop: Callable[[dict], None] | None = None,
               **models: Any) -> AssistantModels:
        """Replace this owner's models named in `models` and its `stage` result, atomically. A new SFT model makes
        the older DPO model and its result stale, so they go with it. `drop` is called with the served names
        (name → folder) of every session pushed out by the bound."""
        with self._lock:
            current = self._by_owner.pop(owner, None) or AssistantModels()
            results = dict(current.results)
            if stage == "sft":
                results.pop("dpo", None)
                models.setdefault("dpo", None)
            results[stage] = result
            updated = replace(current, results=results, **models)
            self._by_owner[owner] = updated
            while len(self._by_owner) > self._limit:
                _, dropped = self._by_owner.popitem(last=False)
                if drop is not None and dropped.served:
                    drop(dropped.served)
            return updated

    def serve(self, owner: str, token: str, served: dict, register: Callable[[dict], Any],
              forget: tuple[str, ...] = ()) -> tuple[dict, dict, list]:
        """Serve new models of this owner (name → folder, e.g. its LoRA adapters) under its token, in one step
        (`register` makes the store serve them), and stop listing the names in `forget` (e.g. a DPO adapter trained
        from the SFT adapter just replaced). Returns the folders replaced (name → old folder), the forgotten names
        (name → folder) and the served names of the sessions pushed out by the bound: the caller deletes those and
        un-serves the last two."""
        with self._lock:
            current = self._by_owner.pop(owner, None) or AssistantModels()
            replaced = {n: f for n, f in current.served.items() if n in served and f != served[n]}
            forgotten = {n: f for n, f in current.served.items() if n in forget and n not in served}
            register(served)
            kept = {n: f for n, f in current.served.items() if n not in forgotten}
            self._by_owner[owner] = replace(current, token=current.token or token, served={**kept, **served})
            pushed = []
            while len(self._by_owner) > self._limit:
                pushed.append(self._by_owner.popitem(last=False)[1].served)
        return replaced, forgotten, [names for names in pushed if names]

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_owner)
