"""The direction test's table, without torch: the frozen result the tab and the JSON API show, tallied from each
model's top-1 word at every gap (`direction.py` runs the models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from playground.tasks.lab.corpus import GapItem

SIDES = ("left", "right")


@dataclass(frozen=True)
class ModelRow:
    model_name: str
    reads: str  # "both sides" | "left only"
    left_decided: float | None  # top-1 accuracy on gaps decided by the left context
    right_decided: float | None
    left_count: int
    right_count: int
    skipped: int


@dataclass(frozen=True)
class ItemResult:
    text: str
    answer: str
    decided_by: str
    category: str
    predictions: dict[str, str | None]  # model → its top-1 word (None: not scored)


@dataclass(frozen=True)
class DirectionTestResult:
    rows: tuple[ModelRow, ...]
    chance: dict[str, float]  # side → accuracy of a uniform guess among the answers of the gap's kind
    items: tuple[ItemResult, ...]
    notices: tuple[str, ...] = ()


# ---- scoring (pure) -----------------------------------------------------------------------------------

def _norm(word: str | None) -> str | None:
    return None if word is None else word.strip().lower()


def direction_table(items: Sequence[GapItem], predictions: dict[str, Sequence[str | None]],
                    reads: dict[str, str]) -> DirectionTestResult:
    """Tally top-1 predictions (model → one word or None per item) into accuracy per side."""
    rows = []
    for name, words in predictions.items():
        if len(words) != len(items):
            raise ValueError(f"{name}: {len(words)} predictions for {len(items)} items")
        tally = {side: [0, 0] for side in SIDES}  # side → [correct, scored]
        skipped = 0
        for item, word in zip(items, words):
            if word is None:
                skipped += 1
                continue
            tally[item.decided_by][1] += 1
            tally[item.decided_by][0] += _norm(word) == _norm(item.answer)
        accuracy = {side: (c / n if n else None) for side, (c, n) in tally.items()}
        rows.append(ModelRow(model_name=name, reads=reads.get(name, ""), left_decided=accuracy["left"],
                             right_decided=accuracy["right"], left_count=tally["left"][1],
                             right_count=tally["right"][1], skipped=skipped))
    return DirectionTestResult(rows=tuple(rows), chance=chance_levels(items), items=tuple(
        ItemResult(text=i.text, answer=i.answer, decided_by=i.decided_by, category=i.category,
                   predictions={name: words[k] for name, words in predictions.items()})
        for k, i in enumerate(items)))


def chance_levels(items: Sequence[GapItem]) -> dict[str, float]:
    """Per side: the mean, over its gaps, of 1 / (number of different answers of the gap's kind)."""
    kinds: dict[str, set[str]] = {}
    for item in items:
        kinds.setdefault(item.category, set()).add(_norm(item.answer))
    out = {}
    for side in SIDES:
        chosen = [1 / len(kinds[i.category]) for i in items if i.decided_by == side]
        out[side] = sum(chosen) / len(chosen) if chosen else 0.0
    return out
