"""Compare tab, views: a task result → what each component shows (pure functions, no Gradio events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


from playground.core.tokens import SPECIAL_TOKEN_ROLES, TokenizedText
from playground.tasks.compare import (GRADIENT, OCCLUSION,
                                      AttentionComparison, AttentionMask, AttentionSource, CompareResult,
                                      CompareStage, GenerationResult, HeadSummary, InfluenceResult,
                                      WordProbability)
from playground.ui.exports import ExportFile, json_file
from playground.ui.figures.attention import (attention_heatmaps_figure, attention_masks_figure, head_summary_figure,
                                             span_text)
from playground.ui.figures.inside import standalone_html
from playground.ui.widgets import (TOKEN_COLORS, highlighted_scores, highlighted_tokens, label_value,
                                   notices_markdown, percent, to_json, token_table)

TOKEN_TABLE_HEADERS = ["position", "piece", "id", "kind"]
# Each legend lists only the kinds its panel can show: GPT-2 reads the gap filled with BERT's guess (no mask),
# byte-level BPE has no unknown piece, and a special token appears only if typed (<|endoftext|>); BERT sees
# every token, so nothing is hidden from its slot.
BERT_TOKEN_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("special", "mask", "word", "continuation", "unknown")}
GPT_TOKEN_COLORS = {kind: TOKEN_COLORS[kind] for kind in ("word", "continuation", "special", "hidden from the slot")}
NO_MASK_FOR_WORD = "BERT needs a [MASK] to score a word."
SESSION_TTL_S = 3600  # a session's kept attention is dropped after an hour without a click
# The influence radio: (label, value sent); the value is what `/compare` takes as `influence`.
INFLUENCE_CHOICES = [("gradient × input (fast estimate)", GRADIENT), ("occlusion (measured)", OCCLUSION)]
INFLUENCE_LABELS = {  # method → (panel label's opening, what the number is)
    GRADIENT: ("Estimated influence", "gradient × input"),
    OCCLUSION: ("Measured influence", "occlusion: each word hidden in turn"),
}


# ---- views: result → what each component shows ---------------------------------------------------

@dataclass(frozen=True)
class SliderRange:
    """A slider's new range (and value, when it should move)."""

    maximum: int
    value: int | None = None


@dataclass(frozen=True)
class Labelled:
    """A component's value with a new label (the influence panels name the method that filled them)."""

    value: Any
    label: str


@dataclass(frozen=True)
class CompareView:
    """One value per output component; field names are the component names in the layout."""

    query: SliderRange
    layer: SliderRange
    head: SliderRange
    notices: str
    bert_tokens: list[tuple[str, str]]
    bert_table: list[list[Any]]
    bert_roles: str
    gpt_tokens: list[tuple[str, str]]
    gpt_table: list[list[Any]]
    bert_label: dict[str, float]
    bert_masks: list[list[Any]]
    gpt_label: dict[str, float]
    gpt_continuation: str
    bert_word: str
    gpt_word: str
    bert_influence: Labelled | list[tuple[str, float | None]]
    bert_influence_note: str
    gpt_influence: Labelled | list[tuple[str, float | None]]
    gpt_influence_note: str
    query_word: str
    masks_plot: Any
    heat_plot: Any
    heads_plot: Any
    result_json: Any


@dataclass(frozen=True)
class AttentionView:
    query_word: str
    masks_plot: Any
    heat_plot: Any


@dataclass(frozen=True)
class GenerationView:
    generated: list[tuple[str, float | None]]
    gen_notices: str
    gen_json: Any


def word_line(wp: WordProbability | None) -> str:
    if wp is None:
        return ""
    pieces = " + ".join(f"`{p}` {percent(q)}" for p, q in zip(wp.pieces, wp.piece_probabilities))
    return f"**P('{wp.word}') = {percent(wp.probability)}** — pieces: {pieces}. _Method: {wp.method}._"


def special_roles(tokens: TokenizedText) -> str:
    seen = [t.piece for t in tokens.tokens if t.kind in ("special", "mask", "unknown")]
    rows = [f"`{p}` — {SPECIAL_TOKEN_ROLES[p]}" for p in dict.fromkeys(seen) if p in SPECIAL_TOKEN_ROLES]
    return "  \n".join(rows)


def influence_value(result: InfluenceResult | None) -> list[tuple[str, float | None]]:
    if result is None:
        return []
    spans = [(w.start, w.end, w.share) for w in result.words if w.side != "slot"]
    return highlighted_scores(result.text, spans)


