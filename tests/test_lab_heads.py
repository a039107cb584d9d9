"""The lab heads (`playground/tasks/lab/heads.py`): the shipped ones are right on held-out lab data, are what
`--models lab` serves in their tabs, and say their held-out score next to the real checkpoint's card.

The quality tests load the SHIPPED checkpoints (fast) and measure them on data no head was trained on; the
training tests (`slow`) retrain a head with the shipped recipe and another seed."""

from __future__ import annotations

import json
import shutil

import pytest

from playground.tasks.lab import heads, runs
from playground.tasks.lab.finetune import split_examples
from playground.tasks.lab.paragraphs import NSP_TRAIN_PAIRS, nsp_pairs
from playground.tasks.lab.qa_data import qa_examples

HEAD_TASKS = {"lab-sentiment": "sentiment", "lab-nsp": "nsp", "lab-electra": "replaced-token-detection",
              "lab-qa": "question-answering", "lab-summarizer": "summarization"}
MAX_HEAD_BYTES = 1.2e6
MAX_SHIPPED_BYTES = 10e6


def _shipped_heads() -> dict:
    return runs.head_scores(runs.SHIPPED_DIR)


pytestmark = pytest.mark.skipif(not runs.check_run(runs.SHIPPED_DIR).ok or len(_shipped_heads()) < len(HEAD_TASKS),
                                reason="the lab heads are not shipped (python -m playground pretrain --heads --run "
                                       "playground/models/lab_pretrained)")


@pytest.fixture(scope="module")
def lab_ctx(tmp_path_factory):
    from playground.tasks.context import AppOptions, make_context

    root = tmp_path_factory.mktemp("lab-heads")
    return make_context(AppOptions(models="lab", tiny_dir=root / "tiny", lab_dir=root / "lab"))


# ---- shipped: files, sizes, manifest --------------------------------------------------------------------------

def test_the_shipped_heads_are_whole_small_and_listed_with_their_hashes():
    assert runs.check_run(runs.SHIPPED_DIR).ok  # every head file's size and sha256 is in the manifest
    manifest = json.loads((runs.SHIPPED_DIR / runs.MANIFEST).read_text())
    for name in HEAD_TASKS:
        files = {f: v for f, v in manifest["files"].items() if f.startswith(f"{name}/")}
        assert f"{name}/model.safetensors" in files and f"{name}/tokenizer.json" in files
        assert sum(v["bytes"] for v in files.values()) <= MAX_HEAD_BYTES, name
        assert manifest["heads"][name]["seed"] == 0 and manifest["heads"][name]["seconds"] > 0, name
    total = sum(p.stat().st_size for p in runs.SHIPPED_DIR.rglob("*") if p.is_file())
    assert total <= MAX_SHIPPED_BYTES


def test_every_head_reads_lab_berts_vocabulary():
    bert = (runs.SHIPPED_DIR / "lab-bert" / "tokenizer.json").read_text()
    for name in set(HEAD_TASKS) - {"lab-summarizer"}:  # a Pegasus with its own SentencePiece vocabulary
        assert json.loads((runs.SHIPPED_DIR / name / "tokenizer.json").read_text())["model"]["vocab"] == \
            json.loads(bert)["model"]["vocab"], name


# ---- served by --models lab ----------------------------------------------------------------------------------

def test_lab_mode_serves_each_head_first_in_its_tab(lab_ctx):
    for name, task in HEAD_TASKS.items():
        assert lab_ctx.profile.default(task) == name
        assert lab_ctx.store.local_models[name] == runs.SHIPPED_DIR / name


def test_a_run_without_heads_is_served_the_shipped_heads_that_fit_it(tmp_path):
    lab_dir = tmp_path / "lab"
    run = lab_dir / "runs" / "r1"
    shutil.copytree(runs.SHIPPED_DIR, run, ignore=shutil.ignore_patterns(*HEAD_TASKS))
    manifest = json.loads((run / runs.MANIFEST).read_text())
    manifest.pop("heads")
    manifest["files"] = {f: v for f, v in manifest["files"].items() if f.split("/")[0] not in HEAD_TASKS}
    (run / runs.MANIFEST).write_text(json.dumps(manifest))
    (lab_dir / "CURRENT").write_text("r1")
    assert runs.lab_run(lab_dir) == run
    served = runs.lab_models(lab_dir)
    assert served["lab-bert"] == run / "lab-bert" and served["lab-sentiment"] == runs.SHIPPED_DIR / "lab-sentiment"
    assert served["lab-electra"] == runs.SHIPPED_DIR / "lab-electra"  # same vocabulary file as this lab-bert
    # a lab-bert with another vocabulary: ELECTRA's discriminator cannot read its tokens, so it is not offered
    manifest["files"]["lab-bert/tokenizer.json"]["sha256"] = "0" * 64
    (run / runs.MANIFEST).write_text(json.dumps(manifest))
    assert set(runs._fitting_shipped_heads(run)) == set(HEAD_TASKS) - {"lab-electra"}


