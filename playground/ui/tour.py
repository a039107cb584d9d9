"""The interview tour: six stops for a five-minute demo, each one click that fills and runs the right tab.

A stop names a place (tab or sub-tab id) and its inputs the way a share link writes them, so a stop is opened
exactly as a link is (`links.LinkOpener`) and validated the same way. Next/Previous (buttons, or →/← and
PageDown/PageUp, the keys presentation clickers send) step through the stops; presentation mode enlarges the type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import gradio as gr

from playground.ui.links import LinkOpener, LinkRequest, read_values


@dataclass(frozen=True)
class TourStop:
    title: str
    points: str  # one or two sentences to say while the result is on screen
    place: str  # tab or sub-tab id
    inputs: Mapping[str, str] = field(default_factory=dict)  # query key → value, as a link writes it
    anchor: str | None = None  # elem_id of the part of the tab to scroll to


DOG = "The [MASK] barked at the mailman all morning."
TOUR: tuple[TourStop, ...] = (
    TourStop("Tokens, [CLS] and [SEP]",
             "BERT's WordPiece tokenizer wraps every input in [CLS] … [SEP] and splits rare words into ## pieces; "
             "GPT-2's byte-level BPE adds no special tokens and marks a leading space with ␣. [CLS] is a token with "
             "its own embedding, and its final vector is what a classification head is trained to read: trained "
             "by next-sentence prediction, then with the fine-tuned head (before fine-tuning it is no sentence "
             "summary).",
             "compare", {"text": "Tokenizers split unfamiliar words like electroencephalography into [MASK] pieces."},
             anchor="bert-tokens"),
    TourStop("A gap filled from both sides",
             "BERT predicts the [MASK] from the words on both sides — “barked” and “mailman” come after it. GPT-2 "
             "reads left to right, so for the same slot it has only “The”.",
             "compare", {"text": DOG}, anchor="bert-predictions"),
    TourStop("The attention masks",
             "BERT's attention mask is full: every token may attend to every other. GPT-2's is causal "
             "(lower-triangular): token i sees positions up to i only, which is why words right of the slot have "
             "exactly zero influence on GPT-2's prediction.",
             "compare", {"text": DOG}, anchor="attention-masks"),
    TourStop("Masked-LM pre-training",
             "Pre-training selects about 15% of the tokens: 80% become [MASK], 10% a random token, 10% stay as "
             "they are, so BERT cannot rely on seeing [MASK] (which never occurs in fine-tuning). It must recover "
             "every selected token at once; GPT-2 is scored on the same slots from the left only.",
             "pretraining-mlm", {"rate": "15", "rule": "1", "seed": "0"}, anchor="mlm-recovery"),
    TourStop("A fine-tuned head",
             "Sentiment is a pre-trained encoder plus a small classification head, fine-tuned on labelled reviews "
             "(SST-2): the head reads the final vector at [CLS]. Pre-training gave the encoder its language; "
             "fine-tuning taught the head, and adjusted the encoder, for this one task.",
             "sentiment", {"text": "The plot was thin, but the acting made it a joy to watch."},
             anchor="sentiment-label"),
    TourStop("Choosing a small variant",
             "Under a budget (here 70 M parameters for question answering) the chooser ranks the carded models by "
             "their published scores and says why the others are out. Fewer parameters is not always faster: "
             "ALBERT shares one layer's weights across all its layers, so it is small but not cheap to run.",
             "models", {"task": "question-answering", "max_params": "70"}, anchor="chooser-explanation"),
)
KEYS_HINT = "→ / PageDown: next · ← / PageUp: previous"

# Installed once per page: the tour's keys, ignored while typing, with a modifier, or when no tour is running
# (the Next/Previous buttons are only drawn during a tour).
KEYS_JS = """() => {
  if (window.playgroundTourKeys) return;
  window.playgroundTourKeys = true;
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
    const id = {ArrowRight: 'tour-next', PageDown: 'tour-next', ArrowLeft: 'tour-prev', PageUp: 'tour-prev'}[e.key];
    const button = id && document.getElementById(id);
    if (!button || !button.getClientRects().length || button.disabled) return;
    e.preventDefault();
    button.click();
  });
}"""
PRESENTATION_JS = "(on) => { document.body.classList.toggle('presentation-mode', !!on); }"
# The tour's box floats at the bottom right, so its talking points stay on screen beside the result it scrolled
# to. Presentation mode enlarges the type: Gradio sizes text through theme variables, and the derived ones
# (--body-text-size: var(--text-md), …) are resolved where declared, so they are declared again here.
CSS = """
#tour-box {position: fixed; right: 16px; bottom: 16px; width: min(580px, calc(100vw - 32px)); z-index: 1000;
  background: var(--background-fill-primary); border: 2px solid var(--color-accent); border-radius: 12px;
  box-shadow: 0 8px 28px rgba(0, 0, 0, 0.18); padding: 10px 14px; gap: 6px;}
