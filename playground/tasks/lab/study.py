"""The measured study behind the fine-tuning lab's defaults, and the results the tab shows at once.

    python -m playground.tasks.lab.study              # both phases; writes playground/tasks/lab/finetune_study.json
    python -m playground.tasks.lab.study --markdown   # prints the saved study as docs/lab.md's tables

About 700 fine-tuning runs of ~1.75 s on one quiet core (~20 minutes; one thread, seeded: the same numbers).

1. **Validation** (the labelled examples from two training frames, accuracy on the third): every recipe at its
   candidate learning rates, the three poolings, the ULMFiT stage-2 learning rate; 5 seeded repeats, 8 and 32
   examples, the shipped lab-bert / lab-gpt / lab-lstm pre-trained and from scratch. The choice: the condition
   with the best mean pre-trained accuracy over the models and sizes.
2. **Test** (training frames → the held-out frames, never used for a choice): each recipe at its chosen
   learning rate and pooling, 8/16/32/64 examples, 5 repeats; the default recipe also with ULMFiT's curve.
   The default recipe's result is what the tab draws before any run.
3. **Transfer anyway** (`--phase remedy`, ~15 minutes under load): lab-bert's masked-LM pre-training continued
   on cued reviews, its step count chosen on the validation split, then its test curve (one more curve).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from playground.tasks import lab
from playground.tasks.lab.corpus import corpus_reviews
from playground.tasks.lab.finetune import (DEFAULT_LM_STEPS, DEFAULT_SIZES, DEFAULT_STEPS, INITS, LEARNING_RATES,
                                           POOLING, POOLINGS, REMEDY, ULMFIT, FinetunePoint, FinetuneResult,
                                           draw_examples, finetune_curve, split_examples, spread, validation_split)
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM, SHIPPED_DIR
from playground.tasks.lab.slots import embedding_geometry, slot_polarity
from playground.tasks.lab.study_results import RESULTS_PATH, markdown_tables

MODELS = (LAB_BERT, LAB_GPT, LAB_LSTM)
REPEATS = 5
VALIDATION_SIZES = (8, 32)
# (recipe, learning rate, pooling): the pooling is the same for every model in a condition
# (a larger grid — every pooling for every recipe, three models — did not fit the 2 shared cores in time)
CANDIDATES = ([("frozen", 1e-2, p) for p in POOLINGS] + [("full", 1e-3, "mean"), ("full", 1e-4, "mean"),
                                                         ("gradual", 1e-3, "mean")]
              + [("full", 1e-3, "first"), ("full", 1e-3, "last"), ("gradual", 1e-2, "mean"), ("frozen", 1e-1, "mean")])
VALIDATION_MODELS = (LAB_BERT, LAB_GPT)
LM_LEARNING_RATES = (1e-4,)  # ULMFiT's stage 2: one rate, not tuned


def _rows(result: FinetuneResult, **condition: Any) -> list[dict]:
    return [{**condition, "model": p.model_name, "init": p.init, "examples": p.examples, "mean": p.accuracy,
             "sd": p.sd, "accuracies": list(p.accuracies)} for p in result.points]


def _score(rows: list[dict], **condition: Any) -> float:
    """Mean pre-trained accuracy over models and sizes for one condition."""
    picked = [r["mean"] for r in rows if r["init"] != "from scratch"
              and all(r.get(k) == v for k, v in condition.items())]
    return statistics.fmean(picked)


def validation_rows(candidates=CANDIDATES, log=print) -> list[dict]:
    split = validation_split()
    rows: list[dict] = []
    for recipe, lr, pooling in candidates:
        result = finetune_curve(SHIPPED_DIR, sizes=VALIDATION_SIZES, models=VALIDATION_MODELS, steps=DEFAULT_STEPS,
                                repeats=REPEATS, learning_rate=lr, recipe=recipe, pooling=pooling, split=split)
        rows += _rows(result, recipe=recipe, learning_rate=lr, pooling=pooling)
        log(f"validation {recipe} lr={lr:g} pooling={pooling}: "
            f"{_score(rows, recipe=recipe, learning_rate=lr, pooling=pooling):.3f}")
    return rows


def choose(rows: list[dict]) -> dict:
    """Per recipe the learning rate with the best mean pre-trained validation accuracy (each model at its best
    pooling for that rate); the default recipe is the best of those; its poolings are per model (the LSTM, not
    in the validation, reads its last token like GPT)."""
    conditions = list(dict.fromkeys((r["recipe"], r["learning_rate"]) for r in rows))
    poolings = {c: {m: max(POOLINGS, key=lambda p: _score_or_zero(rows, recipe=c[0], learning_rate=c[1], pooling=p,
                                                                   model=m))
                    for m in VALIDATION_MODELS} for c in conditions}

    def score(c) -> float:
        return statistics.fmean(_score(rows, recipe=c[0], learning_rate=c[1], pooling=poolings[c][m], model=m)
                                for m in VALIDATION_MODELS)
    best = {recipe: max((c for c in conditions if c[0] == recipe), key=score)
            for recipe in dict.fromkeys(r for r, _ in conditions)}
    default = max(best, key=lambda r: score(best[r]))
    return {"recipe": default, "learning_rates": {r: c[1] for r, c in best.items()},
            "poolings": {**poolings[best[default]], LAB_LSTM: "last"}, "lm_learning_rate": LM_LEARNING_RATES[0],
            "scores": {f"{r} {lr:g}": score((r, lr)) for r, lr in conditions}}


def _score_or_zero(rows: list[dict], **condition: Any) -> float:
    return _score(rows, **condition) if any(all(r.get(k) == v for k, v in condition.items()) for r in rows) else 0.0


def validation(log=print) -> dict:
    split = validation_split()
    rows = validation_rows(CANDIDATES, log)
    return {"rows": rows, "train_pool": len(split[0]), "held_out": len(split[1]), "choice": choose(rows)}


def test(choice: dict, models=MODELS, log=print) -> FinetuneResult:
    """The default recipe on the held-out frames, each model at its chosen pooling, with ULMFiT's curve (stage 3
    at gradual unfreezing's chosen rate); one result (pooling "auto": per model, as chosen)."""
    recipe = choice["recipe"]
    results = [finetune_curve(SHIPPED_DIR, sizes=DEFAULT_SIZES, models=(name,), repeats=REPEATS,
                              learning_rate=choice["learning_rates"][recipe], recipe=recipe,
                              pooling=choice["poolings"][name], ulmfit=True, lm_steps=DEFAULT_LM_STEPS,
                              lm_learning_rate=choice["lm_learning_rate"],
                              ulmfit_learning_rate=choice["learning_rates"]["gradual"]) for name in models]
    log(f"test {recipe}: {sum(r.seconds for r in results):.0f} s")
    return dataclasses.replace(results[0], points=tuple(p for r in results for p in r.points), pooling="auto",
                               seconds=sum(r.seconds for r in results))


