"""Pre-training tab: each training objective as something to run — BERT's masked-token prediction
(80/10/10), BERT's next-sentence prediction, GPT-2's next-token generation step by step, and the three
tokenization schemes side by side.
"""

from __future__ import annotations

import html
from typing import Any, Iterator

import gradio as gr

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.lm.generation import MAX_CANDIDATES, MAX_NEW_TOKENS, GenerationSettings
from playground.tasks.step_by_step import StepByStepResult, stream_steps
from playground.tasks.mlm_simulator import ACTIONS, PRESET, MaskSimResult, simulate_mlm
from playground.tasks.nsp import PRESETS as NSP_PRESETS
from playground.tasks.nsp import NSPResult, next_sentence
from playground.core.text_input import clean_text
from playground.tasks.tokenizer_compare import EXAMPLES as TOKENIZER_EXAMPLES
from playground.tasks.tokenizer_compare import TOPICS, TokenizerComparison, compare_tokenizers
from playground.ui.widgets import TOKEN_COLORS, AppContext, label_value, model_dropdown, notices_markdown, to_json, user_errors

ACTION_COLORS = {"masked": "#f87171", "random": "#fbbf24", "unchanged": "#6ee7b7"}  # red / amber / green
KIND_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "mask", "unknown", "word", "continuation")}
SEGMENT_COLORS = {"segment 0 (A)": "#93c5fd", "segment 1 (B)": "#fdba74"}
TOKENIZER_TASKS = (("fill-mask", "WordPiece (BERT)"), ("text-generation", "byte-level BPE (GPT-2)"),
                   ("summarization", "SentencePiece (Pegasus)"))
MLM_TABLE_HEADERS = ["pos", "token", "happened", "BERT read", "BERT top-1", "BERT rank", "GPT-2 target",
                     "GPT-2 top-1", "GPT-2 rank", "alignment with GPT-2"]
STEP_TABLE_HEADERS = ["step", "token", "probability", "chosen by", "top candidates (✓ = chosen)"]
STEP_EXAMPLES = ["Tesla is an American", "The movie was", "Machine learning models"]


# ---- masked-LM simulator: values for the components -------------------------------------------

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


def _original_spans(result: MaskSimResult) -> list[tuple[str, str | None]]:
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


def _bert_input(result: MaskSimResult) -> list[tuple[str, str | None]]:
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


def _mlm_rows(result: MaskSimResult) -> list[list[Any]]:
    rows = []
    for s in result.selected:
        top = s.predictions[0]
        gpt = s.gpt
        gpt_top = f"{gpt.predictions[0].token} ({gpt.predictions[0].probability:.1%})" if gpt.predictions else ""
        rows.append([s.position, s.original, s.action, s.shown, f"{top.token} ({top.probability:.1%})", s.rank,
                     gpt.target or " · ".join(gpt.pieces), gpt_top, gpt.rank if gpt.rank is not None else "",
                     "aligned" if gpt.status == "aligned" else f"{gpt.status}: {gpt.reason}"])
    return rows


# ---- next-sentence prediction ------------------------------------------------------------------

def _segment_chips(result: NSPResult) -> list[tuple[str, str]]:
    return [(t.display, f"segment {t.segment} ({'AB'[min(t.segment, 1)]})") for t in result.tokens]


def _nsp_markdown(result: NSPResult) -> str:
    segments = " ".join(str(t.segment) for t in result.tokens)
    return (f"**Input:** `{result.layout}`  \n**token_type_ids:** `{segments}`  \n"
            f"{sum(t.segment == 0 for t in result.tokens)} tokens in segment 0 ([CLS], A, first [SEP]) and "
            f"{sum(t.segment == 1 for t in result.tokens)} in segment 1 (B, final [SEP]). "
            f"The NSP head reads [CLS]'s final vector: logits IsNext {result.logits[0]:.3f}, "
            f"NotNext {result.logits[1]:.3f} → **{result.verdict}**.")


# ---- step-by-step generation -------------------------------------------------------------------

def _readable(token: str) -> str:
    return token.replace("␣", " ").replace("↵", "\n")


