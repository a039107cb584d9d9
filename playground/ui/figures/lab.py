"""Figures for the Pretraining lab: the loss curves (the masked-LM loss and the next-token losses on separate
axes: different tasks over different tokens, not comparable numbers), and the fine-tuning curve."""

from __future__ import annotations

from playground.ui import figures

COLOURS = {"lab-bert": "#2563eb", "lab-gpt": "#dc2626", "lab-lstm": "#059669"}
CHECKPOINT_COLOUR = "#7c3aed"  # a real checkpoint fine-tuned next to the lab models


# Each panel: which models it holds, and its title. The masked-LM loss covers ~15% of the tokens, predicted
# from both sides; the next-token loss every token, from the left: different tasks, so never on one axis.
LOSS_PANELS = (
    ("masked", "BERT: masked-LM loss\n(the ~15% masked tokens, from both sides)"),
    ("next-token", "GPT and LSTM: next-token loss\n(every token, from the left; same task, comparable)"),
)


def loss_panel(name: str) -> str:
    """"masked" for a lab BERT (lab-bert, lab-bert@run), "next-token" for the left-to-right models."""
    return "masked" if name.split("@")[0].endswith("bert") else "next-token"


def loss_curves_figure(curves: dict, title: str = ""):
    """Train loss (lines) and held-out loss (dashed, dots) per model against the step: BERT's masked-LM loss
    and the next-token losses on separate axes, each with its own scale."""
    fig = figures.canvas.Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    axes = dict(zip((key for key, _ in LOSS_PANELS), fig.subplots(1, 2)))
    for name, points in curves.items():
        ax, colour = axes[loss_panel(name)], COLOURS.get(name, None)
        ax.plot([p.step for p in points], [p.train_loss for p in points], color=colour, lw=1.6,
                label=f"{name} train")
        held = [(p.step, p.heldout_loss) for p in points if p.heldout_loss is not None]
        if held:
            ax.plot(*zip(*held), color=colour, lw=1.2, ls="--", marker="o", ms=4, label=f"{name} held-out")
    for key, panel_title in LOSS_PANELS:
        ax = axes[key]
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats per predicted token)")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
        ax.set_title(panel_title, fontsize=9)
    fig.suptitle(title or "Loss curves — BERT's and GPT's losses are different tasks over different tokens: "
                 "compare each with itself, not with each other", fontsize=10)
    return fig


INIT_STYLES = {"pre-trained": "-", "from scratch": "--", "pre-trained + LM fine-tuned": "-.",
               "pre-trained + more MLM on cued reviews": ":"}


def finetune_figure(result):
    """Accuracy against the number of labelled examples: pre-trained (solid), from scratch (dashed), ULMFiT's
    three stages (dash-dot); each curve is the mean of the repeats shown, its band ± one sample standard
    deviation of the same repeats (`FinetunePoint.sd`), the dots the repeats themselves."""
    fig = figures.canvas.Figure(figsize=(10, 4.4), dpi=100, layout="constrained")
    ax = fig.subplots()
    for name in dict.fromkeys(p.model_name for p in result.points):
        for init, style in INIT_STYLES.items():
            points = [p for p in result.points if p.model_name == name and p.init == init]
            if not points:  # a real checkpoint is fine-tuned from its pre-trained weights only
                continue
            colour = COLOURS.get(name, CHECKPOINT_COLOUR)
            xs, means = [p.examples for p in points], [p.accuracy for p in points]
            ax.fill_between(xs, [p.accuracy - p.sd for p in points], [p.accuracy + p.sd for p in points],
                            color=colour, alpha=0.12, lw=0)
            ax.plot(xs, means, ls=style, marker="o", color=colour, label=f"{name}, {init}")
            for p in points:
                ax.scatter([p.examples] * len(p.accuracies), p.accuracies, s=6, color=colour, alpha=0.35)
    ax.axhline(result.chance, color="#9ca3af", lw=1, ls=":", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(result.sizes), [str(n) for n in result.sizes])
    ax.set_ylim(0.3, 1.02)
    ax.set_xlabel("labelled examples")
    ax.set_ylabel(f"accuracy on {result.test_size} held-out sentences")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), handlelength=3)  # beside: bands stay visible
    ax.set_title(f"Sentiment, {getattr(result, 'recipe', 'full')} fine-tuning: mean of {result.repeats} "
                 f"repeats, band ± 1 sd", fontsize=10)
    return fig