# ---- transfer anyway: more masked-LM pre-training where the sentiment is predictable ------------------------
# lab-bert's masked slot does not tell antonyms apart (the probe). The remedy measured: continue its masked-LM
# pre-training on review sentences whose sentiment another word gives away (the verb or the reaction: "The movie
# was ___, and Anna asked for a refund."), then the lab's default fine-tuning. Its LM steps and learning rate are
# chosen on the validation split; the test frames' sentences never appear in these texts.
REMEDY_TEXTS = 600  # corpus_reviews(600): unlabelled here, labels unused
REMEDY_CANDIDATES = ((400, 1e-3), (1000, 1e-3), (2000, 1e-3))  # (masked-LM steps, learning rate)


def remedy_curve(sizes, lm_steps: int, lm_learning_rate: float, split=None, repeats: int = REPEATS,
                 log=print) -> list[FinetunePoint]:
    """lab-bert after `lm_steps` more masked-LM steps on the cued reviews, then full fine-tuning (the default
    recipe, rate and pooling); seeded like `finetune_curve` (same example draws per repeat and size)."""
    pool, held = split or split_examples()
    texts = [r.text for r in corpus_reviews(REMEDY_TEXTS)]
    if set(texts) & {e.text for e in held}:
        raise ValueError("a held-out sentence is among the remedy's pre-training texts")
    scores: dict[int, list[float]] = {n: [] for n in sizes}
    for repeat in range(repeats):
        body, tokenizer, hidden = lab.transfer.lm_finetune(SHIPPED_DIR, LAB_BERT, texts, lm_steps, lm_learning_rate,
                                                           repeat)
        for n in sizes:
            examples = draw_examples(pool, n, 1000 * repeat + n)
            scores[n].append(lab.transfer.train_and_score(lab.transfer.copied(body), tokenizer, hidden,
                                                          POOLING[LAB_BERT], examples, held, DEFAULT_STEPS,
                                                          LEARNING_RATES["full"], repeat, recipe="full"))
        log(f"remedy {lm_steps}@{lm_learning_rate:g}: repeat {repeat + 1}/{repeats}")
    return [FinetunePoint(LAB_BERT, REMEDY, n, statistics.fmean(v), tuple(v), spread(v)) for n, v in scores.items()]


def remedy(log=print) -> dict:
    """Validation over REMEDY_CANDIDATES (best mean over the validation sizes), then the test curve."""
    split = validation_split()
    rows = [{"lm_steps": steps, "lm_learning_rate": lr, **dataclasses.asdict(p)}
            for steps, lr in REMEDY_CANDIDATES for p in remedy_curve(VALIDATION_SIZES, steps, lr, split, log=log)]
    best = max(REMEDY_CANDIDATES, key=lambda c: statistics.fmean(
        r["accuracy"] for r in rows if (r["lm_steps"], r["lm_learning_rate"]) == c))
    test_points = remedy_curve(DEFAULT_SIZES, *best, log=log)
    return {"texts": REMEDY_TEXTS, "validation": rows, "choice": {"lm_steps": best[0], "lm_learning_rate": best[1]},
            "test": [dataclasses.asdict(p) for p in test_points]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.tasks.lab.study", description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=("all", "validation", "test", "remedy"), default="all")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    parser.add_argument("--markdown", action="store_true", help="only print the saved study as Markdown tables")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_tables(json.loads(args.out.read_text())))
        return 0
    started = time.perf_counter()
    study = json.loads(args.out.read_text()) if args.out.exists() and args.phase in ("test", "remedy") else {}
    if args.phase in ("all", "validation"):
        study["validation"] = validation(lambda line: print(line, flush=True))
    if args.phase in ("all", "test"):
        choice = study["validation"]["choice"]
        study["test"] = {choice["recipe"]: dataclasses.asdict(test(choice, log=lambda line: print(line, flush=True)))}
    if args.phase in ("all", "remedy"):
        study["remedy"] = remedy(lambda line: print(line, flush=True))
    study["seconds"] = study.get("seconds", 0) + time.perf_counter() - started
    study["diagnosis"] = {"slot_polarity": [dataclasses.asdict(r) for r in slot_polarity(SHIPPED_DIR)],
                          "embedding_geometry": [dataclasses.asdict(r) for r in embedding_geometry(SHIPPED_DIR)]}
    study["repeats"], study["inits"] = REPEATS, list(INITS) + [ULMFIT]
    args.out.write_text(json.dumps(study, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
