"""The fine-tuning study's shipped results (`finetune_study.json`, written by `python -m playground.tasks.lab.study`)
read back for the tab: the default recipe's curves on the held-out frames as a `FinetuneResult`, the validation
table that chose the defaults, the slot-polarity probe, and a headline computed from those numbers (no torch).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.tasks.lab.finetune import INITS, RECIPES, REMEDY, ULMFIT, FinetunePoint, FinetuneResult

RESULTS_PATH = Path(__file__).with_name("finetune_study.json")
REGENERATE = "python -m playground.tasks.lab.study"
SMALL_SIZES = 2  # "small data": the first two sizes of the curve (8 and 16 examples)


@dataclass(frozen=True)
class StudyView:
    result: FinetuneResult  # the default recipe on the held-out frames
    validation_rows: list[list[Any]]  # condition × model × init × size: mean ± sd
    validation_sizes: tuple[int, ...]
    probe_rows: list[list[Any]]
    headline: str
    evidence: str  # the slot-polarity probe in one sentence
    remedy_rows: tuple[tuple[Any, ...], ...] = ()  # the "transfer anyway" candidates on validation


def result_from_json(data: dict) -> FinetuneResult:
    points = tuple(FinetunePoint(**{**p, "accuracies": tuple(p["accuracies"])}) for p in data["points"])
    return FinetuneResult(**{**data, "sizes": tuple(data["sizes"]), "points": points,
                             "notices": tuple(data.get("notices", ()))})


def study_result(study: dict) -> FinetuneResult:
    """The default recipe's test curves, with the "transfer anyway" curve (lab-bert, `REMEDY`) when measured:
    the same recipe, sizes, repeats and example draws, so it is one more curve of the same figure."""
    result = result_from_json(study["test"][study["validation"]["choice"]["recipe"]])
    extra = tuple(FinetunePoint(**{**p, "accuracies": tuple(p["accuracies"])})
                  for p in study.get("remedy", {}).get("test", []))
    return dataclasses.replace(result, points=result.points + extra) if extra else result


def remedy_rows(study: dict) -> tuple[tuple[Any, ...], ...]:
    """One row per candidate (masked-LM steps, learning rate): lab-bert's validation accuracy at each size."""
    groups: dict[tuple, dict[int, str]] = {}
    for r in study.get("remedy", {}).get("validation", []):
        groups.setdefault((r["lm_steps"], f"{r['lm_learning_rate']:g}"), {})[r["examples"]] = mean_sd(r["accuracy"],
                                                                                                       r["sd"])
    return tuple(key + tuple(cells[n] for n in sorted(cells)) for key, cells in groups.items())


def mean_sd(mean: float, sd: float) -> str:
    return f"{mean:.3f} ± {sd:.3f}"


def validation_rows(study: dict) -> list[list[Any]]:
    """One row per (recipe, learning rate, pooling, model, init): mean ± sd at each validation size."""
    groups: dict[tuple, dict[int, str]] = {}
    for r in study["validation"]["rows"]:
        key = (RECIPES.get(r["recipe"], r["recipe"]), f"{r['learning_rate']:g}", r["pooling"], r["model"], r["init"])
        groups.setdefault(key, {})[r["examples"]] = mean_sd(r["mean"], r["sd"])
    sizes = sorted({r["examples"] for r in study["validation"]["rows"]})
    return [list(key) + [cells.get(n, "–") for n in sizes] for key, cells in groups.items()]


def probe_rows(study: dict) -> list[list[Any]]:
    geometry = {g["model_name"]: g for g in study.get("diagnosis", {}).get("embedding_geometry", [])}
    rows = []
    for s in study.get("diagnosis", {}).get("slot_polarity", []):
        g = geometry.get(s["model_name"], {})
        rows.append([s["model_name"], s["context"], mean_sd(s["agreement"], s["sd"]), s["contexts"],
                     f"{g.get('within', float('nan')):.3f}", f"{g.get('across', float('nan')):.3f}"])
    return rows


def evidence(study: dict) -> str:
    """Where a review's sentiment is given away by another word, how much of each model's probability on the
    review adjectives goes to the right polarity (0.5: antonyms interchangeable in that slot)."""
    rows = study.get("diagnosis", {}).get("slot_polarity", [])
    if not rows:
        return ""
    parts = [f"{r['model_name']} {r['context'].split(':')[0]} {r['agreement']:.0%}" for r in rows]
    return ("Why, probed: where another word gives the sentiment away, the share of each pre-trained model's "
            "probability on the 20 review adjectives that goes to the right polarity (50 % = antonyms "
            "interchangeable in that slot): " + ", ".join(parts) + ".")


def _curve(result: FinetuneResult, name: str, init: str) -> list[FinetunePoint]:
    return [p for p in result.points if p.model_name == name and p.init == init]