#share-and-tour {align-items: center; justify-content: flex-start; gap: 8px;}
#share-and-tour > * {flex: 0 0 auto !important; width: auto !important; margin: 0 !important;}
#share-and-tour > #copy-link {margin-left: auto !important;}  /* the tour's controls left, Copy link right */
body.presentation-mode {
  --text-xxs: 12px; --text-xs: 14px; --text-sm: 17px; --text-md: 20px; --text-lg: 23px; --text-xl: 30px;
  --text-xxl: 36px;
  --body-text-size: var(--text-md); --block-info-text-size: var(--text-sm); --block-label-text-size: var(--text-sm);
  --block-title-text-size: var(--text-md); --section-header-text-size: var(--text-md);
  --checkbox-label-text-size: var(--text-md); --input-text-size: var(--text-md); --prose-text-size: var(--text-md);
  --button-large-text-size: var(--text-lg); --button-small-text-size: var(--text-sm);
  --button-medium-text-size: var(--text-md);
}
body.presentation-mode #tour-box {width: min(760px, calc(100vw - 32px));}
"""


def stop_request(stop: TourStop, opener: LinkOpener) -> LinkRequest:
    values, notices = read_values(opener.fields().get(stop.place, ()), stop.inputs)
    return LinkRequest(stop.place, values, tuple(notices))


def panel_markdown(index: int) -> str:
    stop = TOUR[index]
    return (f"**Interview tour · step {index + 1} of {len(TOUR)} — {stop.title}**\n\n{stop.points}\n\n"
            f"<small>{KEYS_HINT}</small>")


@dataclass
class TourUI:
    start: Any
    presentation: Any
    box: Any = None  # the floating gr.Column with the panel and the buttons, shown during a tour
    panel: Any = None
    previous: Any = None
    next: Any = None
    end: Any = None
    step: Any = None  # gr.State: the index of the stop shown, None when no tour runs


def layout_tour_controls() -> TourUI:
    """Start and presentation mode, for the header row; then `layout_tour_box` anywhere on the page."""
    return TourUI(start=gr.Button("Interview tour", size="sm", elem_id="tour-start", scale=0, min_width=140),
                  presentation=gr.Checkbox(False, label="Presentation mode (larger type)", container=False,
                                           elem_id="presentation-mode", scale=0, min_width=260))


def layout_tour_box(ui: TourUI) -> None:
    with gr.Column(visible=False, elem_id="tour-box") as ui.box:
        ui.panel = gr.Markdown(elem_id="tour-panel")
        with gr.Row():
            ui.previous = gr.Button("◀ Previous", size="sm", elem_id="tour-prev")
            ui.next = gr.Button("Next ▶", size="sm", variant="primary", elem_id="tour-next")
            ui.end = gr.Button("End tour", size="sm", elem_id="tour-end")
    ui.step = gr.State(None)


def open_tour_stop(opener: LinkOpener, index: int) -> list[Any]:
    """Opening stop `index`: the view (as a link opens it), then the tour's own controls and panel."""
    stop = TOUR[index]
    controls = [index, gr.Column(visible=True), panel_markdown(index), gr.Button(interactive=index > 0),
                gr.Button(interactive=index < len(TOUR) - 1)]
    return opener.values(stop_request(stop, opener), what="Tour", anchor=stop.anchor) + controls


def end_tour() -> list[Any]:
    return [None, gr.Column(visible=False)]


def wire_tour(demo: gr.Blocks, ui: TourUI, opener: LinkOpener) -> None:
    outputs = opener.outputs() + [ui.step, ui.box, ui.panel, ui.previous, ui.next]
    private = dict(api_visibility="private", show_progress="hidden")

    def start_tour():
        return open_tour_stop(opener, 0)

    def step_by(delta: int):
        def tour_step(index: int | None):
            here = 0 if index is None else index
            return open_tour_stop(opener, min(max(here + delta, 0), len(TOUR) - 1))
        return tour_step

    opener.after_open(ui.start.click(start_tour, None, outputs, **private))
    opener.after_open(ui.next.click(step_by(1), [ui.step], outputs, **private))
    opener.after_open(ui.previous.click(step_by(-1), [ui.step], outputs, **private))
    ui.end.click(end_tour, None, [ui.step, ui.box], **private)
    ui.presentation.change(None, [ui.presentation], None, js=PRESENTATION_JS, **private)
    demo.load(None, None, None, js=KEYS_JS, api_visibility="private")
