"""BERT's pre-training objective, live: select ~15% of the tokens, corrupt them with the 80/10/10 rule,
and let BERT recover every selected token in one forward pass — then score GPT-2 on the very same
slots, each predicted from its left context only.

Here: a fixed number of positions, round(rate × maskable tokens) (at least one, no upper limit), drawn
without replacement with a seeded RNG; the maskable tokens are the ordinary word pieces, so special
tokens ([CLS], [SEP]), [UNK] and an existing [MASK] are never candidates. Each selected token then gets
one draw: 80% [MASK], 10% a random token, 10% unchanged. A random token is never a special token, an
`[unusedN]` placeholder or the original token, so "random" always changes the input.

How that differs from BERT's own data script (`create_masked_lm_predictions` in google-research/bert's
`create_pretraining_data.py`):
- the script counts min(max_predictions_per_seq, max(1, round(len(tokens) × masked_lm_prob))) — it
  rounds over *all* tokens of the sequence, [CLS] and [SEP] included, and caps the count at
  `max_predictions_per_seq` (20 for 128-token sequences in the BERT README's example);
- it excludes only [CLS] and [SEP] from the candidates, so an [UNK] can be selected;
- it draws twice (< 0.8 → [MASK]; otherwise 50/50 keep or replace), and a replacement is any entry of
  the whole vocabulary — special tokens, `[unusedN]` placeholders and the original token included;
- later versions can mask whole words at once (`do_whole_word_mask`); here every piece is chosen on its
  own.
The 80/10/10 proportions and the seeded selection without replacement are the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.lm.masked_lm import lm_logits
from playground.core.predictions import Prediction, rank_of, top_predictions
from playground.core.text_input import check_bool, check_float, check_int, clean_text
from playground.core.tokens import TokenizedText, display_piece, tokenize
from playground.tasks.context import AppContext

FILL_TASK, GEN_TASK = "fill-mask", "text-generation"  # the models it loads: BERT's masked LM, GPT-2
ACTIONS = ("masked", "random", "unchanged")
MASKABLE_KINDS = ("word", "continuation")
MAX_SEED = 2**31 - 1
SHOWN_PREDICTIONS = 5  # top-5 recovery needs the top 5 anyway
PRESET = ("I am a data scientist who loves to work with ML, DL and NLP, and I know how to design a "
          "data pipeline")

NOTHING_TO_MASK = (
    "Nothing to mask: every token of this text is a special token ([CLS], [SEP], [MASK]) or unknown to the "
    "vocabulary ([UNK]). Type a sentence with ordinary words."
)


# ---- the masking plan (pure: no model) ---------------------------------------------------------

@dataclass(frozen=True)
class MaskingPlan:
    positions: tuple[int, ...]  # selected token positions, ascending
    actions: tuple[str, ...]  # per selected position: "masked" | "random" | "unchanged"
    input_ids: tuple[int, ...]  # the corrupted input BERT reads


def check_seed(seed: object) -> int:
    return check_int(seed, "Seed", 0, MAX_SEED)


def check_mask_rate(rate: object) -> float:
    return check_float(rate, "Mask rate", 0.0, 1.0, low_inclusive=False)


def plan_masking(input_ids: Sequence[int], candidates: Sequence[int], *, rate: float, seed: int, mask_id: int,
                 replacement_ids: Sequence[int], use_80_10_10: bool = True) -> MaskingPlan:
    """Choose positions among `candidates` and decide what happens to each.

    One `random.Random(seed)` drives everything in a fixed order (selection, then per position the
    80/10/10 draw and, for "random", the replacement), so the same seed always gives the same plan.
    A random replacement is never the original token, so "random" always changes the input.
    """
    rate = check_mask_rate(rate)
    if not candidates:
        raise PlaygroundError(NOTHING_TO_MASK)
    rng = random.Random(seed)
    count = min(len(candidates), max(1, round(rate * len(candidates))))
    positions = sorted(rng.sample(list(candidates), count))
    ids = list(input_ids)
    actions = []
    for position in positions:
        draw = rng.random() if use_80_10_10 else 0.0
        if draw < 0.8:
            ids[position], action = mask_id, "masked"
        elif draw < 0.9:
            ids[position], action = _random_other(rng, replacement_ids, ids[position]), "random"
        else:
            action = "unchanged"
        actions.append(action)
    return MaskingPlan(positions=tuple(positions), actions=tuple(actions), input_ids=tuple(ids))


def _random_other(rng: random.Random, pool: Sequence[int], original: int) -> int:
    if len(pool) < 2:
        raise PlaygroundError("The vocabulary is too small to draw a random replacement token.")
    token_id = original
    while token_id == original:  # a "random" replacement must change the token
        token_id = pool[rng.randrange(len(pool))]
    return token_id


def replacement_pool(tokenizer) -> list[int]:
    """Vocabulary ids a random replacement may take: no special tokens and no `[unusedN]` placeholders."""
    special = set(tokenizer.all_special_ids)
    return sorted(i for piece, i in tokenizer.get_vocab().items()
                  if i not in special and not (piece.startswith("[unused") and piece.endswith("]")))


# ---- aligning BERT's pieces with GPT-2's by character offsets ----------------------------------

@dataclass(frozen=True)
class Alignment:
    status: str  # "aligned" | "partial" | "cut off"
    gpt_indices: tuple[int, ...]  # GPT-2 tokens (indices into its token list) overlapping the characters
    reason: str = ""


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A span without surrounding whitespace: GPT-2's `Ġword` spans include the space before the word."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def align_span(text: str, span: tuple[int, int], gpt_spans: Sequence[tuple[int, int]]) -> Alignment:
    """Which GPT-2 tokens spell exactly the characters of one BERT piece.

    "aligned": the GPT-2 pieces overlapping the span start where it starts and end where it ends (one
    piece, several pieces, or several byte pieces of one emoji that share the same characters);
    "partial": a GPT-2 piece straddles the span's edge (the BERT piece is part of a GPT-2 piece);
    "cut off": no GPT-2 token covers it (beyond GPT-2's length limit).
    """
    start, end = span
    trimmed = [trim_span(text, a, b) for a, b in gpt_spans]
    overlapping = tuple(i for i, (a, b) in enumerate(trimmed) if a < b and a < end and b > start)
    if not overlapping:
        return Alignment("cut off", (), "no GPT-2 token covers these characters (past GPT-2's length limit)")
    first_start = min(trimmed[i][0] for i in overlapping)
    last_end = max(trimmed[i][1] for i in overlapping)
    if first_start == start and last_end == end:
        return Alignment("aligned", overlapping)
    edges = []
    if first_start < start:
        a, b = trimmed[overlapping[0]]
        edges.append(f"it starts inside GPT-2's piece {text[a:b]!r}")
    if last_end > end:
        a, b = trimmed[overlapping[-1]]
        edges.append(f"GPT-2's piece {text[a:b]!r} runs past its end")
    return Alignment("partial", overlapping, "; ".join(edges) + f" (BERT's piece is {text[start:end]!r})")


# ---- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GptSlot:
    """GPT-2 on one selected slot: the first GPT-2 piece spelling the same characters, predicted from
    the true text on its left."""

    status: str  # "aligned" | "partial" | "cut off"
    reason: str
    pieces: tuple[str, ...]  # GPT-2 pieces overlapping the characters
    target: str | None = None  # the first of them, which GPT-2 must predict
    target_id: int | None = None
    position: int | None = None  # its index in GPT-2's tokens of the text
    predictions: tuple[Prediction, ...] = ()
    rank: int | None = None  # rank of the target among all vocabulary tokens (1 = top prediction)
    probability: float | None = None


@dataclass(frozen=True)
class SelectedToken:
    position: int  # in BERT's input
    original: str  # readable piece of the true token
    original_id: int
    start: int  # characters in the text
    end: int
    action: str  # "masked" | "random" | "unchanged"
    shown: str  # what BERT read at this position
    predictions: tuple[Prediction, ...]  # BERT's top predictions here
    rank: int  # rank of the true token (1 = BERT's top prediction)
    probability: float  # BERT's probability of the true token
    gpt: GptSlot


@dataclass(frozen=True)
class SimToken:
    """One token of BERT's input, for display: what it was and what BERT read."""

    position: int
    original: str
    shown: str
    action: str | None  # None = not selected
    kind: str


@dataclass(frozen=True)
class Recovery:
    slots: int
    top1: int  # slots whose true token was the top prediction
    top5: int
    top1_rate: float | None  # None when there are no slots
    top5_rate: float | None


def recovery(ranks: Sequence[int]) -> Recovery:
    n = len(ranks)
    top1, top5 = sum(r == 1 for r in ranks), sum(r <= 5 for r in ranks)
    return Recovery(slots=n, top1=top1, top5=top5, top1_rate=top1 / n if n else None,
                    top5_rate=top5 / n if n else None)


@dataclass(frozen=True)
class MaskSimResult:
    bert_model: str
    gpt_model: str
    text: str
    mask_rate: float
    seed: int
    rule: str  # "80/10/10" or "all [MASK]"
    maskable: int  # tokens that could be selected
    tokens: tuple[SimToken, ...]
    selected: tuple[SelectedToken, ...]
    counts: dict[str, int]  # per action
    bert_recovery: Recovery  # every selected slot
    bert_recovery_by_action: dict[str, Recovery]
    bert_recovery_aligned: Recovery  # the slots GPT-2 was scored on
    gpt_recovery_aligned: Recovery  # same slots: the one comparison of the two objectives
    unaligned: tuple[int, ...]  # BERT positions GPT-2 could not be scored on (see each slot's reason)
    notices: tuple[str, ...] = ()


# ---- the simulation ------------------------------------------------------------------------------

def gpt_slots(gpt: LoadedModel, text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[GptSlot], list[str]]:
    """GPT-2's prediction of the first GPT-2 piece at each character span, from one forward pass over
    the true text with a start token in front (logits at position t-1 predict token t)."""
    tokenizer = gpt.tokenizer
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    ids, offsets = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    notices = []
    limit = gpt.max_positions - 1  # one position goes to the start token
    if len(ids) > limit:
        notices.append(f"{gpt.name} reads at most {gpt.max_positions} tokens, so its last {len(ids) - limit} "
                       "token(s) of the text were not scored.")
        ids, offsets = ids[:limit], offsets[:limit]
    start_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    logits = lm_logits(gpt, [start_id] + ids)[0] if ids else None
    slots = []
    for span in spans:
        alignment = align_span(text, span, offsets)
        pieces = tuple(display_piece(tokenizer, ids[i]) for i in alignment.gpt_indices)
        if alignment.status != "aligned":
            slots.append(GptSlot(status=alignment.status, reason=alignment.reason, pieces=pieces))
            continue
        index = alignment.gpt_indices[0]
        target = ids[index]
        here = logits[index].float().softmax(-1)  # the position just before the target: the text on its left
        slots.append(GptSlot(
            status="aligned", reason="", pieces=pieces, target=pieces[0], target_id=target, position=index,
            predictions=top_predictions(tokenizer, here, SHOWN_PREDICTIONS), rank=rank_of(here, target),
            probability=float(here[target]),
        ))
    return slots, notices


def simulate_mlm(bert: LoadedModel, gpt: LoadedModel, text: str, mask_rate: float = 0.15, seed: int = 0,
                 use_80_10_10: bool = True) -> MaskSimResult:
    """Mask the text as BERT's pre-training would, let BERT recover every selected token in one
    forward pass, and score GPT-2 on the same slots from their left context."""
    rate = check_mask_rate(mask_rate)
    seed = check_seed(seed)
    cleaned = clean_text(text)
    tokenizer = bert.tokenizer
    if tokenizer.mask_token_id is None:
        raise PlaygroundError(f"{bert.name} has no mask token, so it was not trained with masked-token prediction.")
    tokens: TokenizedText = tokenize(bert, cleaned.text)
    candidates = [t.position for t in tokens.tokens if t.kind in MASKABLE_KINDS]
    plan = plan_masking(tokens.input_ids, candidates, rate=rate, seed=seed, mask_id=tokenizer.mask_token_id,
                        replacement_ids=replacement_pool(tokenizer), use_80_10_10=use_80_10_10)

    logits = lm_logits(bert, list(plan.input_ids))[0]  # one forward pass predicts every selected slot
    by_position = {t.position: t for t in tokens.tokens}
    spans = [(by_position[p].start, by_position[p].end) for p in plan.positions]
    slots, gpt_notices = gpt_slots(gpt, cleaned.text, spans)

    selected = []
    for position, action, slot in zip(plan.positions, plan.actions, slots):
        token = by_position[position]
        probs = logits[position].float().softmax(-1)  # softmax only where needed: T × vocab adds up
        selected.append(SelectedToken(
            position=position, original=token.display, original_id=token.token_id, start=token.start,
            end=token.end, action=action, shown=display_piece(tokenizer, plan.input_ids[position]),
            predictions=top_predictions(tokenizer, probs, SHOWN_PREDICTIONS),
            rank=rank_of(probs, token.token_id), probability=float(probs[token.token_id]),
            gpt=slot,
        ))
    actions = dict(zip(plan.positions, plan.actions))
    sim_tokens = tuple(
        SimToken(position=t.position, original=t.display, shown=display_piece(tokenizer, plan.input_ids[t.position]),
                 action=actions.get(t.position), kind=t.kind)
        for t in tokens.tokens
    )
    aligned = [s for s in selected if s.gpt.status == "aligned"]
    notices = list(cleaned.notices) + list(tokens.notes) + gpt_notices
    if any(t.kind == "mask" for t in tokens.tokens):
        notices.append("The text already contains [MASK]; those tokens are left as they are and not scored.")
    unknown = sum(t.kind == "unknown" for t in tokens.tokens)
    if unknown:
        notices.append(f"{unknown} [UNK] token(s) are never selected: the vocabulary cannot spell the original, "
                       "so there is nothing to recover.")
    unaligned = [s for s in selected if s.gpt.status != "aligned"]
    if unaligned:
        notices.append(f"{len(unaligned)} selected piece(s) do not line up with GPT-2's pieces, so GPT-2 is not "
                       "scored there (see the table); the side-by-side scores use the other slots only.")
    return MaskSimResult(
        bert_model=bert.name, gpt_model=gpt.name, text=cleaned.text, mask_rate=rate, seed=seed,
        rule="80/10/10" if use_80_10_10 else "all [MASK]", maskable=len(candidates), tokens=sim_tokens,
        selected=tuple(selected), counts={a: plan.actions.count(a) for a in ACTIONS},
        bert_recovery=recovery([s.rank for s in selected]),
        bert_recovery_by_action={a: recovery([s.rank for s in selected if s.action == a]) for a in ACTIONS},
        bert_recovery_aligned=recovery([s.rank for s in aligned]),
        gpt_recovery_aligned=recovery([s.gpt.rank for s in aligned]),
        unaligned=tuple(s.position for s in unaligned), notices=tuple(notices),
    )


# ---- handlers: context first, the result out (the JSON endpoint `mask_sim` serves mask_sim_api) -----------

def mask_sim_api(ctx: AppContext, text: str, mask_rate: float = 0.15, seed: int = 0, use_80_10_10: bool = True,
                 bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> MaskSimResult:
    """Mask ~mask_rate of the tokens BERT's way (80/10/10), let BERT recover them in one pass, and
    score GPT-2 on the same slots from their left context."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))  # names every missing one
    return simulate_mlm(bert, gpt, text, mask_rate=mask_rate, seed=seed,
                        use_80_10_10=check_bool(use_80_10_10, "use_80_10_10"))


def rate_from_percent(rate_percent: Any) -> float:
    """The UI's mask-rate sliders are in percent."""
    try:
        return float(rate_percent) / 100
    except (TypeError, ValueError):
        raise PlaygroundError(f"Mask rate must be a percentage between 1 and 100, got {rate_percent!r}.") from None


def mask_sim_percent(ctx: AppContext, text: str, rate_percent: float, seed: Any, use_80_10_10: bool,
                     bert_model: str, gpt_model: str) -> MaskSimResult:
    """The masked-LM simulator from the UI (mask rate in percent)."""
    return mask_sim_api(ctx, text, rate_from_percent(rate_percent), seed, use_80_10_10, bert_model, gpt_model)