def influence_label(model: str, method: str) -> str:
    opening, what = INFLUENCE_LABELS[method]
    return f"{opening} on {model} ({what})"


def influence_summary(result: InfluenceResult | None, method: str = GRADIENT) -> str:
    if result is None:
        return ""
    left, right = result.total("left"), result.total("right")
    share_right = right / (left + right) if left + right else 0.0
    if method == OCCLUSION:
        baseline = (f" With every word present p(`{result.predicted}`) = {result.baseline:.4f}; each score is how "
                    "far hiding the word moves it." if result.baseline is not None else "")
        return (f"Slot `{result.slot}` → top prediction `{result.predicted}`. Words **right** of the slot carry "
                f"**{share_right:.1%}** of the total **measured** influence (occlusion; left: {left:.4g}, "
                f"right: {right:.4g}).{baseline}")
    return (f"Slot `{result.slot}` → top prediction `{result.predicted}`. Words **right** of the slot carry "
            f"**{share_right:.1%}** of the total **estimated** influence (gradient × input; left: {left:.4g}, "
            f"right: {right:.4g}).")


# A view in parts, so a streamed stage computes (and sends) only what it changed.

def _notices_part(result: CompareResult) -> dict[str, Any]:
    # Without a gap BERT predicts nothing, but it still reads the text: a cut of it is announced like GPT-2's.
    bert_notes = result.bert.notices if result.bert else result.bert_tokens.notes if result.bert_tokens else ()
    return dict(notices=notices_markdown(
        result.notices, bert_notes,
        [result.bert_message] if result.bert_message else (), result.gpt.notices if result.gpt else (),
        result.gpt_influence.notices if result.gpt_influence else ()))


def _bert_part(result: CompareResult) -> dict[str, Any]:
    masks = result.bert.masks if result.bert else ()
    return dict(
        bert_tokens=highlighted_tokens(result.bert_tokens),
        bert_table=token_table(result.bert_tokens),
        # No gap: BERT's prediction panels stay empty, so they say why.
        bert_roles=special_roles(result.bert_tokens) + (f"\n\n⚠️ **No prediction:** {result.bert_message}"
                                                        if result.bert_message else ""),
        bert_label=label_value(masks[0].predictions) if masks else {},
        bert_masks=[[m.mask_number, p.token, percent(p.probability)] for m in masks for p in m.predictions],
    )


def _gpt_part(result: CompareResult) -> dict[str, Any]:
    if result.gpt_tokens is None:
        return dict(gpt_tokens=[], gpt_table=[], gpt_label={})
    return dict(gpt_tokens=highlighted_tokens(result.gpt_tokens, hidden_from=result.gpt_slot_position),
                gpt_table=token_table(result.gpt_tokens),
                gpt_label=label_value(result.gpt.predictions))


def _controls_part(result: CompareResult) -> dict[str, Any]:
    """The attention controls' ranges (set once the attention is computed; until then they stay as they are)."""
    if result.bert_attention is None:
        return {}
    return dict(
        query=SliderRange(maximum=max(1, len(result.words) - 1), value=result.bert_mask.query),  # starts where drawn
        layer=SliderRange(maximum=result.layers),
        head=SliderRange(maximum=result.heads),
    )


def _analysis_part(result: CompareResult) -> dict[str, Any]:
    if result.bert_attention is None:  # not computed yet: empty, so nothing from the last click stays shown
        return dict(bert_word="", gpt_word="", bert_influence=[], bert_influence_note="", gpt_influence=[],
                    gpt_influence_note="", query_word="", masks_plot=None, heat_plot=None, heads_plot=None)
    return dict(
        # A word was scored (GPT-2 always can) but BERT had no gap to score it in.
        bert_word=word_line(result.bert_word) or (NO_MASK_FOR_WORD if result.gpt_word else ""),
        gpt_word=word_line(result.gpt_word),
        bert_influence=Labelled(influence_value(result.bert_influence),
                                influence_label("BERT", result.influence_method)),
        bert_influence_note=influence_summary(result.bert_influence, result.influence_method),
        gpt_influence=Labelled(influence_value(result.gpt_influence),
                               influence_label("GPT-2", result.influence_method)),
        gpt_influence_note=influence_summary(result.gpt_influence, result.influence_method),
        query_word=query_word_line(result.bert_mask, result.gpt_mask),
        masks_plot=attention_masks_figure([result.bert_mask, result.gpt_mask]),
        heat_plot=attention_heatmaps_figure([result.bert_attention, result.gpt_attention],
                                            [result.bert_mask.rows, result.gpt_mask.rows]),
        heads_plot=None,  # drawn from the click's kept attention (`stage_view`): the result has one head only
    )


