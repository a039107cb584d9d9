"""Fine-tuned heads: the Sentiment, Question answering and Summarization tabs.

One pre-trained network, a small task head on top, supervised fine-tuning: each tab shows the
fine-tuned result *and* what the head reads. Layout and conversion only — the computation lives in
`playground/sentiment.py`, `question_answering.py` and `summarization.py`.
"""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from playground.models.registry import TINY_STAND_INS, card_for
from playground.tasks.question_answering import (DEFAULT_MAX_ANSWER_TOKENS, DEFAULT_STRIDE, MAX_ANSWER_TOKENS, MAX_STRIDE, MAX_TOP_N,
                                  QAResult, QASettings, answer_question, squad_version)
from playground.tasks.sentiment import MAX_LINES, SentimentResult, classify
from playground.tasks.summarization import (LENGTH_PENALTY_RANGE, MAX_BEAMS, MAX_NEW_TOKENS, SummaryResult, SummarySettings,
                             stream_summary)
from playground.core.text_input import check_int
from playground.ui.widgets import (TOKEN_COLORS, AppContext, highlighted_scores, model_dropdown, notices_markdown, to_json,
                     user_errors)
from playground.ui.figures.heads import qa_probabilities_figure

TESLA = (
    "Tesla, Inc. is an American multinational automotive and clean energy company headquartered in Austin, Texas. "
    "Tesla designs and manufactures electric vehicles (electric cars and trucks), battery energy storage from home "
    "to grid-scale, solar panels and solar roof tiles, and related products and services. Tesla was founded in "
    "2003 by Martin Eberhard and Marc Tarpenning as Tesla Motors. The company's name is a tribute to the inventor "
    "and electrical engineer Nikola Tesla. In February 2004, with a $6.5 million investment, Elon Musk became the "
    "largest shareholder of the company; he later became its chief executive officer."
)
QA_EXAMPLES = [
    [TESLA, "Who founded Tesla?"],
    [TESLA, "Where is Tesla headquartered?"],
    [TESLA, "What does Tesla manufacture?"],
    [TESLA, "How much did Elon Musk invest in 2004?"],
    [TESLA, "What is the capital of France?"],  # not in the context: a SQuAD 2.0 model should say so
]
SENTIMENT_EXAMPLES = [
    ["I loved this movie: the acting was wonderful and the story kept me hooked.", False],
    ["The food was cold and the service was painfully slow.\nThe staff were friendly and the view was amazing.\n"
     "It was not bad at all.\nI expected more from such a famous place.", True],
]
ARTICLE = (
    "The city council voted on Tuesday to close the old harbour road to cars from next spring and turn it into a "
    "walking and cycling route along the water. Supporters said the change would cut traffic noise, make the "
    "waterfront safer for children and bring more visitors to the small shops on the quay. Several shop owners "
    "opposed the plan, warning that delivery vans would have to use narrow side streets and that customers from "
    "outside the city would struggle to find parking. The council promised to build a new car park near the "
    "railway station and to allow deliveries before ten in the morning. Work on the new route is expected to take "
    "about eight months and will cost 4.2 million euros, most of it paid by a regional transport fund."
)
SUMMARY_EXAMPLES = [[ARTICLE], [TESLA]]

HEAD_COLOR = "#f97316"  # orange: the one token the classification head reads
PIECE_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "word", "continuation", "unknown")}
SENTIMENT_COLORS = {**PIECE_COLORS, "[CLS] → classifier head": HEAD_COLOR}
SEGMENT_COLORS = {"question (segment 0)": "#fde68a", "context (segment 1)": "#93c5fd", "special": "#a78bfa"}
ANSWER_COLORS = {"answer": "#22c55e", "other candidate": "#bfdbfe", "best span (rejected: no answer)": "#fca5a5"}


# ---- model cards ----------------------------------------------------------------------------------

