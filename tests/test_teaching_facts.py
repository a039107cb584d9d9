"""Issue 12, "fix what misleads": each corrected claim stays corrected, at its source and with its source named."""

import re

import pytest

import playground.tasks.mlm_simulator as mlm_simulator
from playground.core.tokens import SPECIAL_TOKEN_ROLES, tokenize
from playground.models.cards import load_catalog
from playground.tasks.fact_sheet import FACT_ROWS, TIMELINE, fact_sheet, sizes_row, timeline_problems
from playground.tasks.nsp import ROBERTA_FINDING, next_sentence


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def card_text(catalog, slug: str) -> str:
    card = catalog.by_slug(slug)
    return " ".join([card.objective, str(card.extra), card.body, *(b.source + b.name for b in card.benchmarks)])


# 1. GLUE numbers: like for like, and ELECTRA-small vs TinyBERT in the README's words.

def test_electra_small_is_compared_with_tinybert_as_its_readme_does(catalog):
    body = catalog.by_slug("google--electra-small-discriminator").body
    assert "slightly worse than TinyBERT" in body and "uses no distillation" in body
    assert "close to TinyBERT" not in body
    assert "built differently" in " ".join(body.split())


def test_gpt1_card_gives_the_like_for_like_glue_gap(catalog):
    body = catalog.by_slug("history--gpt-1").body
    assert "75.1" in body and "79.6" in body and "4.5" in body and "80.5" in body


def test_bert_cards_do_not_call_table1_averages_test_server_scores(catalog):
    for slug in ("bert-large-uncased", "huawei-noah--TinyBERT_General_4L_312D"):
        assert "on the test server" not in catalog.by_slug(slug).body
    assert "80.5" in catalog.by_slug("bert-large-uncased").body


# 2. ChatGPT's size was never published.

def test_no_size_is_attributed_to_chatgpt(catalog):
    row = sizes_row(catalog)
    assert "ChatGPT" not in row.gpt and "InstructGPT 175B" in row.gpt
    card = catalog.by_slug("history--instructgpt-rlhf")
    assert "1.3B, 6B and 175B" in card.body and "never been published" in card.body


# 3. [CLS] is where a head is trained to read, not a sentence summary by itself.

def test_cls_is_described_as_the_position_a_head_reads(catalog):
    role = SPECIAL_TOKEN_ROLES["[CLS]"]
    assert "classification head is trained to read" in role and "without fine-tuning" in role
    assert not role.startswith("sequence summary")
    assert not any("[CLS]` summary token" in f"{row.bert} {row.gpt}" for row in fact_sheet(catalog))
    body = " ".join(catalog.by_slug("bert-base-uncased").body.split())
    assert "not a meaningful sentence representation without fine-tuning" in body


# 4. Megatron-LM is a decoder, drawn as one.

def test_timeline_colours_follow_the_cards(catalog):
    assert timeline_problems(catalog) == []
    megatron = next(e for e in TIMELINE if e.title == "Megatron-LM")
    assert megatron.kind == "decoder" and megatron.card == "history--megatron-lm"
    decoder_names = [c.display_name.split(" (")[0] for c in catalog.cards if c.architecture_kind == "decoder"]
    for event in TIMELINE:
        if event.kind == "encoder":
            assert not any(name in event.title + event.note for name in decoder_names), event.title


def test_a_wrong_timeline_colour_is_caught(catalog):
    from dataclasses import replace

    wrong = tuple(replace(e, kind="encoder") if e.title == "Megatron-LM" else e for e in TIMELINE)
    assert timeline_problems(catalog, wrong) == [
        "Megatron-LM: drawn as 'encoder', but its card history--megatron-lm has architecture 'decoder'"]


# 5. ELECTRA-small's released generator was full size.

def test_electra_small_generator_is_full_size(catalog):
    text = card_text(catalog, "google--electra-small-discriminator")
    assert "generator_hidden_size" in text and "1.0" in text
    assert "a small masked-LM generator" not in text
    assert "generator_hidden_size" in catalog.by_slug("history--electra-rtd").body


# 6. [UNK] replaces the whole word.

def test_unk_is_described_as_replacing_the_whole_word(bert):
    assert "whole word" in SPECIAL_TOKEN_ROLES["[UNK]"]
    tokens = tokenize(bert, "the cat☃dog sat").tokens
    unknown = [t for t in tokens if t.kind == "unknown"]
    assert [(t.start, t.end) for t in unknown] == [(4, 11)]  # all of "cat☃dog", not only "☃"


# 8. NSP comes with RoBERTa's finding.

def test_nsp_result_carries_robertas_finding(store):
    result = next_sentence(store.get("tiny-bert", "nsp"), "The cat sat on the mat.", "It was happy.")
    assert ROBERTA_FINDING in result.notices
    assert "matched or slightly improved" in ROBERTA_FINDING and "Section 4.2" in ROBERTA_FINDING
    nsp_row = next(r for r in FACT_ROWS if r.aspect == "Sentence pairs")
    assert "RoBERTa" in nsp_row.bert and "§4.2" in nsp_row.bert


# 9. Smaller slips.

def test_albert_extra_data_is_attributed_to_the_paper(catalog):
    data = catalog.by_slug("albert-base-v2").extra["pretraining_data"]
    assert "Section 4.9" in data
    # The README only says 'additional training data'; XLNet/RoBERTa's data is named in the paper.
    assert re.search(r"XLNet and RoBERTa[^;]*\(Lan et al\. 2019, Section 4\.9\)", data)


def test_mlm_simulator_says_how_it_differs_from_bert_data_script():
    doc = mlm_simulator.__doc__
    for needle in ("create_pretraining_data.py", "max_predictions_per_seq", "[CLS] and [SEP] included",
                   "whole vocabulary"):
        assert needle in doc


def test_rlhf_is_dated_to_christiano_2017(catalog):
    rlhf = [e for e in TIMELINE if "RLHF" in e.title]
    assert min(e.year for e in rlhf) == 2017 and any("Christiano et al. 2017" in e.citation for e in rlhf)
    assert "Christiano et al. 2017" in catalog.by_slug("history--instructgpt-rlhf").body
