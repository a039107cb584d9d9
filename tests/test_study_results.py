"""The fine-tuning study's shipped results read back for the tab: the result, the validation table, the probe
rows, and a headline computed from the numbers (it says plainly when pre-training does not help)."""

from __future__ import annotations

import dataclasses
import json

from playground.tasks.lab.corpus import corpus_reviews
from playground.tasks.lab.finetune import REMEDY, ULMFIT, FinetunePoint, FinetuneResult, split_examples, validation_split
from playground.tasks.lab.study_results import RESULTS_PATH, headline, load_study, markdown_tables
from playground.ui.tabs.lab import finetune_rows, study_note


def _point(name, init, n, scores):
    mean = sum(scores) / len(scores)
    sd = (sum((s - mean) ** 2 for s in scores) / (len(scores) - 1)) ** 0.5
    return FinetunePoint(name, init, n, mean, tuple(scores), sd)


def _result() -> FinetuneResult:
    points = (_point("lab-gpt", "pre-trained", 8, [0.95, 1.0, 0.97]), _point("lab-gpt", "pre-trained", 16, [1.0, 1.0, 0.99]),
              _point("lab-gpt", "from scratch", 8, [0.55, 0.6, 0.5]), _point("lab-gpt", "from scratch", 16, [0.6, 0.7, 0.65]),
              _point("lab-bert", "pre-trained", 8, [0.5, 0.6, 0.55]), _point("lab-bert", "pre-trained", 16, [0.6, 0.5, 0.7]),
              _point("lab-bert", "from scratch", 8, [0.55, 0.6, 0.5]), _point("lab-bert", "from scratch", 16, [0.6, 0.65, 0.7]),
              _point("lab-bert", ULMFIT, 8, [0.5, 0.52, 0.51]), _point("lab-bert", ULMFIT, 16, [0.5, 0.55, 0.6]))
    return FinetuneResult(sizes=(8, 16), points=points, test_size=240, repeats=3, steps=40, learning_rate=1e-3,
                          seconds=10, lm_steps=200)


def test_headline_says_where_pre_training_helps_and_where_it_does_not():
    text = headline(_result())
    gpt, bert = text.splitlines()
    assert gpt.startswith("- **lab-gpt**: pre-training **helps**") and "8 examples 97% ± 3% vs 55% ± 5%" in gpt
    assert bert.startswith("- **lab-bert**: pre-training does **not** clearly help") and "ULMFiT" in bert


def test_study_file_round_trips_into_the_tab(tmp_path):
    result = _result()
    study = {"validation": {"rows": [{"recipe": "full", "learning_rate": 1e-3, "pooling": "mean", "model": "lab-gpt",
                                      "init": "pre-trained", "examples": 8, "mean": 0.9, "sd": 0.05,
                                      "accuracies": [0.85, 0.95]}],
                            "choice": {"recipe": "full"}},
             "test": {"full": dataclasses.asdict(result)},
             "diagnosis": {"slot_polarity": [{"model_name": "lab-bert", "context": "left cue", "agreement": 0.5,
                                              "sd": 0.04, "contexts": 96}],
                           "embedding_geometry": [{"model_name": "lab-bert", "within": 0.845, "across": 0.83}]}}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study))
    view = load_study(path)
    assert view.result == result  # the curves shown are the repeats stored, spread included
    assert view.validation_rows == [["full fine-tuning", "0.001", "mean", "lab-gpt", "pre-trained", "0.900 ± 0.050"]]
    assert view.probe_rows == [["lab-bert", "left cue", "0.500 ± 0.040", 96, "0.845", "0.830"]]
    assert "python -m playground.tasks.lab.study" in study_note(view) and "lab-bert" in study_note(view)
    assert "lab-bert left cue 50%" in view.evidence and view.evidence in study_note(view)
    assert finetune_rows(result)[0] == ["lab-gpt", "pre-trained", "97% ± 3%", "100% ± 1%"]
    assert load_study(tmp_path / "missing.json") is None


def test_the_shipped_study_loads_and_is_small():
    view = load_study()
    assert view is not None, f"{RESULTS_PATH} is missing or unreadable: run python -m playground.tasks.lab.study"
    assert RESULTS_PATH.stat().st_size < 200_000
    assert view.result.repeats >= 5 and all(len(p.accuracies) == view.result.repeats for p in view.result.points)
    assert {p.init for p in view.result.points} >= {"pre-trained", "from scratch", ULMFIT, REMEDY}
    assert view.remedy_rows and all(len(row) == 2 + len(view.validation_sizes) for row in view.remedy_rows)


def test_the_transfer_anyway_curve_joins_the_figure_and_its_validation_table_the_tab(tmp_path):
    result = _result()
    remedy = [_point("lab-bert", REMEDY, 8, [0.9, 1.0, 0.5]), _point("lab-bert", REMEDY, 16, [0.95, 1.0, 0.6])]
    study = {"validation": {"rows": [{"recipe": "full", "learning_rate": 1e-3, "pooling": "mean", "model": "lab-bert",
                                      "init": "pre-trained", "examples": 8, "mean": 0.6, "sd": 0.05,
                                      "accuracies": [0.55, 0.65]}], "choice": {"recipe": "full"}},
             "test": {"full": dataclasses.asdict(result)},
             "remedy": {"validation": [{"lm_steps": 400, "lm_learning_rate": 1e-3, **dataclasses.asdict(p)}
                                       for p in remedy[:1]],
                        "test": [dataclasses.asdict(p) for p in remedy]}}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study))
    view = load_study(path)
    assert view.result.points == result.points + tuple(remedy)  # the repeats stored, spread recomputed from them
    assert view.remedy_rows == ((400, "0.001", "0.800 ± 0.265"),)
    assert "more masked-LM pre-training" in view.headline and "80% ± 26%" in view.headline
    assert "| 400 | 0.001 | 0.800 ± 0.265 |" in markdown_tables(study)


def test_the_remedy_pre_trains_on_no_held_out_sentence():
    texts = {r.text for r in corpus_reviews(600)}
    assert len(texts) == 600
    for _, held in (split_examples(), validation_split()):
        assert not texts & {e.text for e in held}
