"""Pre-training tab: each training objective as something to run — BERT's masked-token prediction
(80/10/10), BERT's next-sentence prediction, GPT-2's next-token generation step by step, the tokenization
schemes side by side (XLM-R's multilingual SentencePiece included), ELECTRA's replaced-token detection, and
whether BERT can write by filling masks.

Reads top-down: constants; handlers (context first, return the task's result, also served as the JSON
API); pure views (result → what each component shows); layout of each sub-tab; wiring.
"""

from __future__ import annotations

import functools
import html
from types import SimpleNamespace
from typing import Any, Callable, Iterator, NamedTuple, Sequence

import gradio as gr

from playground.core.errors import ModelUnavailable, PlaygroundError, unavailable
from playground.core.text_input import check_bool, clean_text
from playground.lm.generation import MAX_CANDIDATES, MAX_NEW_TOKENS, GenerationSettings
from playground.tasks.context import AppContext
from playground.models.registry import card_for
from playground.tasks.bert_writing import EXAMPLES as WRITING_EXAMPLES
from playground.tasks.bert_writing import (DEFAULT_LENGTH, DEFAULT_ROUNDS, MAX_ROUNDS, MAX_WRITE_TOKENS,
                                           BertWritingResult, Writing, bert_writing)
from playground.tasks.mlm_simulator import ACTIONS, PRESET, MaskSimResult, simulate_mlm
from playground.tasks.nsp import PRESETS as NSP_PRESETS
from playground.tasks.nsp import NSPResult, next_sentence
from playground.tasks.replaced_token_detection import EXAMPLE as RTD_EXAMPLE
from playground.tasks.replaced_token_detection import DetectionResult, detect_replaced_tokens
from playground.tasks.step_by_step import StepByStepResult, stream_steps
from playground.tasks.tokenizer_compare import EXAMPLES as TOKENIZER_EXAMPLES
from playground.tasks.tokenizer_compare import TOPICS, TokenizerComparison, compare_tokenizers
from playground.ui.exports import json_download
from playground.ui.links import LinkedView
from playground.ui.widgets import (TOKEN_COLORS, inline_errors, json_endpoint, label_value, model_dropdown,
                                   notices_markdown, percent, shown, to_json, user_errors, view_outputs)

FILL_TASK, GEN_TASK, NSP_TASK, RTD_TASK = "fill-mask", "text-generation", "nsp", "replaced-token-detection"
ACTION_COLORS = {"masked": "#ef4444", "random": "#f59e0b", "unchanged": "#10b981"}  # red / amber / green
KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "mask", "unknown", "word", "continuation")}
# Byte-level BPE (GPT-2) has no mask token and no unknown piece: its legend leaves them out.
BPE_KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "word", "continuation")}
SEGMENT_COLORS = {"segment 0 (A)": "#3b82f6", "segment 1 (B)": "#f97316"}
TOKENIZER_TASKS = (("fill-mask", "WordPiece (BERT)"), ("text-generation", "byte-level BPE (GPT-2)"),
                   ("summarization", "SentencePiece (Pegasus)"))
# A fourth column for other scripts: a fill-mask model, by default the multilingual one (XLM-R).
TOKENIZER_COLUMNS = TOKENIZER_TASKS + (("fill-mask", "SentencePiece, 100 languages (XLM-R)"),)
TOKENIZER_SLUGS = ("wordpiece", "bpe", "sentencepiece", "multilingual")  # one per column, in TOKENIZER_COLUMNS order
MULTILINGUAL_HUB_ID = "xlm-roberta-base"
MLM_EXAMPLES = [PRESET, "Tesla is an American electric vehicle and clean energy company headquartered in Austin, "
                "Texas."]
MLM_TABLE_HEADERS = ["pos", "token", "happened", "BERT read", "BERT top-1", "BERT rank", "GPT-2 target",
                     "GPT-2 top-1", "GPT-2 rank", "alignment with GPT-2"]
MLM_TABLE_WIDTHS = ["5%", "9%", "11%", "9%", "12%", "7%", "10%", "12%", "7%", "17%"]  # fits 1024 px, nothing hidden
NSP_TABLE_HEADERS = ["position", "token", "token_type_id", "kind"]
STEP_TABLE_HEADERS = ["step", "token", "probability", "chosen by", "top candidates (✓ = chosen)"]
STEP_EXAMPLES = ["Tesla is an American", "The movie was", "Machine learning models"]
STEP_CHOOSERS = {"model": "model", "kept": "model (kept)", "picked": "you"}  # GenerationStep.source → table cell
TOKENIZER_SUMMARY_HEADERS = ["tokenizer", "scheme", "tokens", "special tokens added", "unknown", "tokens per word",
                             "lossless"]
TOKEN_ID_HEADERS = ["tokenizer", "position", "piece", "id", "kind"]
RTD_TABLE_HEADERS = ["pos", "token read", "original", "generator's slot", "really replaced", "P(replaced)",
                     "flagged", "generator's p"]
TRUTH_COLORS = {"replaced": "#ef4444", "original": "#10b981"}  # red / green
WRITE_STEP_HEADERS = ["step", "the model read", "written (probability)", "text after the step"]
WRITE_STEP_WIDTHS = ["7%", "44%", "19%", "29%"]
WRITING_LABELS = {"left-to-right": "BERT, left to right (append a [MASK], fill it, repeat)",
                  "mask-predict": "BERT, all at once, then re-mask the least confident (Mask-Predict)",
                  "causal": "GPT-2, left to right (the next token from the tokens on its left)"}
WRITING_SLUGS = {"left-to-right": "ltr", "mask-predict": "mp", "causal": "gpt"}  # view field prefixes

INTRO = ("How the two families were **trained**: BERT hides tokens and predicts them from both sides "
         "(plus next-sentence prediction); GPT-2 predicts the next token from the left. Each objective "
         "below runs live on the same models as the Compare tab.")