def headline(result: FinetuneResult) -> str:
    """Per model: does pre-training beat scratch at the small sizes by more than the spread? Said plainly."""
    lines = []
    for name in dict.fromkeys(p.model_name for p in result.points):
        pre, scratch = _curve(result, name, INITS[0]), _curve(result, name, INITS[1])
        if not pre or not scratch:
            continue
        small = list(zip(pre, scratch))[:SMALL_SIZES]
        cells = "; ".join(f"{p.examples} examples {p.accuracy:.0%} ± {p.sd:.0%} vs {s.accuracy:.0%} ± {s.sd:.0%}"
                          for p, s in small)
        helps = all(p.accuracy - p.sd > s.accuracy + s.sd for p, s in small)
        hurts = all(p.accuracy + p.sd < s.accuracy - s.sd for p, s in small)
        verdict = ("pre-training **helps**" if helps else "pre-training **hurts**" if hurts
                   else "pre-training does **not** clearly help (the bands overlap)")
        ulmfit = _curve(result, name, ULMFIT)[:SMALL_SIZES]
        extra = ("; ULMFiT's three stages: " + ", ".join(f"{u.accuracy:.0%} ± {u.sd:.0%}" for u in ulmfit)) if ulmfit else ""
        remedy = _curve(result, name, REMEDY)[:SMALL_SIZES]
        extra += ("; with more masked-LM pre-training on reviews whose sentiment another word gives away: "
                  + ", ".join(f"{u.accuracy:.0%} ± {u.sd:.0%}" for u in remedy)) if remedy else ""
        lines.append(f"- **{name}**: {verdict} — pre-trained vs from scratch, {cells}{extra}.")
    return "\n".join(lines)


def load_study(path: Path = RESULTS_PATH) -> StudyView | None:
    """The shipped study, or None when there is none (the tab then waits for a run)."""
    try:
        study = json.loads(Path(path).read_text())
        result = study_result(study)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    sizes = tuple(sorted({r["examples"] for r in study["validation"]["rows"]}))
    return StudyView(result=result, validation_rows=validation_rows(study), validation_sizes=sizes,
                     probe_rows=probe_rows(study), evidence=evidence(study),
                     headline=headline(result), remedy_rows=remedy_rows(study))


def markdown_tables(study: dict) -> str:
    """The study as the Markdown tables of docs/lab.md (`python -m playground.tasks.lab.study --markdown`)."""
    out = ["Validation (train: 2 training frames, measure: the 3rd; mean ± sd of "
           f"{study.get('repeats', '?')} repeats):", "",
           "| recipe | learning rate | pooling | model | init | " + " | ".join(
               f"{n} examples" for n in sorted({r['examples'] for r in study['validation']['rows']})) + " |",
           "| --- | --- | --- | --- | --- | " + " | ".join("---" for _ in {r['examples'] for r in study['validation']['rows']}) + " |"]
    out += ["| " + " | ".join(map(str, row)) + " |" for row in validation_rows(study)]
    result = study_result(study)
    out += ["", f"Test (held-out frames; {RECIPES.get(result.recipe, result.recipe)}, learning rate "
                f"{result.learning_rate:g}, pooling {result.pooling}, {result.steps} steps; mean ± sd of "
                f"{result.repeats} repeats):", "",
            "| model | init | " + " | ".join(f"{n} examples" for n in result.sizes) + " |",
            "| --- | --- | " + " | ".join("---" for _ in result.sizes) + " |"]
    for name, init in dict.fromkeys((p.model_name, p.init) for p in result.points):
        cells = {p.examples: mean_sd(p.accuracy, p.sd) for p in _curve(result, name, init)}
        out.append(f"| {name} | {init} | " + " | ".join(cells.get(n, "–") for n in result.sizes) + " |")
    out += ["", "Slot polarity and embedding geometry (pre-trained models):", "",
            "| model | slot | share on the cue's polarity (mean ± sd) | contexts | cosine within | cosine across |",
            "| --- | --- | --- | --- | --- | --- |"]
    out += ["| " + " | ".join(map(str, row)) + " |" for row in probe_rows(study)]
    if remedy_rows(study):
        out += ["", "Transfer anyway — lab-bert's extra masked-LM steps on cued reviews, chosen on validation "
                    "(default fine-tuning after it; mean ± sd of the repeats):", "",
                "| masked-LM steps | learning rate | " + " | ".join(
                    f"{n} examples" for n in sorted({r["examples"] for r in study["remedy"]["validation"]})) + " |",
                "| --- | --- | " + " | ".join("---" for _ in remedy_rows(study)[0][2:]) + " |"]
        out += ["| " + " | ".join(map(str, row)) + " |" for row in remedy_rows(study)]
    return "\n".join(out)
