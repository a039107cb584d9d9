"""The direction test, measured: top-1 accuracy on held-out gaps that only the left context decides, and on
gaps that only the right context decides — BERT reading both sides, GPT and the LSTM reading the left.

Nothing about the expected outcome is written in: each model's top-1 token at the gap is compared with
the answer, and the table is the tally. A gap whose answer is not a single token for a model is not
scored for that model (and counted as skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.tasks.lab.corpus import GAP, GapItem, direction_items

SIDES = ("left", "right")
MASKED, CAUSAL = "masked", "causal"
BATCH = 64


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


# ---- predicting -------------------------------------------------------------------------------------------

def _single_token(tokenizer, word: str) -> int | None:
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    return ids[0] if len(ids) == 1 else None


def _decode(tokenizer, token_id: int) -> str:
    return tokenizer.decode([token_id]).strip()


def masked_predictions(lm: LoadedModel, items: Sequence[GapItem]) -> list[str | None]:
    """BERT's top-1 word at each gap, reading the whole sentence."""
    import torch  # heavy: deferred from start-up

    tok = lm.tokenizer
    out: list[str | None] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        texts = [i.text.replace(GAP, tok.mask_token) for i in chunk]
        enc = tok(texts, return_tensors="pt", padding=True)
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
    import torch  # heavy: deferred from start-up

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
