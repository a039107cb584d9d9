"""Lab mode starts every tab from the lab world, and the defaults give the lab world's answer with the shipped
lab-bert / lab-gpt; the model pairs each mode offers work together."""

from pathlib import Path

import pytest

from playground.core.errors import PlaygroundError
from playground.models.vocabularies import tokenizer_scheme, vocabulary_key
from playground.tasks import world_examples
from playground.tasks.compare import run_compare
from playground.tasks.context import AppOptions, make_context
from playground.tasks.lab.corpus import builtin_corpus
from playground.tasks.mlm_simulator import mask_sim_api
from playground.tasks.replaced_token_detection import (RTD_TASK, default_generator, generator_choices,
                                                       replaced_tokens_api)
from playground.tasks.step_by_step import generate_step_api
from playground.tasks.tokenizer_compare import scheme_choices


@pytest.fixture(scope="module")
def lab_ctx(tiny_dir, tmp_path_factory):
    """The app's context in `--models lab`, serving the shipped lab models (a fresh, empty lab folder)."""
    return make_context(AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=tmp_path_factory.mktemp("lab")))


def test_only_lab_mode_starts_from_the_lab_world(lab_ctx, ctx):
    assert world_examples.lab_world(lab_ctx)
    assert not world_examples.lab_world(ctx)  # the tiny profile keeps the real-world examples


def test_the_lab_examples_use_only_words_lab_bert_can_spell(lab_ctx):
    bert = lab_ctx.model("lab-bert", "fill-mask")
    texts = ([g.text for g in world_examples.COMPARE] + list(world_examples.MASKED_LM) + list(world_examples.TOKENIZERS)
             + [world_examples.QA_CONTEXT, *world_examples.STEP_PROMPTS, *world_examples.WRITING_PROMPTS])
    for text in texts:
        ids = bert.tokenizer(text.replace("[MASK]", bert.tokenizer.mask_token))["input_ids"]
        assert bert.tokenizer.unk_token_id not in ids, text


def test_the_gaps_are_not_training_sentences():
    """Held-out style: no Compare default, gap filled, is a sentence of the training corpus."""
    corpus = set(builtin_corpus())
    for gap in world_examples.COMPARE:
        assert gap.text.replace("[MASK]", gap.answer) not in corpus


def test_compares_default_gap_is_filled_correctly_by_lab_bert(lab_ctx):
    default = world_examples.COMPARE[0]
    result = run_compare(lab_ctx, default.text, 5, "", 1, 1, "lab-bert", "lab-gpt", False, "gradient")
    top = result.bert.masks[0].predictions[0]
    assert top.token == default.answer and top.probability > 0.3
    # The gap is decided by the words on its right: GPT-2's guess from the left alone is not the answer.
    assert result.gpt.predictions[0].token.strip() != default.answer


@pytest.mark.parametrize("gap", world_examples.COMPARE[1:], ids=lambda g: g.answer)
def test_every_compare_example_is_answered_by_lab_bert(lab_ctx, gap):
    result = run_compare(lab_ctx, gap.text, 3, "", 1, 1, "lab-bert", "lab-gpt", False, "gradient")
    assert result.bert.masks[0].predictions[0].token == gap.answer


def test_the_mlm_simulators_default_recovers_every_slot(lab_ctx):
    result = mask_sim_api(lab_ctx, world_examples.MASKED_LM[0], 0.15, 0, True, "lab-bert", "lab-gpt")
    assert result.bert_recovery.slots >= 3
    assert result.bert_recovery.top1 == result.bert_recovery.slots


def test_the_step_by_step_default_prompt_is_answered_by_lab_gpt(lab_ctx):
    *_, result = generate_step_api(lab_ctx, world_examples.STEP_PROMPTS[0], max_new_tokens=2, model="lab-gpt")
    assert result.steps[0].token.replace("␣", "").strip() == "frog"


# ---- the lab heads' defaults and examples (sentiment, QA, NSP, summarization) ------------------------------------

def test_the_sentiment_examples_are_classified_right_by_lab_sentiment(lab_ctx):
    from playground.tasks.sentiment import run_sentiment

    model = lab_ctx.profile.default("sentiment")
    assert model == "lab-sentiment"
    (default, _), (lines, per_line) = world_examples.SENTIMENT
    assert [r.label for r in run_sentiment(lab_ctx, default, False, model_name=model).results] == ["POSITIVE"]
    labels = [r.label for r in run_sentiment(lab_ctx, lines, per_line, model_name=model).results]
    assert labels == ["NEGATIVE", "POSITIVE", "NEGATIVE"]


def test_every_qa_example_is_answered_right_by_lab_qa(lab_ctx):
    from playground.tasks.question_answering import run_answer

    model = lab_ctx.profile.default("question-answering")
    assert model == "lab-qa"
    said = []
    for (context, question), _ in zip(world_examples.QUESTION_ANSWERING, world_examples.QA_ANSWERS, strict=True):
        answer = run_answer(lab_ctx, context, question, model_name=model).answer
        said.append(answer.text.strip() if answer else None)
    assert said == list(world_examples.QA_ANSWERS)