MLM_INTRO = ("BERT's pre-training selects ~15% of the tokens; of those, **80% → [MASK]**, **10% → a random "
             "token**, **10% unchanged**, and BERT must recover every selected token at once. GPT-2 is scored on "
             "the very same slots, each predicted from the true text on its left.")
NSP_INTRO = ("BERT's second objective: does sentence B really follow sentence A? Both go in as one input, "
             "`[CLS] A [SEP] B [SEP]`, told apart by segment ids (token_type_ids 0 / 1); the NSP head reads `[CLS]`. "
             "RoBERTa later found that removing NSP matches or slightly improves results (Liu et al. 2019, §4.2).")
STEPS_INTRO = ("GPT-2 writes one token at a time, each from the tokens on its left. Every step shows the top "
               "candidates; pick a different one at any step and the model continues from your choice.")
TOKENIZERS_INTRO = ("The same text through the tokenization schemes, and a multilingual SentencePiece (XLM-R, 100 "
                    "languages) for other scripts — try the Hindi example. The notes are derived from what each "
                    "tokenizer actually did to *this* text.")
RTD_INTRO = ("ELECTRA's objective: a small masked LM (here BERT) corrupts the sentence — 15% of its tokens masked and "
             "refilled with tokens **sampled** from BERT's predictions — and ELECTRA's discriminator says, for "
             "**every** token, whether it was replaced. Judge your own sentence as typed, or let BERT corrupt it.")
WRITE_INTRO = ("BERT predicts masked tokens; can it write? Two ways to make it try — fill an appended [MASK] again and "
               "again, or write all the [MASK]s at once and refine the least confident (Mask-Predict) — next to "
               "GPT-2 writing the same number of tokens from the same prompt. Each step shows what the model read "
               "and what it wrote, with its probability.")


# ---- handlers: context first, the task's result out (the API endpoints are these) -----------------

