"""Fast mode's label and note, without torch: what the switch says, and how often int8 changed the answer when it
was measured (`python -m playground.bench --agreement`). The int8 copies themselves are made in `variants.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

FAST_MODE_LABEL = "Fast mode (int8 on CPU)"
# Written by `python -m playground.bench --agreement`: how often int8 changes the answer.
AGREEMENT_FILE = Path(__file__).with_name("fast_mode_agreement.json")


def fast_mode_note(path: Path = AGREEMENT_FILE) -> str:
    """The line shown next to the fast-mode switch: what it does, and how often it changed the answer when
    measured (and on what)."""
    note = ("Off by default. Predictions and generation use int8 copies of the models: faster on a small CPU, "
            "slightly different numbers.")
    try:
        measured = json.loads(path.read_text())
    except (OSError, ValueError):
        return note + " Agreement with full precision not measured yet (python -m playground.bench --agreement)."
    model = measured["model"].split(" (")[0]  # what it was measured on, without the why
    return (f"{note} Measured agreement with full precision: top-1 {measured['top1_agreement']:.0%}, top-5 overlap "
            f"{measured['top5_overlap']:.0%} over {measured['sentences']} masked sentences, on {model} — not on "
            "the models shown here, which cannot be downloaded where it was measured.")