def test_the_nsp_presets_are_judged_right_by_lab_nsp(lab_ctx):
    from playground.tasks.lab.paragraphs import NSP_TRAIN_PAIRS, nsp_pairs
    from playground.tasks.nsp import nsp_api

    model = lab_ctx.profile.default("nsp")
    assert model == "lab-nsp"
    trained = {(p.first, p.second) for p in nsp_pairs(NSP_TRAIN_PAIRS)}
    verdicts = {}
    for name, (first, second) in world_examples.NEXT_SENTENCE.items():
        assert (first, second) not in trained
        result = nsp_api(lab_ctx, first, second, model=model)
        verdicts[name] = result.verdict
        assert max(result.probabilities.values()) > 0.8
    assert verdicts == {"true continuation": "IsNext", "random sentence": "NotNext"}


def test_the_summarization_default_states_every_fact(lab_ctx):
    from playground.tasks.summarization import run_summarize

    model = lab_ctx.profile.default("summarization")
    *_, result = run_summarize(lab_ctx, world_examples.SUMMARIZATION[0], model_name=model)
    assert result.summary == "Anna went to the market on Sunday. Anna bought bread. Anna drank tea. It was sunny."


# ---- model pairs that fit ------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["default", "tiny", "lab"])
def test_the_electra_view_defaults_to_a_generator_with_the_discriminators_vocabulary(mode, tiny_dir, tmp_path):
    ctx = make_context(AppOptions(models=mode, tiny_dir=tiny_dir, lab_dir=tmp_path / "lab"))
    discriminator = ctx.profile.default(RTD_TASK)
    fits = generator_choices(ctx, discriminator)
    assert fits and default_generator(ctx) == fits[0]
    key = vocabulary_key(ctx.catalog, ctx.store.local_models, discriminator)
    assert all(vocabulary_key(ctx.catalog, ctx.store.local_models, name) == key for name in fits)
    assert set(fits) <= set(ctx.profile.choices("fill-mask"))
    if mode == "default":
        assert fits == ["bert-base-uncased", "bert-large-uncased", "distilbert-base-uncased"]
    elif discriminator == "lab-electra":  # the lab's own discriminator, trained with lab-bert as its generator
        assert fits[0] == "lab-bert" and "tiny-xlm-roberta" not in fits
    else:
        assert "lab-bert" not in fits and "tiny-xlm-roberta" not in fits


def test_the_electra_default_runs_in_lab_mode(lab_ctx):
    result = replaced_tokens_api(lab_ctx, world_examples.REPLACED_TOKENS, True, 0.15, 0,
                                 lab_ctx.profile.default(RTD_TASK), default_generator(lab_ctx))
    assert result.corrupted and result.judged > 5


def test_a_mismatched_generator_is_refused_naming_only_this_modes_fitting_models(lab_ctx):
    discriminator = lab_ctx.profile.default(RTD_TASK)
    fits = generator_choices(lab_ctx, discriminator)
    mismatched = next(n for n in lab_ctx.profile.choices("fill-mask") if n not in fits)
    with pytest.raises(PlaygroundError) as error:
        replaced_tokens_api(lab_ctx, "The dog barked.", True, 0.15, 0, discriminator, mismatched)
    message = str(error.value)
    assert "different vocabularies" in message
    assert " or ".join(generator_choices(lab_ctx, lab_ctx.profile.default(RTD_TASK))) in message
    offered = set(lab_ctx.profile.choices("fill-mask")) | set(lab_ctx.profile.choices(RTD_TASK))
    for hub_name in ("bert-base-uncased", "bert-large-uncased", "distilbert-base-uncased"):
        assert hub_name not in message and hub_name not in offered


@pytest.mark.parametrize("mode", ["default", "lab"])
def test_each_tokenizer_column_offers_only_its_scheme(mode, tiny_dir, tmp_path):
    ctx = make_context(AppOptions(models=mode, tiny_dir=tiny_dir, lab_dir=tmp_path / "lab"))
    for task, scheme in (("fill-mask", "WordPiece"), ("text-generation", "byte-level BPE"),
                         ("summarization", "SentencePiece")):
        offered = scheme_choices(ctx, task, scheme)
        assert offered and all(tokenizer_scheme(ctx.catalog, ctx.store.local_models, n) == scheme for n in offered)
    assert "xlm-roberta-base" not in scheme_choices(ctx, "fill-mask", "WordPiece")


def test_vocabulary_keys_come_from_the_local_tokenizer_files(tiny_dir):
    ctx = make_context(AppOptions(models="tiny", tiny_dir=tiny_dir))
    local = ctx.store.local_models
    assert Path(local["tiny-bert"], "tokenizer.json").is_file()  # built by the session fixture
    assert vocabulary_key(ctx.catalog, local, "tiny-bert") == vocabulary_key(ctx.catalog, local, "tiny-electra")
    assert vocabulary_key(ctx.catalog, local, "tiny-bert") != vocabulary_key(ctx.catalog, local, "lab-bert")
    assert vocabulary_key(ctx.catalog, {}, "tiny-bert") != vocabulary_key(ctx.catalog, {}, "bert-base-uncased")