def card_markdown(ctx: AppContext, name: str) -> str:
    """The selected model's card: what it was fine-tuned from and on, and its published scores."""
    card = card_for(ctx.catalog, name)
    if card is None:
        return f"No card in model_cards/ describes `{name}`."
    lines = []
    if name in TINY_STAND_INS:
        lines.append(f"`{name}` is a tiny random-weight stand-in for this checkpoint: same architecture family and "
                     "tokenizer type, so every code path is real, but its predictions are noise.")
    lines.append(f"**{card.display_name}** · `{card.hub_id}` · {card.paper.get('title', '')} ({card.year})")
    base, data = card.extra.get("base_model"), card.extra.get("fine_tuning_data")
    if base or data:
        lines.append(f"Fine-tuned from `{base}` on {data}." if base else f"Fine-tuned on {data}.")
    size = f"{card.parameters / 1e6:.1f}M parameters" if card.parameters else ""
    lines.append(f"{card.layers} layers · hidden size {card.hidden_size} · {card.heads} heads · {size} · "
                 f"{card.tokenizer} · up to {card.max_positions} tokens")
    if card.benchmarks:
        lines.append("\n**Published results**\n" + "\n".join(f"- {b.name}: **{b.value:g}** — _{b.source}_"
                                                             for b in card.benchmarks))
    return "\n\n".join(lines) + "\n\n---\n\n" + card.body


def _card_accordion(ctx: AppContext, dropdown: gr.Dropdown) -> None:
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown(card_markdown(ctx, dropdown.value))
    dropdown.change(lambda name: card_markdown(ctx, name), dropdown, card, api_visibility="private")


# ---- Sentiment ------------------------------------------------------------------------------------

def _sentiment_tokens(result: SentimentResult) -> list[tuple[str, str]]:
    return [(t.display, "[CLS] → classifier head" if t.position == result.head_position else t.kind)
            for t in result.tokens.tokens]