def test_a_run_without_heads_offers_none(tmp_path):
    from playground.models.profiles import lab_profile

    bare = tmp_path / "run"
    shutil.copytree(runs.SHIPPED_DIR, bare, ignore=shutil.ignore_patterns(*HEAD_TASKS))
    manifest = json.loads((bare / runs.MANIFEST).read_text())
    manifest.pop("heads")
    (bare / runs.MANIFEST).write_text(json.dumps(manifest))
    assert runs.head_scores(bare) == {}
    profile = lab_profile(served=["lab-bert", "lab-gpt"])
    assert profile.default("sentiment") != "lab-sentiment" and profile.default("fill-mask") == "lab-bert"


# ---- held-out quality of the shipped heads --------------------------------------------------------------------

def test_sentiment_head_is_right_on_held_out_lab_reviews(lab_ctx):
    from playground.tasks.sentiment import run_sentiment

    loaded = lab_ctx.model("lab-sentiment", "sentiment")
    pool, test = split_examples()
    assert not {e.text for e in test} & {e.text for e in pool}  # other frames than the training examples
    accuracy = heads.sentiment_accuracy(loaded.model, loaded.tokenizer, test)
    assert accuracy >= 0.9
    assert accuracy == pytest.approx(_shipped_heads()["lab-sentiment"]["score"]["value"])  # the number shown
    batch = run_sentiment(lab_ctx, "Anna loved the concert; it was wonderful.\nThe hotel was dreadful and dull.",
                          one_per_line=True, model_name="lab-sentiment")
    assert [r.label for r in batch.results] == ["POSITIVE", "NEGATIVE"]


def test_nsp_head_beats_chance_on_held_out_pairs(lab_ctx):
    from playground.tasks.nsp import nsp_api

    loaded = lab_ctx.model("lab-nsp", "nsp")
    test = nsp_pairs(600, heldout=True)
    assert not {(p.first, p.second) for p in test} & {(p.first, p.second) for p in nsp_pairs(NSP_TRAIN_PAIRS)}
    assert sum(p.is_next for p in test) == len(test) // 2  # balanced: chance (and any one-label answer) is 50 %
    assert heads.nsp_accuracy(loaded.model, loaded.tokenizer, test) >= 0.8
    follows = nsp_api(lab_ctx, "The dog barked at the mailman.", "Later the same dog chewed a bone.", "lab-nsp")
    unrelated = nsp_api(lab_ctx, "The dog barked at the mailman.", "Paris is the capital of France.", "lab-nsp")
    assert follows.verdict == "IsNext" and unrelated.verdict == "NotNext"
    assert any("held-out accuracy" in n.lower() or "Held-out accuracy" in n for n in follows.notices)


def test_electra_head_spots_lab_berts_replacements_on_held_out_sentences(lab_ctx):
    from playground.tasks.lab.corpus import builtin_heldout
    from playground.tasks.replaced_token_detection import replaced_tokens_api

    disc = lab_ctx.model("lab-electra", "replaced-token-detection")
    gen = lab_ctx.model("lab-bert", "fill-mask")
    numbers = heads.electra_scores(disc.model, gen.model, disc.tokenizer,
                                   builtin_heldout()[:heads.ELECTRA_HELDOUT_SENTENCES], seed=1)
    assert numbers["roc_auc"] >= 0.75  # chance: 0.5
    assert numbers["recall"] > numbers["replaced_share"]  # flags replaced tokens more often than their base rate
    assert numbers["roc_auc"] == pytest.approx(_shipped_heads()["lab-electra"]["score"]["value"], abs=1e-6)
    # the pair the tab runs in lab mode works: same vocabulary, no error
    result = replaced_tokens_api(lab_ctx, "The dog barked at the mailman and wagged its tail.", model="lab-electra",
                                 generator="lab-bert")
    assert result.discriminator == "lab-electra" and any("ROC AUC" in n for n in result.notices)
    assert not any(t.flagged for t in result.tokens if t.kind == "special")  # [CLS] / [SEP] are never replaced