def _step_chips(result: StepByStepResult) -> list[tuple[str, float | None]]:
    return [(result.prompt, None)] + [(_readable(s.token), round(s.probability, 3)) for s in result.steps]


def _step_rows(result: StepByStepResult) -> list[list[Any]]:
    who = {"model": "model", "kept": "model (kept)", "picked": "you"}
    rows = []
    for s in result.steps:
        candidates = " · ".join(f"{'✓' if c.token_id == s.token_id else ''}{c.token} {c.probability:.1%}"
                                for c in s.candidates)
        rows.append([s.step, s.token, round(s.probability, 4), who[s.source], candidates])
    return rows


def _candidate_choices(result: StepByStepResult | None,
                       step: float | None) -> tuple[list[tuple[str, int]], int | None, dict[str, float]]:
    """Dropdown choices, the chosen token and a Label value for one step of the last generation."""
    if result is None or not result.steps:
        return [], None, {}
    index = min(max(int(step or 1), 1), len(result.steps)) - 1
    chosen = result.steps[index]
    choices = [(f"{c.token}  ({c.probability:.1%})", c.token_id) for c in chosen.candidates]
    return choices, chosen.token_id, label_value(chosen.candidates)


# ---- tokenizers --------------------------------------------------------------------------------

def _tokenizer_summary(result: TokenizerComparison) -> list[list[Any]]:
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


def _token_ids(result: TokenizerComparison) -> list[list[Any]]:
    return [[v.model_name, t.position, t.display, t.token_id, t.kind] for v in result.views for t in v.tokens]