def _continuation_part(result: CompareResult) -> dict[str, Any]:
    if result.continuation is None:
        return dict(gpt_continuation="")
    return dict(gpt_continuation=result.gpt.context + " ⟶ " + result.continuation.generated_text)


def _json_part(result: CompareResult) -> dict[str, Any]:
    return dict(result_json=to_json(result) if result.continuation and result.continuation.finished else None)


VIEW_PARTS = (_controls_part, _notices_part, _bert_part, _gpt_part, _analysis_part, _continuation_part, _json_part)
# What each streamed stage updates; the first one clears every output, so the last click's results go away.
STAGE_PARTS = {
    "bert": tuple(part for part in VIEW_PARTS if part is not _controls_part),
    "gpt": (_notices_part, _gpt_part),
    "analysis": (_controls_part, _notices_part, _analysis_part),
    "continuation": (_continuation_part,),
    "done": (_continuation_part, _json_part),
}


def compare_view(result: CompareResult) -> CompareView:
    return CompareView(**{name: value for part in VIEW_PARTS for name, value in part(result).items()})


@dataclass(frozen=True)
class StageView:
    """What one streamed stage changes: component name → value (the others keep what they show), and the
    attention the controls redraw from (None clears it; absent from `changes` when unchanged)."""

    changes: dict[str, Any]
    attention: AttentionSource | None


def stage_view(stage: CompareStage) -> StageView:
    changes = {name: value for part in STAGE_PARTS[stage.name] for name, value in part(stage.result).items()}
    if stage.name == "analysis" and stage.attention is not None and stage.attention.summaries:  # every head
        changes["heads_plot"] = head_summary_figure(stage.attention.summaries)
    return StageView(changes=changes, attention=stage.attention)


def _model_tokens(mask: AttentionMask) -> str:
    rows = [r for r in mask.rows if 0 <= r < len(mask.tokens)]
    if not rows:
        return f"{mask.model_name}: none (cut off)"
    return f"{mask.model_name} {span_text(rows)} " + " ".join(f"`{mask.tokens[r]}`" for r in rows)


def query_word_line(bert_mask: AttentionMask, gpt_mask: AttentionMask) -> str:
    """Which word the selector picks and each model's tokens for it (they differ: BERT adds [CLS], WordPiece and
    BPE split words differently, GPT-2 reads a gap as the word filling it)."""
    word = bert_mask.word.replace("`", "'")
    return f"Word {bert_mask.query}: **`{word}`** → {_model_tokens(bert_mask)} · {_model_tokens(gpt_mask)}"


def attention_view(result: AttentionComparison) -> AttentionView:
    return AttentionView(query_word=query_word_line(result.bert_mask, result.gpt_mask),
                         masks_plot=attention_masks_figure([result.bert_mask, result.gpt_mask]),
                         heat_plot=attention_heatmaps_figure([result.bert, result.gpt],
                                                             [result.bert_mask.rows, result.gpt_mask.rows]))


def cleared_generation() -> GenerationView:
    """What the "keep writing" outputs show before Generate: nothing."""
    return GenerationView(generated=[], gen_notices="", gen_json=None)


def generation_view(result: GenerationResult) -> GenerationView:
    """The prompt, then each new token coloured by its probability."""
    chips = [(result.prompt, None)] + [(t.token.replace("␣", " "), round(t.probability, 3)) for t in result.tokens]
    status = [f"Stopped: {result.stop_reason}."] if result.finished else []
    return GenerationView(generated=chips, gen_notices=notices_markdown(result.notices, status),
                          gen_json=to_json(result))


def export_files(attention: AttentionComparison | None, result: Any = None,
                 summaries: Sequence[HeadSummary] = ()) -> list[ExportFile]:
    """What the Export button writes for the attention shown: its figures in one standalone interactive HTML
    file (opens offline; PNG from its modebar), their data and the click's result as JSON. Empty before a
    click."""
    if attention is None:
        return []
    figures = [attention_masks_figure([attention.bert_mask, attention.gpt_mask]),
               attention_heatmaps_figure([attention.bert, attention.gpt],
                                         [attention.bert_mask.rows, attention.gpt_mask.rows])]
    figures += [head_summary_figure(summaries)] if summaries else []
    files = [ExportFile("compare-attention.html", standalone_html(figures, "Compare: attention").encode("utf-8")),
             json_file("compare-attention", to_json(attention))]
    return files + ([json_file("compare-result", result)] if result else [])