def test_qa_head_answers_held_out_question_frames_and_knows_when_it_cannot(lab_ctx):
    from playground.tasks.question_answering import run_answer

    loaded = lab_ctx.model("lab-qa", "question-answering")
    test = qa_examples(heads.QA_HELDOUT_EXAMPLES, heldout=True)
    assert not {e.question for e in test} & {e.question for e in qa_examples(heads.QA_TRAIN_EXAMPLES)}
    numbers = heads.qa_scores(loaded, test)
    assert numbers["exact_match"] >= 0.7  # always saying "no answer" gets a third
    assert numbers["answerable_exact_match"] >= 0.8 and numbers["unanswerable_exact_match"] >= 0.7
    assert numbers["exact_match"] == pytest.approx(_shipped_heads()["lab-qa"]["score"]["value"])
    assert numbers["exact_match"] <= numbers["f1"] == pytest.approx(_shipped_heads()["lab-qa"]["score"]["extra"]["f1"])
    context = "On Monday, Anna went to the park. There Anna bought some bread. Paris is the capital of France."
    found = run_answer(lab_ctx, context, "To which place did Anna go?", model_name="lab-qa")
    assert found.answer is not None and found.answer.text.lower() == "park" and found.squad_version == "2"
    # (unanswerable ones are measured above, in aggregate: it recognises about 80 % of them, not all)


def test_the_card_shows_the_lab_heads_score_next_to_the_real_checkpoints_numbers(lab_ctx):
    from playground.ui.head_card import show_head_card

    text = show_head_card(lab_ctx, "lab-sentiment")
    score = _shipped_heads()["lab-sentiment"]["score"]["value"]
    assert f"{score:.1%}" in text and "distilbert-base-uncased-finetuned-sst-2-english" in text
    assert "SST-2" in text  # the real checkpoint's published numbers follow
    assert "stand-in" not in text.split("**Lab head.**")[1].split("\n\n")[0]  # trained, not random


# ---- training (the recipe, another seed) -----------------------------------------------------------------------

def test_add_heads_keeps_the_run_whole(tmp_path, lab_ctx):
    run = tmp_path / "run"
    shutil.copytree(runs.SHIPPED_DIR, run)
    loaded = lab_ctx.model("lab-sentiment", "sentiment")
    info = {"score": {"metric": "accuracy", "value": 0.5, "chance": 0.5, "heldout": 1, "trained_on": 1,
                      "measured_on": "x", "extra": None}, "seconds": 1.0, "steps": 0, "seed": 0}
    runs.add_heads(run, {"lab-sentiment": loaded.model}, {"lab-sentiment": loaded.tokenizer}, {"lab-sentiment": info})
    assert runs.check_run(run).ok
    assert runs.head_scores(run)["lab-sentiment"]["score"]["value"] == 0.5
    assert set(runs.head_scores(run)) == set(HEAD_TASKS)  # the others untouched
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no staging left behind


@pytest.mark.slow
def test_sentiment_recipe_generalises_with_another_seed():
    head = heads.train_sentiment(runs.SHIPPED_DIR / "lab-bert", seed=1)
    assert head.score.value >= 0.9 and head.score.heldout == len(split_examples()[1])


@pytest.mark.slow
def test_nsp_recipe_beats_chance_with_another_seed():
    head = heads.train_nsp(runs.SHIPPED_DIR / "lab-bert", seed=1)
    assert head.score.value >= 0.8


def test_pretrain_heads_command_refuses_what_it_cannot_do(tmp_path, capsys):
    from playground.__main__ import main

    assert main(["pretrain", "--run", str(tmp_path)]) == 2  # --run is only for --heads
    assert "--run is for --heads" in capsys.readouterr().err
    assert main(["pretrain", "--heads", "--run", str(tmp_path)]) == 2  # nothing to train on: said, not a traceback
    assert "no lab-bert" in capsys.readouterr().err