def build_objectives_tab(ctx: AppContext) -> None:
    fill_task, gen_task, nsp_task = "fill-mask", "text-generation", "nsp"
    default_bert, default_gpt = ctx.profile.default(fill_task), ctx.profile.default(gen_task)
    default_nsp = ctx.profile.default(nsp_task)
    default_tokenizers = [ctx.profile.default(task) for task, _ in TOKENIZER_TASKS]

    # ---- task calls shared by the UI events and the API endpoints -----------------------------
    def mask_sim(text: str, mask_rate: float, seed: Any, use_80_10_10: bool, bert_name: str,
                 gpt_name: str) -> MaskSimResult:
        return simulate_mlm(ctx.model(bert_name, fill_task), ctx.model(gpt_name, gen_task), text,
                            mask_rate=mask_rate, seed=seed, use_80_10_10=bool(use_80_10_10))

    def tokenizers(text: str, names: list[str]) -> TokenizerComparison:
        models, missing = [], []
        for name in names:
            try:
                models.append(ctx.model(name, "tokenizer-only"))
            except ModelUnavailable as exc:  # show the others; say which one is missing and how to get it
                missing.append(str(exc))
        if not models:
            raise PlaygroundError(missing[0] if missing else "Choose at least one tokenizer.")
        return compare_tokenizers(models, text, notices=missing)

    def steps(prompt: str, max_new_tokens: Any, strategy: str, temperature: Any, top_k: Any, top_p: Any,
              repetition_penalty: Any, seed: Any, candidates: Any, model: str, previous_token_ids: Any = None,
              step: Any = None, choice_token_id: Any = None) -> Iterator[StepByStepResult]:
        settings = GenerationSettings(max_new_tokens=max_new_tokens, strategy=strategy, temperature=temperature,
                                      top_k=top_k, top_p=top_p, repetition_penalty=repetition_penalty,
                                      seed=None if seed is None or seed == "" else seed)
        yield from stream_steps(ctx.model(model, gen_task), prompt, settings, candidates_k=candidates,
                                previous_token_ids=previous_token_ids, step=step, choice_token_id=choice_token_id)

    # ---- UI handlers ------------------------------------------------------------------------
    def run_mask_sim(text: str, rate_percent: float, seed: Any, rule: bool, bert_name: str, gpt_name: str):
        try:
            rate = float(rate_percent) / 100
        except (TypeError, ValueError):
            raise PlaygroundError(f"Mask rate must be a percentage between 1 and 100, got {rate_percent!r}.") from None
        result = mask_sim(text, rate, seed, rule, bert_name, gpt_name)
        return (recovery_html(result), _original_spans(result), _bert_input(result), _mlm_rows(result),
                notices_markdown(result.notices), to_json(result))

    def run_nsp(a: str, b: str, model: str):
        result = next_sentence(ctx.model(model, nsp_task), a, b)
        rows = [[t.position, t.display, t.segment, t.kind] for t in result.tokens]
        return (result.probabilities, _segment_chips(result), _nsp_markdown(result), rows,
                notices_markdown(result.notices), to_json(result))

    def _step_outputs(result: StepByStepResult, picked: int | None):
        step = picked or 1
        choices, chosen, label = _candidate_choices(result, step)
        status = f"Stopped: {result.stop_reason}." if result.finished else f"Generating… step {len(result.steps)}"
        return (_step_chips(result), _step_rows(result), notices_markdown(result.notices, [status]), to_json(result),
                result, gr.Dropdown(choices=[(f"{s.step}: {s.token}", s.step) for s in result.steps], value=step),
                gr.Dropdown(choices=choices, value=chosen), label)

    def run_steps(prompt, max_new_tokens, strategy, temperature, top_k, top_p, repetition_penalty, seed, candidates,
                  model):
        for result in steps(prompt, max_new_tokens, strategy, temperature, top_k, top_p, repetition_penalty, seed,
                            candidates, model):
            yield _step_outputs(result, None)

    def run_steps_pick(prompt, max_new_tokens, strategy, temperature, top_k, top_p, repetition_penalty, seed,
                       candidates, model, last: StepByStepResult | None, step, choice):
        if last is None:
            raise PlaygroundError("Generate once first, then pick a different candidate at one of the steps.")
        if last.prompt != clean_text(prompt, what="prompt").text:
            raise PlaygroundError("The prompt changed since the last generation: press Generate first.")
        for result in steps(prompt, max_new_tokens, strategy, temperature, top_k, top_p, repetition_penalty, seed,
                            candidates, model, previous_token_ids=last.token_ids, step=step,
                            choice_token_id=choice):
            yield _step_outputs(result, result.picked_step)

    def show_step(last: StepByStepResult | None, step: float):
        choices, chosen, label = _candidate_choices(last, step)
        return gr.Dropdown(choices=choices, value=chosen), label

    def run_tokenizers(text: str, wordpiece: str, bpe: str, sentencepiece: str):
        result = tokenizers(text, [wordpiece, bpe, sentencepiece])
        views = {v.model_name: v for v in result.views}
        strips, headers = [], []
        for name, (_, scheme) in zip((wordpiece, bpe, sentencepiece), TOKENIZER_TASKS):
            view = views.get(name)
            strips.append([(t.display, t.kind) for t in view.tokens] if view else [])
            headers.append(f"**{scheme}** — `{name}`: {view.token_count} tokens" if view else
                           f"**{scheme}** — `{name}`: unavailable (see the notes above)")
        return (notices_markdown(result.notices), _tokenizer_summary(result), *headers, *strips,
                tokenizer_facts_html(result), _token_ids(result), to_json(result))

    # ---- layout -----------------------------------------------------------------------------
    gr.Markdown("How the two families were **trained**: BERT hides tokens and predicts them from both sides "
                "(plus next-sentence prediction); GPT-2 predicts the next token from the left. Each objective "
                "below runs live on the same models as the Compare tab.")
    with gr.Tabs():
        with gr.Tab("Masked LM (BERT)", id="pretraining-mlm"):
            gr.Markdown("BERT's pre-training selects ~15% of the tokens; of those, **80% → [MASK]**, **10% → a "
                        "random token**, **10% unchanged**, and BERT must recover every selected token at once. "
                        "GPT-2 is scored on the very same slots, each predicted from the true text on its left.")
            with gr.Row():
                with gr.Column(scale=3):
                    mlm_text = gr.Textbox(value=PRESET, label="Text to mask", lines=2, max_lines=8)
                    gr.Examples([PRESET, "Tesla is an American electric vehicle and clean energy company "
                                 "headquartered in Austin, Texas."], inputs=[mlm_text], label="Presets")
                with gr.Column(scale=2):
                    rate = gr.Slider(1, 100, value=15, step=1, label="Mask rate (% of maskable tokens)")
                    with gr.Row():
                        mlm_seed = gr.Number(value=0, precision=0, label="Seed")
                        rule = gr.Checkbox(value=True, label="BERT's 80/10/10 rule (off: every selected → [MASK])")
                    with gr.Row():
                        mlm_bert = model_dropdown(ctx, fill_task, "Encoder (BERT)")
                        mlm_gpt = model_dropdown(ctx, gen_task, "Decoder (GPT-2)")
            mlm_run = gr.Button("Mask and predict", variant="primary", elem_id="mlm-run")
            mlm_notices = gr.Markdown()
            mlm_scores = gr.HTML(elem_id="mlm-recovery")
            mlm_original = gr.HighlightedText(label="Selected tokens in the text, coloured by what happened",
                                              color_map=ACTION_COLORS, show_legend=True, elem_id="mlm-original")
            mlm_input = gr.HighlightedText(label="What BERT reads (its corrupted input)", color_map=ACTION_COLORS,
                                           show_legend=True, elem_id="mlm-input")
            mlm_table = gr.Dataframe(headers=MLM_TABLE_HEADERS, interactive=False, wrap=True,
                                     label="Every selected slot: BERT (both sides) vs GPT-2 (left only); rank = "
                                           "place of the true token among all predictions (1 = recovered)",
                                     elem_id="mlm-table")
            with gr.Accordion("Result (JSON)", open=False):
                mlm_json = gr.JSON()

        with gr.Tab("Next sentence (BERT)", id="pretraining-nsp"):
            gr.Markdown("BERT's second objective: does sentence B really follow sentence A? Both go in as one "
                        "input, `[CLS] A [SEP] B [SEP]`, told apart by segment ids (token_type_ids 0 / 1); the "
                        "NSP head reads `[CLS]`.")
            first_a, first_b = NSP_PRESETS["true continuation"]
            with gr.Row():
                nsp_a = gr.Textbox(value=first_a, label="Sentence A", lines=2)
                nsp_b = gr.Textbox(value=first_b, label="Sentence B", lines=2)
            gr.Examples([list(pair) for pair in NSP_PRESETS.values()], inputs=[nsp_a, nsp_b],
                        example_labels=[name.capitalize() for name in NSP_PRESETS], label="Presets")
            with gr.Row():
                nsp_model = model_dropdown(ctx, nsp_task, "BERT with its pre-training heads")
                nsp_run = gr.Button("Predict IsNext / NotNext", variant="primary", elem_id="nsp-run")
            nsp_notices = gr.Markdown()
            with gr.Row():
                with gr.Column(scale=1):
                    nsp_label = gr.Label(label="Next-sentence prediction", elem_id="nsp-label")
                with gr.Column(scale=2):
                    nsp_tokens = gr.HighlightedText(label="Input tokens, coloured by segment id", show_legend=True,
                                                    color_map=SEGMENT_COLORS, elem_id="nsp-tokens")
                    nsp_layout = gr.Markdown(elem_id="nsp-layout")
            with gr.Accordion("Tokens and segment ids", open=False):
                nsp_table = gr.Dataframe(headers=["position", "token", "token_type_id", "kind"], interactive=False)
            with gr.Accordion("Result (JSON)", open=False):
                nsp_json = gr.JSON()

        with gr.Tab("Next token, step by step (GPT-2)", id="pretraining-steps"):
            gr.Markdown("GPT-2 writes one token at a time, each from the tokens on its left. Every step shows "
                        "the top candidates; pick a different one at any step and the model continues from your "
                        "choice.")
            with gr.Row():
                with gr.Column(scale=3):
                    prompt = gr.Textbox(value=STEP_EXAMPLES[0], label="Prompt", lines=2, max_lines=6)
                    gr.Examples(STEP_EXAMPLES, inputs=[prompt], label="Prompts")
                with gr.Column(scale=2):
                    steps_model = model_dropdown(ctx, gen_task, "Decoder (GPT-2)")
                    with gr.Row():
                        max_new = gr.Slider(1, MAX_NEW_TOKENS, value=20, step=1, label="Max new tokens")
                        candidates_k = gr.Slider(1, MAX_CANDIDATES, value=5, step=1, label="Candidates per step")
            with gr.Row():
                strategy = gr.Radio(["greedy", "sample"], value="greedy", label="Decoding")
                temperature = gr.Slider(0.05, 2.0, value=1.0, step=0.05, label="Temperature")
                top_k = gr.Slider(0, 100, value=0, step=1, label="Top-k (0 = off)")
                top_p = gr.Slider(0.05, 1.0, value=1.0, step=0.05, label="Top-p")
                repetition = gr.Slider(1.0, 3.0, value=1.0, step=0.05, label="Repetition penalty")
                steps_seed = gr.Number(value=0, precision=0, label="Seed (sampling: same seed → same text)")
            steps_run = gr.Button("Generate", variant="primary", elem_id="steps-run")
            steps_notices = gr.Markdown()
            steps_text = gr.HighlightedText(label="Generated text, coloured by the model's probability of each token",
                                            elem_id="steps-text")
            steps_table = gr.Dataframe(headers=STEP_TABLE_HEADERS, interactive=False, wrap=True,
                                       label="Every step: the token, its probability and the candidates it beat",
                                       elem_id="steps-table")
            gr.Markdown("**Pick a different token** at one step and let the model continue from it:")
            with gr.Row():
                pick_step = gr.Dropdown(choices=[], label="Step", elem_id="steps-pick-step")
                pick_choice = gr.Dropdown(choices=[], label="Candidate at that step", elem_id="steps-pick-choice")
                pick_run = gr.Button("Continue from this choice", elem_id="steps-pick-run")
            pick_label = gr.Label(label="Candidates at that step", elem_id="steps-candidates")
            last_steps = gr.State(None)
            with gr.Accordion("Result (JSON)", open=False):
                steps_json = gr.JSON()

        with gr.Tab("Tokenizers", id="pretraining-tokenizers"):
            gr.Markdown("The same text through the three tokenization schemes. The notes are derived from what "
                        "each tokenizer actually did to *this* text.")
            tok_text = gr.Textbox(value=TOKENIZER_EXAMPLES[0], label="Text to tokenize", lines=2, max_lines=8)
            gr.Examples(list(TOKENIZER_EXAMPLES), inputs=[tok_text], label="Examples")
            with gr.Row():
                tok_models = [model_dropdown(ctx, task, label) for task, label in TOKENIZER_TASKS]
            tok_run = gr.Button("Compare tokenizers", variant="primary", elem_id="tok-run")
            tok_notices = gr.Markdown()
            tok_summary = gr.Dataframe(headers=["tokenizer", "scheme", "tokens", "special tokens added", "unknown",
                                                "tokens per word", "lossless"], interactive=False,
                                       elem_id="tok-summary")
            tok_headers, tok_strips = [], []
            with gr.Row(equal_height=False):
                for slug, (_, scheme) in zip(("wordpiece", "bpe", "sentencepiece"), TOKENIZER_TASKS):
                    with gr.Column():
                        tok_headers.append(gr.Markdown(f"**{scheme}**"))
                        tok_strips.append(gr.HighlightedText(label=f"{scheme} pieces", color_map=KIND_COLORS,
                                                             show_legend=True, elem_id=f"tok-{slug}"))
            gr.Markdown("#### What each scheme did with this text")
            tok_facts = gr.HTML(elem_id="tok-facts")
            with gr.Accordion("Token ids", open=False):
                tok_ids = gr.Dataframe(headers=["tokenizer", "position", "piece", "id", "kind"], interactive=False)
            with gr.Accordion("Result (JSON)", open=False):
                tok_json = gr.JSON()

    # ---- events (the UI's own; scripts use the API endpoints below) -------------------------------
    mlm_run.click(user_errors(run_mask_sim), [mlm_text, rate, mlm_seed, rule, mlm_bert, mlm_gpt],
                  [mlm_scores, mlm_original, mlm_input, mlm_table, mlm_notices, mlm_json],
                  api_name="mask_sim_view", api_visibility="private")
    nsp_run.click(user_errors(run_nsp), [nsp_a, nsp_b, nsp_model],
                  [nsp_label, nsp_tokens, nsp_layout, nsp_table, nsp_notices, nsp_json],
                  api_name="nsp_view", api_visibility="private")
    step_controls = [prompt, max_new, strategy, temperature, top_k, top_p, repetition, steps_seed, candidates_k,
                     steps_model]
    step_outputs = [steps_text, steps_table, steps_notices, steps_json, last_steps, pick_step, pick_choice,
                    pick_label]
    steps_run.click(user_errors(run_steps), step_controls, step_outputs, api_name="generate_step_view",
                    api_visibility="private")
    pick_run.click(user_errors(run_steps_pick), step_controls + [last_steps, pick_step, pick_choice], step_outputs,
                   api_name="generate_step_pick_view", api_visibility="private")
    pick_step.input(user_errors(show_step), [last_steps, pick_step], [pick_choice, pick_label],
                     api_name="generate_step_candidates_view", api_visibility="private")
    tok_run.click(user_errors(run_tokenizers), [tok_text, *tok_models],
                  [tok_notices, tok_summary, *tok_headers, *tok_strips, tok_facts, tok_ids, tok_json],
                  api_name="compare_tokenizers_view", api_visibility="private")

    # ---- API endpoints (gradio_client): each returns the structured result as JSON -------------
    @user_errors
    def mask_sim_api(text: str, mask_rate: float = 0.15, seed: int = 0, use_80_10_10: bool = True,
                     bert_model: str = default_bert, gpt_model: str = default_gpt) -> dict:
        """Mask ~mask_rate of the tokens BERT's way (80/10/10), let BERT recover them in one pass, and
        score GPT-2 on the same slots from their left context."""
        return to_json(mask_sim(text, mask_rate, seed, use_80_10_10, bert_model, gpt_model))

    @user_errors
    def nsp_api(sentence_a: str, sentence_b: str, model: str = default_nsp) -> dict:
        """IsNext / NotNext probabilities from BERT's next-sentence head for [CLS] A [SEP] B [SEP]."""
        return to_json(next_sentence(ctx.model(model, nsp_task), sentence_a, sentence_b))

    @user_errors
    def generate_step_api(prompt: str, max_new_tokens: int = 20, strategy: str = "greedy", temperature: float = 1.0,
                          top_k: int = 0, top_p: float = 1.0, repetition_penalty: float = 1.0,
                          seed: int | None = None, candidates: int = 5, previous_token_ids: list[int] | None = None,
                          step: int | None = None, choice_token_id: int | None = None,
                          model: str = default_gpt) -> Iterator[dict]:
        """Generate token by token (streamed) with each step's top candidates; with step + choice_token_id
        (one of that step's candidates) and previous_token_ids, continue from a different candidate."""
        for result in steps(prompt, max_new_tokens, strategy, temperature, top_k, top_p, repetition_penalty, seed,
                            candidates, model, previous_token_ids=previous_token_ids, step=step,
                            choice_token_id=choice_token_id):
            yield to_json(result)

    @user_errors
    def compare_tokenizers_api(text: str, wordpiece_model: str = default_tokenizers[0],
                               bpe_model: str = default_tokenizers[1],
                               sentencepiece_model: str = default_tokenizers[2]) -> dict:
        """The same text through WordPiece, byte-level BPE and SentencePiece, with derived notes."""
        return to_json(tokenizers(text, [wordpiece_model, bpe_model, sentencepiece_model]))

    gr.api(mask_sim_api, api_name="mask_sim")
    gr.api(nsp_api, api_name="nsp")
    gr.api(generate_step_api, api_name="generate_step")
    gr.api(compare_tokenizers_api, api_name="compare_tokenizers")