def build_sentiment_tab(ctx: AppContext) -> None:
    task = "sentiment"

    def run_sentiment(text: str, one_per_line: bool, explain_line: float, model_name: str) -> tuple[Any, ...]:
        """Label probabilities for the text (or for each line), and which words pushed the label."""
        wanted = check_int(explain_line, "Line to explain", 1, MAX_LINES)
        lm = ctx.model(model_name, task)
        batch = classify(lm, text, one_per_line=bool(one_per_line))
        notices = list(batch.notices)
        if wanted > len(batch.results):
            notices.append(f"There are only {len(batch.results)} line(s); explaining line {len(batch.results)}.")
            wanted = len(batch.results)
        result = batch.results[wanted - 1]
        table = [[r.line_number, r.label, round(r.probability, 4), r.text] for r in batch.results]
        attribution = highlighted_scores(result.text, [(w.start, w.end, w.share) for w in result.word_attributions])
        token_rows = [[a.position, a.token, a.kind, round(a.score, 6)] for a in result.token_attributions]
        explained = f"Line {result.line_number}: " if len(batch.results) > 1 else ""
        summary = (f"{explained}**{result.label}** ({result.probability:.1%}).\n\n{batch.head}\n\n"
                   f"_Attribution of {batch.attribution_target}: {batch.method}_")
        return (notices_markdown(notices, result.notices), {l.label: l.probability for l in result.labels}, table,
                _sentiment_tokens(result), attribution, summary, token_rows, to_json(batch))

    gr.Markdown("A **fine-tuned classification head**: the pre-trained encoder reads the sentence, and a small "
                "head turns the final vector of `[CLS]` — and only that vector — into label probabilities. Several "
                "lines at once? Tick *one result per line*.")
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(value=SENTIMENT_EXAMPLES[0][0], label="Text", lines=4, max_lines=20)
        with gr.Column(scale=2):
            one_per_line = gr.Checkbox(value=False, label=f"One result per line (up to {MAX_LINES} lines)")
            explain_line = gr.Number(value=1, precision=0, minimum=1, maximum=MAX_LINES,
                                     label="Line to explain (tokens and attribution)")
            model = model_dropdown(ctx, task, "Sentiment model")
    gr.Examples(SENTIMENT_EXAMPLES, inputs=[text, one_per_line], label="Examples")
    run = gr.Button("Classify", variant="primary")
    notices = gr.Markdown()
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            label = gr.Label(label="Label probabilities", elem_id="sentiment-label")
        with gr.Column(scale=3):
            results = gr.Dataframe(headers=["line", "label", "probability", "text"], interactive=False,
                                   label="Results", elem_id="sentiment-results", wrap=True)
    summary = gr.Markdown(elem_id="sentiment-summary")
    tokens = gr.HighlightedText(label="Tokens the model reads — orange: the one vector the classifier head reads",
                                color_map=SENTIMENT_COLORS, show_legend=True, elem_id="sentiment-tokens")
    attribution = gr.HighlightedText(
        label="Which words pushed the label — red: towards POSITIVE, violet: towards NEGATIVE "
              "(gradient × input, strongest word = ±1)", elem_id="sentiment-attribution")
    with gr.Accordion("Per-token attribution", open=False):
        token_table = gr.Dataframe(headers=["position", "token", "kind", "gradient × input"], interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    _card_accordion(ctx, model)

    inputs = [text, one_per_line, explain_line, model]
    outputs = [notices, label, results, tokens, attribution, summary, token_table, result_json]
    run.click(user_errors(run_sentiment), inputs, outputs, api_name="sentiment")
    text.submit(user_errors(run_sentiment), inputs, outputs, api_visibility="private")


# ---- Question answering ---------------------------------------------------------------------------

def _answer_highlights(result: QAResult) -> list[tuple[str, str | None]]:
    """The context with the answer (and non-overlapping other candidates) highlighted."""
    spans: list[tuple[int, int, str]] = []
    if result.answer is not None:
        spans.append((result.answer.start, result.answer.end, "answer"))
    elif result.candidates:
        best = result.candidates[0]
        spans.append((best.start, best.end, "best span (rejected: no answer)"))
    for candidate in result.candidates[1:]:
        if all(candidate.end <= s or candidate.start >= e for s, e, _ in spans):
            spans.append((candidate.start, candidate.end, "other candidate"))
    out: list[tuple[str, str | None]] = []

    def plain(text: str) -> None:  # word by word, so the browser can wrap lines between highlighted spans
        out.extend((word, None) for word in re.findall(r"\S+\s*|\s+", text))

    cursor = 0
    for start, end, kind in sorted(spans):
        plain(result.context[cursor:start])
        out.append((result.context[start:end], kind))
        cursor = end
    plain(result.context[cursor:])
    return out


def _decision_markdown(result: QAResult, version_source: str) -> str:
    if result.answer is not None:
        a = result.answer
        head = (f"### Answer: **{a.text}**\nScore {a.score:.2f} (start + end logit) · probability {a.probability:.1%} "
                f"(P(start) × P(end) in window {a.window}) · characters {a.start}–{a.end}")
    else:
        head = "### No answer in the context"
    version = "SQuAD 2.0" if result.squad_version == "2" else "SQuAD 1.1"
    return f"{head}\n\n{result.decision}\n\n_Treated as a {version} model — {version_source}._"


def build_qa_tab(ctx: AppContext) -> None:
    task = "question-answering"

    def run_answer(context: str, question: str, top_n: float, max_answer_tokens: float, stride: float,
                   model_name: str) -> tuple[Any, ...]:
        """Find the answer span in the context; top-n candidates, windows, and the start/end probabilities."""
        lm = ctx.model(model_name, task)
        version, source = squad_version(ctx.catalog, model_name)
        settings = QASettings(top_n=top_n, max_answer_tokens=max_answer_tokens, stride=stride)
        result = answer_question(lm, question, context, settings, version)
        shown = result.answer or (result.candidates[0] if result.candidates else None)
        window = result.windows[shown.window - 1] if shown else result.windows[0]
        figure = qa_probabilities_figure(window, (shown.token_start, shown.token_end) if shown else None,
                                         result.window_count, include_cls=version == "2")
        segment_chips = [(t.token, "special" if t.segment == "special" else
                          f"{t.segment} (segment {t.segment_id})") for t in window.tokens]
        token_rows = [[t.position, t.token, t.segment, t.segment_id, round(t.start_probability, 4),
                       round(t.end_probability, 4)] for t in window.tokens]
        candidates = [[rank, c.text, round(c.score, 3), round(c.probability, 4), c.window, f"{c.start}–{c.end}"]
                      for rank, c in enumerate(result.candidates, start=1)]
        windows = [[w.index, f"{w.context_start}–{w.context_end}",
                    None if w.best_score is None else round(w.best_score, 3), round(w.null_score, 3)]
                   for w in result.windows]
        layout = (f"**Input pattern:** `{result.layout}` — {result.segment_note} Showing window {window.index} of "
                  f"{result.window_count} ({result.settings.max_length} tokens at most, {result.settings.stride} "
                  "shared with the next window).")
        return (notices_markdown(result.notices), _decision_markdown(result, source), _answer_highlights(result),
                candidates, figure, layout, segment_chips, token_rows, windows, to_json(result))

    gr.Markdown("A **span head**: one linear layer gives every token a *start* and an *end* score; the answer is "
                "the best-scoring piece of the context. Nothing is generated.")
    with gr.Row():
        with gr.Column(scale=3):
            context = gr.Textbox(value=TESLA, label="Context", lines=7, max_lines=20)
            question = gr.Textbox(value=QA_EXAMPLES[0][1], label="Question", lines=1)
        with gr.Column(scale=2):
            model = model_dropdown(ctx, task, "Question-answering model")
            top_n = gr.Slider(1, MAX_TOP_N, value=3, step=1, label="Top-n candidate spans")
            max_answer = gr.Slider(1, MAX_ANSWER_TOKENS, value=DEFAULT_MAX_ANSWER_TOKENS, step=1,
                                   label="Max answer length (tokens)")
            stride = gr.Slider(0, MAX_STRIDE, value=DEFAULT_STRIDE, step=1,
                               label="Stride: tokens shared by neighbouring windows (long contexts)")
    gr.Examples(QA_EXAMPLES, inputs=[context, question], label="Examples (the last one is not answered by the text)")
    run = gr.Button("Answer", variant="primary")
    notices = gr.Markdown()
    decision = gr.Markdown(elem_id="qa-decision")
    answer = gr.HighlightedText(label="Answer in the context", color_map=ANSWER_COLORS, show_legend=True,
                                elem_id="qa-answer")
    candidates = gr.Dataframe(headers=["rank", "span", "score (start+end logit)", "probability", "window",
                                       "characters"], interactive=False, label="Top-n candidate spans",
                              elem_id="qa-candidates")
    plot = gr.Plot(label="Start and end probabilities", elem_id="qa-plot")
    gr.Markdown("### What the model reads")
    layout = gr.Markdown()
    segments = gr.HighlightedText(label="Tokens by segment", color_map=SEGMENT_COLORS, show_legend=True,
                                  elem_id="qa-segments")
    with gr.Accordion("Tokens, segment ids and probabilities", open=False):
        token_table = gr.Dataframe(headers=["position", "token", "segment", "segment id", "P(start)", "P(end)"],
                                   interactive=False)
    with gr.Accordion("Windows", open=False):
        windows = gr.Dataframe(headers=["window", "context characters", "best span score", "null score ([CLS])"],
                               interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    _card_accordion(ctx, model)

    inputs = [context, question, top_n, max_answer, stride, model]
    outputs = [notices, decision, answer, candidates, plot, layout, segments, token_table, windows, result_json]
    run.click(user_errors(run_answer), inputs, outputs, api_name="answer")
    question.submit(user_errors(run_answer), inputs, outputs, api_visibility="private")


# ---- Summarization --------------------------------------------------------------------------------

def _summary_status(result: SummaryResult) -> str:
    steps = len(result.tokens)
    if not result.finished:
        if not result.streamed:
            return f"⏳ {result.decoding}. Searching…"
        return f"⏳ Decoder step {steps}: the encoder ran once; the decoder has written {steps} token(s) so far."
    return (f"✅ Done: {result.stop_reason}. The encoder read {len(result.encoder_tokens.tokens)} tokens once; the "
            f"decoder ran {steps} step(s), starting from `{result.decoder_start}`. Decoding: {result.decoding}.")


def build_summarization_tab(ctx: AppContext) -> None:
    task = "summarization"

    def run_summarize(text: str, max_new_tokens: float, min_new_tokens: float, num_beams: float,
                      length_penalty: float, model_name: str):
        """Stream the summary (greedy: token by token; beam search: when the search finishes)."""
        lm = ctx.model(model_name, task)
        settings = SummarySettings(max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens,
                                   num_beams=num_beams, length_penalty=length_penalty)
        first = True
        for result in stream_summary(lm, text, settings):
            decoder = [(t.token, round(t.probability, 4)) for t in result.tokens]
            if first or result.finished:  # heavy outputs only when they change
                encoder = [(t.display, t.kind) for t in result.encoder_tokens.tokens]
                steps = [[t.step, t.token, round(t.probability, 4), t.rank,
                          ", ".join(f"{c.token} {c.probability:.2f}" for c in t.candidates)] for t in result.tokens]
                yield (notices_markdown(result.notices), encoder, result.summary, decoder, _summary_status(result),
                       steps, to_json(result))
            else:
                yield (gr.skip(), gr.skip(), result.summary, decoder, _summary_status(result), gr.skip(), gr.skip())
            first = False

    gr.Markdown("An **encoder–decoder**: Pegasus' encoder reads the whole text once (both directions); its decoder "
                "writes the summary one token at a time, looking back at its own tokens and at every encoder "
                "output. With **1 beam** the summary streams token by token. **Beam search** keeps several partial "
                "summaries and only knows the winner at the end, so it cannot be streamed honestly: the summary "
                "appears when the search is done.")
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(value=ARTICLE, label="Text to summarize", lines=8, max_lines=24)
        with gr.Column(scale=2):
            model = model_dropdown(ctx, task, "Summarization model")
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=60, step=1, label="Max new tokens")
            min_new = gr.Slider(0, MAX_NEW_TOKENS, value=0, step=1, label="Min new tokens")
            beams = gr.Slider(1, MAX_BEAMS, value=1, step=1, label="Beams (1 = greedy, streamed)")
            length_penalty = gr.Slider(*LENGTH_PENALTY_RANGE, value=1.0, step=0.1,
                                       label="Length penalty (beam search; > 1 favours longer summaries)")
    gr.Examples(SUMMARY_EXAMPLES, inputs=[text], label="Examples")
    run = gr.Button("Summarize", variant="primary")
    notices = gr.Markdown()
    status = gr.Markdown(elem_id="summary-status")
    summary = gr.Textbox(label="Summary", interactive=False, lines=3, elem_id="summary-text")
    decoder = gr.HighlightedText(label="Decoder: generated tokens, coloured by the model's probability of each",
                                 elem_id="summary-decoder")
    encoder = gr.HighlightedText(label="Encoder input: SentencePiece pieces (▁ starts a word), read once",
                                 color_map=PIECE_COLORS, show_legend=True, elem_id="summary-encoder")
    with gr.Accordion("Decoder steps: probability, rank and the top candidates", open=False):
        steps = gr.Dataframe(headers=["step", "token", "probability", "rank", "top candidates"], interactive=False)
    with gr.Accordion("Result (JSON)", open=False):
        result_json = gr.JSON()
    _card_accordion(ctx, model)

    run.click(user_errors(run_summarize), [text, max_new, min_new, beams, length_penalty, model],
              [notices, encoder, summary, decoder, status, steps, result_json], api_name="summarize")