def mask_sim_api(ctx: AppContext, text: str, mask_rate: float = 0.15, seed: int = 0, use_80_10_10: bool = True,
                 bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> MaskSimResult:
    """Mask ~mask_rate of the tokens BERT's way (80/10/10), let BERT recover them in one pass, and
    score GPT-2 on the same slots from their left context."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))  # names every missing one
    return simulate_mlm(bert, gpt, text, mask_rate=mask_rate, seed=seed,
                        use_80_10_10=check_bool(use_80_10_10, "use_80_10_10"))


def _fraction(rate_percent: Any) -> float:
    """The UI's mask-rate sliders are in percent."""
    try:
        return float(rate_percent) / 100
    except (TypeError, ValueError):
        raise PlaygroundError(f"Mask rate must be a percentage between 1 and 100, got {rate_percent!r}.") from None


def mask_sim_percent(ctx: AppContext, text: str, rate_percent: float, seed: Any, use_80_10_10: bool,
                     bert_model: str, gpt_model: str) -> MaskSimResult:
    """The masked-LM simulator from the UI (mask rate in percent)."""
    return mask_sim_api(ctx, text, _fraction(rate_percent), seed, use_80_10_10, bert_model, gpt_model)


def nsp_api(ctx: AppContext, sentence_a: str, sentence_b: str, model: str = "bert-base-uncased") -> NSPResult:
    """IsNext / NotNext probabilities from BERT's next-sentence head for [CLS] A [SEP] B [SEP]."""
    return next_sentence(ctx.model(model, NSP_TASK), sentence_a, sentence_b)


def generate_step_api(ctx: AppContext, prompt: str, max_new_tokens: int = 20, strategy: str = "greedy",
                      temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, repetition_penalty: float = 1.0,
                      seed: int | None = None, candidates: int = 5, previous_token_ids: list[int] | None = None,
                      step: int | None = None, choice_token_id: int | None = None,
                      model: str = "gpt2") -> Iterator[StepByStepResult]:
    """Generate token by token (streamed) with each step's top candidates; with step + choice_token_id
    (one of that step's candidates) and previous_token_ids, continue from a different candidate."""
    settings = GenerationSettings(max_new_tokens=max_new_tokens, strategy=strategy, temperature=temperature,
                                  top_k=top_k, top_p=top_p, repetition_penalty=repetition_penalty,
                                  seed=None if seed is None or seed == "" else seed)
    yield from stream_steps(ctx.model(model, GEN_TASK), prompt, settings, candidates_k=candidates,
                            previous_token_ids=previous_token_ids, step=step, choice_token_id=choice_token_id)


def generate_steps(ctx: AppContext, prompt: str, max_new_tokens: Any, strategy: str, temperature: Any, top_k: Any,
                   top_p: Any, repetition_penalty: Any, seed: Any, candidates: Any,
                   model: str) -> Iterator[StepByStepResult]:
    """The UI's Generate button: a fresh generation from the step-by-step controls (model last)."""
    yield from generate_step_api(ctx, prompt, max_new_tokens, strategy, temperature, top_k, top_p,
                                 repetition_penalty, seed, candidates, model=model)


def continue_from_pick(ctx: AppContext, prompt: str, max_new_tokens: Any, strategy: str, temperature: Any,
                       top_k: Any, top_p: Any, repetition_penalty: Any, seed: Any, candidates: Any, model: str,
                       last: StepByStepResult | None, step: Any, choice: Any) -> Iterator[StepByStepResult]:
    """The UI's pick: the last generation (kept in the page) with `choice` at `step`, then the model again."""
    if last is None:
        raise PlaygroundError("Generate once first, then pick a different candidate at one of the steps.")
    if last.prompt != clean_text(prompt, what="prompt").text:
        raise PlaygroundError("The prompt changed since the last generation: press Generate first.")
    yield from generate_step_api(ctx, prompt, max_new_tokens, strategy, temperature, top_k, top_p,
                                 repetition_penalty, seed, candidates, previous_token_ids=last.token_ids, step=step,
                                 choice_token_id=choice, model=model)


def compare_tokenizers_api(ctx: AppContext, text: str, wordpiece_model: str = "bert-base-uncased",
                           bpe_model: str = "gpt2", sentencepiece_model: str = "google/pegasus-xsum",
                           multilingual_model: str = "") -> TokenizerComparison:
    """The same text through WordPiece, byte-level BPE and SentencePiece, with derived notes; with
    multilingual_model (e.g. xlm-roberta-base), a fourth tokenizer for other scripts."""
    models, missing = [], []
    for name in (wordpiece_model, bpe_model, sentencepiece_model, multilingual_model):
        if not name:  # the optional fourth column
            continue
        try:
            models.append(ctx.model(name, "tokenizer-only"))
        except ModelUnavailable as exc:  # show the others; say which one is missing and how to get it
            missing.append(exc)
    if not models:  # none at all: one error that names every missing one
        raise unavailable(missing) if missing else PlaygroundError("Choose at least one tokenizer.")
    return compare_tokenizers(models, text, notices=[str(exc) for exc in missing])


def replaced_tokens_api(ctx: AppContext, text: str, corrupt: bool = True, mask_rate: float = 0.15, seed: int = 0,
                        model: str = "google/electra-small-discriminator",
                        generator: str = "bert-base-uncased") -> DetectionResult:
    """ELECTRA's discriminator: for every token of `text`, the probability that it was replaced. With corrupt,
    the generator (BERT) first masks mask_rate of the tokens and refills each with a token sampled from its
    prediction (seeded), so the result also says which tokens really were replaced."""
    loaded = ctx.models((model, RTD_TASK), *([(generator, FILL_TASK)] if corrupt else []))  # names every missing one
    return detect_replaced_tokens(loaded[0], text, loaded[1] if corrupt else None, mask_rate=mask_rate, seed=seed)


def replaced_tokens_percent(ctx: AppContext, text: str, corrupt: bool, rate_percent: Any, seed: Any, model: str,
                            generator: str) -> DetectionResult:
    """Replaced-token detection from the UI (mask rate in percent)."""
    return replaced_tokens_api(ctx, text, bool(corrupt), _fraction(rate_percent), seed, model, generator)


def bert_write_api(ctx: AppContext, prompt: str, length: int = DEFAULT_LENGTH, rounds: int = DEFAULT_ROUNDS,
                   bert_model: str = "bert-base-uncased", gpt_model: str = "gpt2") -> BertWritingResult:
    """BERT writes `length` tokens after the prompt by filling masks — left to right, and all at once refined
    over `rounds` rounds (Mask-Predict) — and GPT-2 writes as many from the same prompt; every step recorded."""
    bert, gpt = ctx.models((bert_model, FILL_TASK), (gpt_model, GEN_TASK))
    return bert_writing(bert, gpt, prompt, length, rounds)


# ---- views: masked-LM simulator --------------------------------------------------------------------

class MaskSimView(NamedTuple):
    scores: str
    original: list[tuple[str, str | None]]
    bert_input: list[tuple[str, str | None]]
    table: list[list[Any]]
    notices: str
    json: Any


def mask_sim_view(result: MaskSimResult) -> MaskSimView:
    return MaskSimView(recovery_html(result), original_spans(result), bert_input_spans(result), mlm_rows(result),
                       notices_markdown(result.notices), to_json(result))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _card(value: str, caption: str, color: str) -> str:
    return (f"<div style='flex:1;min-width:130px;border:1px solid {color};border-radius:10px;padding:8px 12px;"
            f"background:{color}22'><div style='font-size:2em;font-weight:700;line-height:1.1'>{value}</div>"
            f"<div style='font-size:0.9em'>{html.escape(caption)}</div></div>")


def recovery_html(result: MaskSimResult) -> str:
    """Recovery scores as big numbers: BERT on every selected slot, then BERT vs GPT-2 on the same slots."""
    bert, aligned, gpt = result.bert_recovery, result.bert_recovery_aligned, result.gpt_recovery_aligned
    counts = " · ".join(f"{result.counts[a]} {a}" for a in ACTIONS)
    by_action = " · ".join(f"{a}: {r.top1}/{r.slots}" for a, r in result.bert_recovery_by_action.items() if r.slots)
    blue, orange = "#3b82f6", "#f97316"
    return (
        f"<div id='mlm-scores'><p><b>Selected {len(result.selected)} of {result.maskable} maskable tokens</b> "
        f"(rate {result.mask_rate:.0%}, seed {result.seed}, rule {result.rule}): {counts}.</p>"
        f"<div style='display:flex;gap:10px;flex-wrap:wrap'>"
        f"{_card(_percent(bert.top1_rate), f'BERT top-1 recovery, all {bert.slots} slots', blue)}"
        f"{_card(_percent(bert.top5_rate), f'BERT top-5 recovery, all {bert.slots} slots', blue)}"
        f"{_card(_percent(aligned.top1_rate), f'BERT top-1 on the {aligned.slots} shared slots', blue)}"
        f"{_card(_percent(gpt.top1_rate), f'GPT-2 top-1 on the same {gpt.slots} slots (left context only)', orange)}"
        f"{_card(_percent(gpt.top5_rate), f'GPT-2 top-5 on the same {gpt.slots} slots', orange)}"
        f"</div><p style='font-size:0.9em'>BERT top-1 by what happened — {by_action or 'none'}. "
        f"{len(result.unaligned)} slot(s) could not be aligned with GPT-2's pieces.</p></div>"
    )


def original_spans(result: MaskSimResult) -> list[tuple[str, str | None]]:
    """The text with each selected token's characters coloured by what happened to it."""
    out: list[tuple[str, str | None]] = []
    cursor = 0
    for s in sorted(result.selected, key=lambda s: s.start):
        if s.start > cursor:
            out.append((result.text[cursor:s.start], None))
        out.append((result.text[s.start:s.end], s.action))
        cursor = s.end
    if cursor < len(result.text):
        out.append((result.text[cursor:], None))
    return out


def bert_input_spans(result: MaskSimResult) -> list[tuple[str, str | None]]:
    """The corrupted token sequence BERT reads, selected positions coloured."""
    out: list[tuple[str, str | None]] = []
    plain: list[str] = []
    for token in result.tokens:
        if token.action is None:
            plain.append(token.shown)
            continue
        if plain:
            out.append((" ".join(plain) + " ", None))
            plain = []
        out.append((token.shown, token.action))
        out.append((" ", None))
    if plain:
        out.append((" ".join(plain), None))
    return out


def mlm_rows(result: MaskSimResult) -> list[list[Any]]:
    """One row per selected slot, in MLM_TABLE_HEADERS order."""
    rows = []
    for s in result.selected:
        top, gpt = s.predictions[0], s.gpt
        gpt_top = f"{gpt.predictions[0].token} ({percent(gpt.predictions[0].probability)})" if gpt.predictions else ""
        rows.append([s.position, s.original, s.action, s.shown, f"{top.token} ({percent(top.probability)})", s.rank,
                     gpt.target or " · ".join(gpt.pieces), gpt_top, gpt.rank if gpt.rank is not None else "",
                     "aligned" if gpt.status == "aligned" else f"{gpt.status}: {gpt.reason}"])
    return rows


# ---- views: next-sentence prediction ---------------------------------------------------------------

class NSPView(NamedTuple):
    label: dict[str, float]
    tokens: list[tuple[str, str]]
    layout: str
    table: list[list[Any]]
    notices: str
    json: Any


def nsp_view(result: NSPResult) -> NSPView:
    rows = [[t.position, t.display, t.segment, t.kind] for t in result.tokens]
    return NSPView(result.probabilities, segment_chips(result), nsp_markdown(result), rows,
                   notices_markdown(result.notices), to_json(result))


def segment_chips(result: NSPResult) -> list[tuple[str, str]]:
    return [(t.display, f"segment {t.segment} ({'AB'[min(t.segment, 1)]})") for t in result.tokens]


def nsp_markdown(result: NSPResult) -> str:
    segments = " ".join(str(t.segment) for t in result.tokens)
    return (f"**Input:** `{result.layout}`  \n**token_type_ids:** `{segments}`  \n"
            f"{sum(t.segment == 0 for t in result.tokens)} tokens in segment 0 ([CLS], A, first [SEP]) and "
            f"{sum(t.segment == 1 for t in result.tokens)} in segment 1 (B, final [SEP]). "
            f"The NSP head reads [CLS]'s final vector: logits IsNext {result.logits[0]:.3f}, "
            f"NotNext {result.logits[1]:.3f} → **{result.verdict}**.")


# ---- views: step-by-step generation ----------------------------------------------------------------

class StepsView(NamedTuple):
    text: list[tuple[str, float | None]]
    table: list[list[Any]]
    notices: str
    json: Any
    last: StepByStepResult  # kept in the page for the next pick
    pick_step: gr.Dropdown
    pick_choice: gr.Dropdown
    pick_label: dict[str, float]


class CandidatesView(NamedTuple):
    pick_choice: gr.Dropdown
    pick_label: dict[str, float]


def steps_view(result: StepByStepResult) -> StepsView:
    """A fresh generation shows step 1's candidates; a continuation shows the step that was picked."""
    step = result.picked_step or 1
    choices, chosen, label = step_candidates(result, step)
    status = f"Stopped: {result.stop_reason}." if result.finished else f"Generating… step {len(result.steps)}"
    return StepsView(step_chips(result), step_rows(result), notices_markdown(result.notices, [status]),
                     to_json(result), result,
                     gr.Dropdown(choices=[(f"{s.step}: {s.token}", s.step) for s in result.steps], value=step),
                     gr.Dropdown(choices=choices, value=chosen), label)


def candidates_view(last: StepByStepResult | None, step: float | None) -> CandidatesView:
    """The candidate dropdown and chart for the step chosen in the Step dropdown."""
    choices, chosen, label = step_candidates(last, step)
    return CandidatesView(gr.Dropdown(choices=choices, value=chosen), label)


def _readable(token: str) -> str:
    return token.replace("␣", " ").replace("↵", "\n")


def step_chips(result: StepByStepResult) -> list[tuple[str, float | None]]:
    return [(result.prompt, None)] + [(_readable(s.token), round(s.probability, 3)) for s in result.steps]


def step_rows(result: StepByStepResult) -> list[list[Any]]:
    """One row per step, in STEP_TABLE_HEADERS order; ✓ marks the candidate that was taken."""
    rows = []
    for s in result.steps:
        candidates = " · ".join(f"{'✓' if c.token_id == s.token_id else ''}{c.token} {percent(c.probability)}"
                                for c in s.candidates)
        rows.append([s.step, s.token, percent(s.probability), STEP_CHOOSERS[s.source], candidates])
    return rows


def step_candidates(result: StepByStepResult | None,
                    step: float | None) -> tuple[list[tuple[str, int]], int | None, dict[str, float]]:
    """Dropdown choices (✓ = the token taken), the choice the picker starts on and a Label value for one step of
    the last generation. The picker starts on the most probable token that was *not* taken, so the first
    "Continue from this choice" changes the text (None when the step has no other candidate)."""
    if result is None or not result.steps:
        return [], None, {}
    index = min(max(int(step or 1), 1), len(result.steps)) - 1
    chosen = result.steps[index]
    choices = [(f"{'✓ ' if c.token_id == chosen.token_id else ''}{c.token}  ({percent(c.probability)})", c.token_id)
               for c in chosen.candidates]
    other = next((c.token_id for c in chosen.candidates if c.token_id != chosen.token_id), None)
    return choices, other, label_value(chosen.candidates)


# ---- views: tokenizers -----------------------------------------------------------------------------

class TokenizersView(NamedTuple):
    notices: str
    summary: list[list[Any]]
    wordpiece_header: str
    bpe_header: str
    sentencepiece_header: str
    multilingual_header: str
    wordpiece_strip: list[tuple[str, str]]
    bpe_strip: list[tuple[str, str]]
    sentencepiece_strip: list[tuple[str, str]]
    multilingual_strip: list[tuple[str, str]]
    facts: str
    ids: list[list[Any]]
    json: Any


def tokenizers_view(result: TokenizerComparison, names: Sequence[str]) -> TokenizersView:
    """`names`: the model chosen for each column (the optional fourth may be missing or empty); one that could
    not load is shown as unavailable."""
    views = {v.model_name: v for v in result.views}
    strips, headers = [], []
    for name, (_, scheme) in zip([*names, "", "", "", ""][:len(TOKENIZER_COLUMNS)], TOKENIZER_COLUMNS):
        view = views.get(name)
        strips.append([(t.display, t.kind) for t in view.tokens] if view else [])
        headers.append("" if not name else f"**{scheme}** — `{name}`: {view.token_count} tokens" if view else
                       f"**{scheme}** — `{name}`: unavailable (see the notes above)")
    return TokenizersView(notices_markdown(result.notices), tokenizer_summary(result), *headers, *strips,
                          tokenizer_facts_html(result), token_id_rows(result), to_json(result))


def tokenizer_summary(result: TokenizerComparison) -> list[list[Any]]:
    return [[v.model_name, v.scheme, v.token_count, " ".join(v.special_tokens_added) or "none", v.unknown_count,
             round(v.tokens_per_word, 2), "yes" if v.lossless else "no"] for v in result.views]


def tokenizer_facts_html(result: TokenizerComparison) -> str:
    """Topic × tokenizer table of what each scheme did with this text (wrapping text, unlike a Dataframe)."""
    cell = "style='border:1px solid #d1d5db;padding:6px 8px;vertical-align:top'"
    head = "".join(f"<th {cell}>{html.escape(v.scheme)}<br><code>{html.escape(v.model_name)}</code></th>"
                   for v in result.views)
    rows = "".join(
        f"<tr><th {cell}>{html.escape(topic)}</th>"
        + "".join(f"<td {cell}>{html.escape(v.facts.get(topic, ''))}</td>" for v in result.views) + "</tr>"
        for topic in TOPICS
    )
    return (f"<table id='tok-facts-table' style='border-collapse:collapse;width:100%;font-size:0.92em'>"
            f"<tr><th {cell}>what happened to…</th>{head}</tr>{rows}</table>")


def token_id_rows(result: TokenizerComparison) -> list[list[Any]]:
    return [[v.model_name, t.position, t.display, t.token_id, t.kind] for v in result.views for t in v.tokens]


# ---- views: replaced-token detection ---------------------------------------------------------------

class DetectionView(NamedTuple):
    summary: str
    verdicts: list[tuple[str, float | None]]
    truth: list[tuple[str, str | None]]
    table: list[list[Any]]
    notices: str
    json: Any


def detection_view(result: DetectionResult) -> DetectionView:
    return DetectionView(detection_summary(result), verdict_chips(result), truth_chips(result), detection_rows(result),
                         notices_markdown(result.notices), to_json(result))


def detection_summary(result: DetectionResult) -> str:
    """Why ELECTRA, what the generator did, and how the discriminator did on it."""
    flagged = sum(t.flagged for t in result.tokens)
    every = f"The discriminator gave a verdict for **all {result.judged} tokens**"
    if result.corrupted:
        what = (f"`{result.generator}` masked **{result.selected}** token(s) (mask rate {result.mask_rate:.0%}, seed "
                f"{result.seed}) and sampled a replacement for each; **{result.replaced}** really changed (a sample "
                f"equal to the original counts as original). {every}: it flagged **{result.caught} of the "
                f"{result.replaced}** replacements (missed {result.missed}) and raised **{result.false_alarms}** false "
                f"alarm(s) on original tokens (P(replaced) > {result.threshold}). A masked LM would have been trained "
                f"on the {result.selected} masked position(s) only.")
    else:
        what = (f"Your sentence as typed: nobody knows which tokens are replaced. {every}; it flagged {flagged} "
                f"(P(replaced) > {result.threshold}).")
    read = html.escape(result.corrupted_text)
    return f"**Why ELECTRA:** {result.why}\n\n{what}\n\n**The discriminator read:** {read}"


def verdict_chips(result: DetectionResult) -> list[tuple[str, float | None]]:
    """Every token the discriminator read, coloured by its P(replaced)."""
    return [(t.token, round(t.probability_replaced, 3)) for t in result.tokens]


def truth_chips(result: DetectionResult) -> list[tuple[str, str | None]]:
    """Every token the discriminator read, marked replaced / original (unmarked for a sentence as typed)."""
    return [(t.token, None if t.replaced is None else "replaced" if t.replaced else "original")
            for t in result.tokens]


def detection_rows(result: DetectionResult) -> list[list[Any]]:
    """One row per token, in RTD_TABLE_HEADERS order."""
    return [[t.position, t.token, t.original or "", "yes" if t.selected else "",
             "?" if t.replaced is None else "yes" if t.replaced else "no", percent(t.probability_replaced),
             "✓" if t.flagged else "", percent(t.generator_probability)]
            for t in result.tokens]


# ---- views: can BERT write? --------------------------------------------------------------------------

class WritingView(NamedTuple):
    lesson: str
    ltr_header: str
    ltr_text: list[tuple[str, float | None]]
    ltr_steps: list[list[Any]]
    mp_header: str
    mp_text: list[tuple[str, float | None]]
    mp_steps: list[list[Any]]
    gpt_header: str
    gpt_text: list[tuple[str, float | None]]
    gpt_steps: list[list[Any]]
    notices: str
    json: Any


def writing_view(result: BertWritingResult) -> WritingView:
    parts = [part for w in (result.left_to_right, result.mask_predict, result.gpt)
             for part in (writing_header(w), writing_chips(w), writing_rows(w))]
    return WritingView(f"**Why:** {result.lesson}", *parts, notices_markdown(result.notices), to_json(result))


def writing_header(writing: Writing) -> str:
    return (f"**{WRITING_LABELS[writing.method]}** — `{writing.model_name}`, {len(writing.tokens)} tokens: "
            f"{writing.stop_reason}")


def writing_chips(writing: Writing) -> list[tuple[str, float | None]]:
    """The prompt, then each written token as it reads in the text, coloured by its probability."""
    return [(writing.prompt, None)] + [(text, round(t.probability, 3))
                                       for text, t in zip(writing.surfaces, writing.tokens)]


def writing_rows(writing: Writing) -> list[list[Any]]:
    """One row per step, in WRITE_STEP_HEADERS order."""
    return [[s.step, s.read, " · ".join(f"{f.token} ({percent(f.probability)})" for f in s.filled), s.text]
            for s in writing.steps]


# ---- layout: one helper per sub-tab, returning its components by name ------------------------------
# Output components are named like the fields of their view, so wiring is `view_outputs(ui, View)`.

def _layout_mlm(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(MLM_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(value=PRESET, label="Text to mask", lines=2, max_lines=8)
            gr.Examples(MLM_EXAMPLES, inputs=[text], label="Presets")
        with gr.Column(scale=2):
            rate = gr.Slider(1, 100, value=15, step=1, label="Mask rate (% of maskable tokens)")
            with gr.Row():
                seed = gr.Number(value=0, precision=0, label="Seed")
                rule = gr.Checkbox(value=True, label="BERT's 80/10/10 rule (off: every selected → [MASK])")
            with gr.Row():
                bert = model_dropdown(ctx, FILL_TASK, "Encoder (BERT)")
                gpt = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
    run = gr.Button("Mask and predict", variant="primary", elem_id="mlm-run")
    notices = gr.Markdown(elem_id="mlm-notices")
    scores = gr.HTML(elem_id="mlm-recovery")
    original = gr.HighlightedText(label="Selected tokens in the text, coloured by what happened",
                                  color_map=ACTION_COLORS, show_legend=True, elem_id="mlm-original")
    bert_input = gr.HighlightedText(label="What BERT reads (its corrupted input)", color_map=ACTION_COLORS,
                                    show_legend=True, elem_id="mlm-input")
    table = gr.Dataframe(headers=MLM_TABLE_HEADERS, interactive=False, wrap=True, column_widths=MLM_TABLE_WIDTHS,
                         label="Every selected slot: BERT (both sides) vs GPT-2 (left only); rank = place of the "
                               "true token among all predictions (1 = recovered)", elem_id="mlm-table")
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "masked-lm")
    return SimpleNamespace(inputs=[text, rate, seed, rule, bert, gpt], run=run, notices=notices, scores=scores,
                           original=original, bert_input=bert_input, table=table, json=json)


def _layout_nsp(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(NSP_INTRO)
    first_a, first_b = NSP_PRESETS["true continuation"]
    with gr.Row():
        a = gr.Textbox(value=first_a, label="Sentence A", lines=2)
        b = gr.Textbox(value=first_b, label="Sentence B", lines=2)
    gr.Examples([list(pair) for pair in NSP_PRESETS.values()], inputs=[a, b],
                example_labels=[name.capitalize() for name in NSP_PRESETS], label="Presets")
    with gr.Row():
        model = model_dropdown(ctx, NSP_TASK, "BERT with its pre-training heads")
        run = gr.Button("Predict IsNext / NotNext", variant="primary", elem_id="nsp-run")
    notices = gr.Markdown()
    with gr.Row():
        with gr.Column(scale=1):
            label = gr.Label(label="Next-sentence prediction", elem_id="nsp-label")
        with gr.Column(scale=2):
            tokens = gr.HighlightedText(label="Input tokens, coloured by segment id", show_legend=True,
                                        color_map=SEGMENT_COLORS, elem_id="nsp-tokens")
            layout = gr.Markdown(elem_id="nsp-layout")
    with gr.Accordion("Tokens and segment ids", open=False):
        table = gr.Dataframe(headers=NSP_TABLE_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "next-sentence")
    return SimpleNamespace(inputs=[a, b, model], run=run, notices=notices, label=label, tokens=tokens, layout=layout,
                           table=table, json=json)


def _layout_step_controls(ctx: AppContext) -> list[gr.components.Component]:
    """Prompt, model and decoding settings, in the order `generate_steps` takes them."""
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(value=STEP_EXAMPLES[0], label="Prompt", lines=2, max_lines=6)
            gr.Examples(STEP_EXAMPLES, inputs=[prompt], label="Prompts")
        with gr.Column(scale=2):
            model = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
            with gr.Row():
                max_new = gr.Slider(1, MAX_NEW_TOKENS, value=20, step=1, label="Max new tokens")
                candidates = gr.Slider(1, MAX_CANDIDATES, value=5, step=1, label="Candidates per step")
    with gr.Row():
        strategy = gr.Radio(["greedy", "sample"], value="greedy", label="Decoding")
        temperature = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
        top_k = gr.Slider(0, 100, value=0, step=1, label="Top-k (0 = off)")
        top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p")
        repetition = gr.Slider(1.0, 3.0, value=1.0, step=0.05, label="Repetition penalty")
        seed = gr.Number(value=0, precision=0, label="Seed (sampling: same seed → same text)")
    return [prompt, max_new, strategy, temperature, top_k, top_p, repetition, seed, candidates, model]


def _layout_steps(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(STEPS_INTRO)
    controls = _layout_step_controls(ctx)
    run = gr.Button("Generate", variant="primary", elem_id="steps-run")
    notices = gr.Markdown()
    text = gr.HighlightedText(label="Generated text, coloured by the model's probability of each token",
                              elem_id="steps-text")
    table = gr.Dataframe(headers=STEP_TABLE_HEADERS, interactive=False, wrap=True,
                         label="Every step: the token, its probability and the candidates it beat",
                         elem_id="steps-table")
    gr.Markdown("**Pick a different token** at one step and let the model continue from it:")
    with gr.Row():
        pick_step = gr.Dropdown(choices=[], label="Step", elem_id="steps-pick-step")
        pick_choice = gr.Dropdown(choices=[], label="Candidate at that step", elem_id="steps-pick-choice")
        pick_run = gr.Button("Continue from this choice", elem_id="steps-pick-run")
    pick_label = gr.Label(label="Candidates at that step", elem_id="steps-candidates")
    last = gr.State(None)
    with gr.Accordion("Result (JSON)", open=False):
        json = gr.JSON()
        json_download(json, "next-token-steps")
    return SimpleNamespace(inputs=controls, run=run, pick_run=pick_run, notices=notices, text=text, table=table,
                           pick_step=pick_step, pick_choice=pick_choice, pick_label=pick_label, last=last, json=json)


def multilingual_choice(ctx: AppContext) -> str:
    """The fill-mask model the fourth tokenizer column starts with: the one that is (or stands in for) XLM-R."""
    choices = ctx.profile.choices(FILL_TASK)
    return next((name for name in choices if getattr(card_for(ctx.catalog, name), "hub_id", None) ==
                 MULTILINGUAL_HUB_ID), choices[0])


def _layout_tokenizers(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(TOKENIZERS_INTRO)
    text = gr.Textbox(value=TOKENIZER_EXAMPLES[0], label="Text to tokenize", lines=2, max_lines=8)
    gr.Examples(list(TOKENIZER_EXAMPLES), inputs=[text], label="Examples")
    with gr.Row():
        models = [model_dropdown(ctx, task, label) for task, label in TOKENIZER_TASKS]
        task, label = TOKENIZER_COLUMNS[-1]
        models.append(gr.Dropdown(choices=ctx.profile.choices(task), value=multilingual_choice(ctx), label=label,
                                  allow_custom_value=ctx.store.allow_unlisted))
    run = gr.Button("Compare tokenizers", variant="primary", elem_id="tok-run")
    ui = SimpleNamespace(inputs=[text, *models], run=run, notices=gr.Markdown())
    ui.summary = gr.Dataframe(headers=TOKENIZER_SUMMARY_HEADERS, interactive=False, elem_id="tok-summary")
    with gr.Row(equal_height=False):
        for slug, (_, scheme) in zip(TOKENIZER_SLUGS, TOKENIZER_COLUMNS):
            with gr.Column():
                setattr(ui, f"{slug}_header", gr.Markdown(f"**{scheme}**"))
                legend = BPE_KIND_COLORS if slug == "bpe" else KIND_COLORS
                setattr(ui, f"{slug}_strip", gr.HighlightedText(label=f"{scheme} pieces", color_map=legend,
                                                                show_legend=True, elem_id=f"tok-{slug}"))
    gr.Markdown("#### What each scheme did with this text")
    ui.facts = gr.HTML(elem_id="tok-facts")
    with gr.Accordion("Token ids", open=False):
        ui.ids = gr.Dataframe(headers=TOKEN_ID_HEADERS, interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "tokenizers")
    return ui


def _layout_replaced_tokens(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(RTD_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(value=RTD_EXAMPLE, label="Sentence", lines=2, max_lines=6)
            corrupt = gr.Checkbox(value=True, label="Let BERT corrupt it first (off: judge the sentence as typed)")
        with gr.Column(scale=2):
            with gr.Row():
                rate = gr.Slider(1, 100, value=15, step=1, label="Mask rate (% of the word pieces)")
                seed = gr.Number(value=0, precision=0, label="Seed")
            with gr.Row():
                model = model_dropdown(ctx, RTD_TASK, "Discriminator (ELECTRA)")
                generator = model_dropdown(ctx, FILL_TASK, "Generator (BERT, same vocabulary)")
    run = gr.Button("Corrupt and detect", variant="primary", elem_id="rtd-run")
    ui = SimpleNamespace(inputs=[text, corrupt, rate, seed, model, generator], run=run, notices=gr.Markdown())
    ui.summary = gr.Markdown(elem_id="rtd-summary")
    ui.verdicts = gr.HighlightedText(label="What the discriminator read, coloured by its P(replaced)",
                                     elem_id="rtd-verdicts")
    ui.truth = gr.HighlightedText(label="Which tokens really were replaced", color_map=TRUTH_COLORS,
                                  show_legend=True, elem_id="rtd-truth")
    ui.table = gr.Dataframe(headers=RTD_TABLE_HEADERS, interactive=False, wrap=True, elem_id="rtd-table",
                            label="Every token: the discriminator's verdict next to what happened to it")
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "replaced-token-detection")
    return ui


def _layout_writing(ctx: AppContext) -> SimpleNamespace:
    gr.Markdown(WRITE_INTRO)
    with gr.Row():
        with gr.Column(scale=3):
            prompt = gr.Textbox(value=WRITING_EXAMPLES[0], label="Prompt", lines=2, max_lines=4)
            gr.Examples(list(WRITING_EXAMPLES), inputs=[prompt], label="Prompts")
        with gr.Column(scale=2):
            with gr.Row():
                length = gr.Slider(1, MAX_WRITE_TOKENS, value=DEFAULT_LENGTH, step=1, label="Tokens to write")
                rounds = gr.Slider(1, MAX_ROUNDS, value=DEFAULT_ROUNDS, step=1, label="Mask-Predict rounds")
            with gr.Row():
                bert = model_dropdown(ctx, FILL_TASK, "Encoder (BERT)")
                gpt = model_dropdown(ctx, GEN_TASK, "Decoder (GPT-2)")
    run = gr.Button("Write", variant="primary", elem_id="write-run")
    ui = SimpleNamespace(inputs=[prompt, length, rounds, bert, gpt], run=run, notices=gr.Markdown(),
                         lesson=gr.Markdown(elem_id="write-lesson"))
    with gr.Row(equal_height=False):
        for slug in WRITING_SLUGS.values():
            with gr.Column():
                setattr(ui, f"{slug}_header", gr.Markdown())
                setattr(ui, f"{slug}_text", gr.HighlightedText(label="Written text, coloured by probability",
                                                               elem_id=f"write-{slug}-text"))
    for method, slug in WRITING_SLUGS.items():
        with gr.Accordion(f"Step by step: {WRITING_LABELS[method]}", open=method == "left-to-right"):
            setattr(ui, f"{slug}_steps", gr.Dataframe(headers=WRITE_STEP_HEADERS, interactive=False, wrap=True,
                                                      column_widths=WRITE_STEP_WIDTHS,
                                                      elem_id=f"write-{slug}-steps"))
    with gr.Accordion("Result (JSON)", open=False):
        ui.json = gr.JSON()
        json_download(ui.json, "bert-writing")
    return ui


# ---- wiring ----------------------------------------------------------------------------------------

def _wire(trigger: Callable, fn: Callable, ui: SimpleNamespace, view: type[NamedTuple],
          inputs: list[Any] | None = None) -> Callable:
    """One sub-tab event: `fn`'s view fills the components named like its fields; a failure stays in the
    sub-tab's notices (`inline_errors`). Returns the event function (a share link runs it too)."""
    outputs = view_outputs(ui, view)
    event = inline_errors(fn, outputs, ui.notices)
    trigger(event, ui.inputs if inputs is None else inputs, outputs,
            api_visibility="private")  # the UI's own events; scripts use the JSON endpoints
    return event


def _show_tokenizers(ctx: AppContext, text: str, *names: str) -> TokenizersView:
    """The Tokenizers event: its view also needs which model each column asked for."""
    return tokenizers_view(compare_tokenizers_api(ctx, text, *names), names)


def build_objectives_tab(ctx: AppContext) -> tuple[gr.Tabs, list[LinkedView]]:
    """The Pre-training tab; returns its sub-tabs and the views a share link can open."""
    gr.Markdown(INTRO)
    with gr.Tabs() as subtabs:
        with gr.Tab("Masked LM (BERT)", id="pretraining-mlm"):
            mlm = _layout_mlm(ctx)
            show_mlm = _wire(mlm.run.click, shown(ctx, mask_sim_percent, mask_sim_view), mlm, MaskSimView)
        with gr.Tab("Next sentence (BERT)", id="pretraining-nsp"):
            nsp = _layout_nsp(ctx)
            _wire(nsp.run.click, shown(ctx, nsp_api, nsp_view), nsp, NSPView)
        with gr.Tab("Next token, step by step (GPT-2)", id="pretraining-steps"):
            steps = _layout_steps(ctx)
            _wire(steps.run.click, shown(ctx, generate_steps, steps_view), steps, StepsView)
            _wire(steps.pick_run.click, shown(ctx, continue_from_pick, steps_view), steps, StepsView,
                  steps.inputs + [steps.last, steps.pick_step, steps.pick_choice])
            steps.pick_step.input(user_errors(candidates_view), [steps.last, steps.pick_step],
                                  view_outputs(steps, CandidatesView), api_visibility="private")
        with gr.Tab("Tokenizers", id="pretraining-tokenizers"):
            tok = _layout_tokenizers(ctx)
            show_tok = _wire(tok.run.click, functools.partial(_show_tokenizers, ctx), tok, TokenizersView)
        with gr.Tab("Replaced-token detection (ELECTRA)", id="pretraining-rtd"):
            rtd = _layout_replaced_tokens(ctx)
            _wire(rtd.run.click, shown(ctx, replaced_tokens_percent, detection_view), rtd, DetectionView)
        with gr.Tab("Can BERT write?", id="pretraining-write"):
            write = _layout_writing(ctx)
            _wire(write.run.click, shown(ctx, bert_write_api, writing_view), write, WritingView)

    json_endpoint(ctx, mask_sim_api, "mask_sim", bert_model=ctx.profile.default(FILL_TASK),
                  gpt_model=ctx.profile.default(GEN_TASK))
    json_endpoint(ctx, nsp_api, "nsp", model=ctx.profile.default(NSP_TASK))
    json_endpoint(ctx, generate_step_api, "generate_step", model=ctx.profile.default(GEN_TASK))
    json_endpoint(ctx, compare_tokenizers_api, "compare_tokenizers", wordpiece_model=ctx.profile.default(FILL_TASK),
                  bpe_model=ctx.profile.default(GEN_TASK), sentencepiece_model=ctx.profile.default("summarization"))
    json_endpoint(ctx, replaced_tokens_api, "replaced_tokens", model=ctx.profile.default(RTD_TASK),
                  generator=ctx.profile.default(FILL_TASK))
    json_endpoint(ctx, bert_write_api, "bert_write", bert_model=ctx.profile.default(FILL_TASK),
                  gpt_model=ctx.profile.default(GEN_TASK))
    views = [LinkedView("pretraining-mlm", dict(zip(("text", "rate", "seed", "rule", "bert", "gpt"), mlm.inputs)),
                        show_mlm, view_outputs(mlm, MaskSimView), anchor="mlm-recovery"),
             LinkedView("pretraining-tokenizers", dict(zip(("text", *TOKENIZER_SLUGS), tok.inputs)), show_tok,
                        view_outputs(tok, TokenizersView), anchor="tok-summary")]
    return subtabs, views
