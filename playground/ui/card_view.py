"""One model card rendered for reading — the same view in the Models tab and in the heads tabs' accordions:
a facts table, the sourced benchmark numbers with their kind, then the card's own prose."""

from __future__ import annotations

from typing import Any

from playground.tasks.cards import ModelCardInfo


def _cell(text: object) -> str:
    """A value that is safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _card_facts(card: ModelCardInfo) -> list[tuple[str, Any]]:
    """The facts table of a card: (field, value) rows."""
    extra = card.extra
    shape = ", ".join(s for s in (
        f"{card.layers} layers" if card.layers else "", f"hidden size {card.hidden_size}" if card.hidden_size else "",
        f"{card.heads} heads" if card.heads else "",
        f"{card.max_positions} positions" if card.max_positions else "") if s)
    params = f"{card.parameters:,}" if card.parameters else "not stated"
    if extra.get("parameters_paper"):
        params += f" (as published: {extra['parameters_paper']})"
    vocab = " — ".join(str(v) for v in (f"{card.vocab_size:,}" if card.vocab_size else None, card.tokenizer) if v)
    paper = card.paper or {}
    facts = [
        ("Architecture", f"{card.architecture}" + (f" — {shape}" if shape else "")),
        ("Parameters", params),
        ("Vocabulary / tokenizer", vocab or "—"),
        ("Objective", card.objective),
        ("Pre-training data", extra.get("pretraining_data") or "—"),
        ("Context", card.context_direction or "—"),
        ("Year", card.year),
        ("Paper", f"[{paper.get('title', '—')}]({paper.get('url', '')}) — {paper.get('authors', '')}"),
        ("License", card.license or "—"),
    ]
    if extra.get("base_model"):
        facts.insert(1, ("Fine-tuned from", f"`{extra['base_model']}`"))
    if extra.get("fine_tuning_data"):
        facts.insert(2, ("Fine-tuning data", extra["fine_tuning_data"]))
    return facts


def card_markdown(card: ModelCardInfo) -> str:
    """One card rendered for reading: facts table, sourced benchmarks, then the card's own prose."""
    if card.runnable:
        where = ", ".join(f"`{t}`" for t in card.tasks) or "no playground task (measured and compared only)"
        badge = f"▶️ **Runnable** — Hub id [`{card.hub_id}`](https://huggingface.co/{card.hub_id}); used for: {where}"
    else:
        badge = "📜 **History card** — described for context; not runnable in the playground"
    lines = [f"## {card.display_name}", badge, "", "| Field | Value |", "|---|---|"]
    lines += [f"| **{k}** | {_cell(v)} |" for k, v in _card_facts(card)]
    if card.benchmarks:
        lines += ["", "### Published benchmarks", "| Benchmark | Value | Kind | Source |", "|---|---|---|---|"]
        lines += [f"| {_cell(b.name)}{' ↓' if b.lower_is_better else ''} | {b.value:g} | {_cell(b.kind_label)} | "
                  f"{_cell(b.source + (f' — averages: {b.averaged_over}' if b.averaged_over else ''))} |"
                  for b in card.benchmarks]
        if any(b.lower_is_better for b in card.benchmarks):
            lines.append("\n↓ lower is better.")
    else:
        lines += ["", "_No benchmark numbers on this card._"]
    body = card.body
    if body.startswith("# "):  # the card's own title repeats the heading above
        body = body.split("\n", 1)[1].lstrip() if "\n" in body else ""
    lines += ["", "---", "", body]
    return "\n".join(lines)
