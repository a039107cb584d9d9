"""The direction test, measured: top-1 accuracy on held-out gaps that only the left context decides, and on
gaps that only the right context decides — BERT reading both sides, GPT and the LSTM reading the left.

Nothing about the expected outcome is written in: each model's top-1 token at the gap is compared with
the answer, and the table is the tally. A gap whose answer is not a single token for a model is not
scored for that model (and counted as skipped).

torch is imported at the top: the page reaches this module lazily (`lab.direction`, through
`playground/tasks/lab/__init__.py`); the result and the tally are in `scoring.py`.
"""

from __future__ import annotations

from typing import Sequence

import torch

from playground.core.errors import PlaygroundError
from playground.core.tokens import padded_batch
from playground.core.types import LoadedModel
from playground.tasks.lab.corpus import GAP, GapItem, direction_items
from playground.tasks.lab.scoring import (SIDES, DirectionTestResult, ItemResult, ModelRow, chance_levels,
                                          direction_table)

__all__ = ["SIDES", "DirectionTestResult", "ItemResult", "ModelRow", "chance_levels", "direction_table",
           "causal_predictions", "masked_predictions", "run_direction_test"]

MASKED, CAUSAL = "masked", "causal"
BATCH = 64


# ---- predicting -------------------------------------------------------------------------------------------

def _single_token(tokenizer, word: str) -> int | None:
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    return ids[0] if len(ids) == 1 else None


def _decode(tokenizer, token_id: int) -> str:
    return tokenizer.decode([token_id]).strip()


def masked_predictions(lm: LoadedModel, items: Sequence[GapItem]) -> list[str | None]:
    """BERT's top-1 word at each gap, reading the whole sentence."""
    tok = lm.tokenizer
    out: list[str | None] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        texts = [i.text.replace(GAP, tok.mask_token) for i in chunk]
        ids, mask = padded_batch([tok(t)["input_ids"] for t in texts], tok.pad_token_id)  # padded per call
        enc = {"input_ids": ids, "attention_mask": mask}
        with torch.inference_mode():
            logits = lm.model(**enc).logits
        for row, item in enumerate(chunk):
            if _single_token(tok, item.answer) is None:
                out.append(None)
                continue
            position = (enc["input_ids"][row] == tok.mask_token_id).nonzero()[0, 0]
            out.append(_decode(tok, int(logits[row, position].argmax())))
    return out


def causal_predictions(lm: LoadedModel, items: Sequence[GapItem]) -> list[str | None]:
    """A left-to-right model's top-1 next word at each gap, reading only the words before it."""
    tok = lm.tokenizer
    out: list[str | None] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        contexts = [i.text[: i.text.index(GAP)].rstrip() for i in chunk]
        if any(not c for c in contexts):
            raise PlaygroundError("A direction-test gap has no words on its left; a left-to-right model needs some.")
        ids = [tok(c, add_special_tokens=False)["input_ids"] for c in contexts]
        width = max(len(x) for x in ids)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in ids])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])
        with torch.inference_mode():  # right padding: causal models never look at it from earlier positions
            logits = lm.model(input_ids=input_ids, attention_mask=mask).logits
        for row, item in enumerate(chunk):
            if _single_token(tok, " " + item.answer) is None:
                out.append(None)
                continue
            out.append(_decode(tok, int(logits[row, len(ids[row]) - 1].argmax())))
    return out


def run_direction_test(bert: LoadedModel, gpt: LoadedModel, lstm: LoadedModel | None = None,
                       items: Sequence[GapItem] | None = None) -> DirectionTestResult:
    """The measured table for these models on the held-out gaps (the built-in ones by default)."""
    items = list(items or direction_items())
    predictions = {bert.name: masked_predictions(bert, items), gpt.name: causal_predictions(gpt, items)}
    reads = {bert.name: "both sides", gpt.name: "left only"}
    if lstm is not None:
        predictions[lstm.name] = causal_predictions(lstm, items)
        reads[lstm.name] = "left only"
    result = direction_table(items, predictions, reads)
    skipped = [r for r in result.rows if r.skipped]
    notices = tuple(f"{r.model_name}: {r.skipped} gap(s) not scored (the answer is more than one token for it)."
                    for r in skipped)
    return DirectionTestResult(rows=result.rows, chance=result.chance, items=result.items, notices=notices)
