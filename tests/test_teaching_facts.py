"""Issues 12 and 25 ("fix what misleads", "teach exactly"): each corrected claim stays corrected, at its source
and with its source named, and the old wording appears nowhere in the product, the cards or the docs."""

import ast
import re
from pathlib import Path

import pytest

import playground.tasks.mlm_simulator as mlm_simulator
from playground.core.tokens import SPECIAL_TOKEN_ROLES, tokenize
from playground.models.cards import load_catalog
from playground.tasks.fact_sheet import FACT_ROWS, TIMELINE, fact_sheet, sizes_row, timeline_problems
from playground.tasks.lab.pretrain import CurvePoint
from playground.tasks.nsp import ROBERTA_FINDING, next_sentence
from playground.ui.figures.lab import loss_curves_figure
from playground.ui.page import SEE_IT_LIVE
from playground.ui.tabs.models import fact_sheet_markdown, tab_js
from playground.ui.tabs.pretraining.next_sentence import NSP_INTRO
from playground.ui.tabs.pretraining.tokenizers import TOKENIZERS_INTRO
from playground.ui.tabs.sentiment import INTRO as SENTIMENT_INTRO
from playground.ui.tour import TOUR

ROOT = Path(__file__).resolve().parent.parent


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


# ---- issue 25: teach exactly ----------------------------------------------------------------------------

# The statements issue 25 corrected, as they were worded (whitespace-insensitive, case-insensitive).
OLD_WORDINGS = (
    "a Hindi word becomes `[UNK]` or single characters",  # 1
    "Hindi: `[UNK]` for BERT",
    "Hindi is [UNK] to BERT's WordPiece",
    "a small masked LM (here BERT)",  # 2
    "removing the NSP loss matches or slightly improves",  # 3
    "removing it matches or slightly improves",
    "removing NSP matches or slightly improves",
    "the NSP loss did not help",
    "later work dropped it without loss",
    "then a small head is trained on labelled examples",  # 4
    "tasks that need the words to the right of a position",  # 5
    "its cost per token grows with the whole input",  # 6
    "mean the same thing everywhere",  # 7
    "It showed the scaling trend GPT-3 followed",  # 9
    "model parallelism is how every large model since has been trained",
    "[CLS] is just a position",  # 10
    "no next-sentence objective here to make it a summary",  # 11
    "a third of the questions cannot be answered",  # 12
    "threshold 0, the standard SQuAD 2.0 evaluation",
    "P(word | left context) exactly",  # 13
    "the pieces before it) — exact",
    "for GPT-2 the exact chain rule",
    "Loss — BERT on its masked tokens, GPT and the LSTM on every next token",  # 14
    "| lab-bert | 1.03 (masked tokens) |",
    "WordPiece vs byte-level BPE vs SentencePiece on the same text",  # SentencePiece is a toolkit
)


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def product_texts() -> dict[str, str]:
    """Every text a user or reader meets: the app's code (its strings joined as Python joins them, and the raw
    file for comments), the model cards, the README and the docs."""
    texts = {}
    for path in sorted((ROOT / "playground").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        strings = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)
                   and isinstance(n.value, str)]
        texts[str(path.relative_to(ROOT))] = _flat(source + "\n" + "\n".join(strings))
    for path in [ROOT / "README.md", *sorted((ROOT / "model_cards").glob("*.md")), *sorted((ROOT / "docs").glob("*.md"))]:
        texts[str(path.relative_to(ROOT))] = _flat(path.read_text(encoding="utf-8"))
    return texts


def test_no_corrected_statement_survives_anywhere():
    texts = product_texts()
    assert len(texts) > 100 and any(name.startswith("model_cards/") for name in texts)
    found = [(old, name) for old in OLD_WORDINGS for name, text in texts.items() if _flat(old) in text]
    assert found == []


def test_the_old_wordings_would_be_caught():
    # The search is not vacuous: a current sentence, split across lines and string literals, is found.
    texts = product_texts()
    assert any(_flat("sequential only when generating") in t for t in texts.values())
    assert any(_flat("NFD-decomposed with the combining marks dropped") in t for t in texts.values())


def test_nsp_is_shown_with_its_evidence_and_its_condition():
    for text in (ROBERTA_FINDING, next(r for r in FACT_ROWS if r.aspect == "Sentence pairs").bert):
        assert "Table 5" in text and "contiguous text" in text and "another document" in text
        assert "QNLI" in text and "MNLI" in text and "SQuAD" in text
    assert "sentence-order prediction" in ROBERTA_FINDING and "Table 5" in NSP_INTRO


def test_gpt_is_parallel_except_when_generating():
    row = next(r for r in FACT_ROWS if r.aspect == "Parallel or sequential")
    assert "Parallel in training" in row.gpt and "reading the prompt" in row.gpt
    assert "sequential only when generating" in row.gpt and "KV cache" in row.gpt
    transformer = next(e for e in TIMELINE if e.title == "Transformer")
    assert "in training" in transformer.note and "one token at a time" in transformer.note


def test_cards_say_exactly_what_the_papers_and_checkpoints_show(catalog):
    body = lambda slug: " ".join(catalog.by_slug(slug).body.split())  # noqa: E731
    squad2 = body("deepset--roberta-base-squad2")
    assert "5,945 of 11,873" in squad2 and "43,498 of 130,319" in squad2 and "this playground's choice" in squad2
    xlm = body("history--xlm")
    for needle in ("**CLM**", "**MLM**", "**TLM**", "parallel sentence pairs", "zero-shot cross-lingual",
                   "75.1%", "71.5%"):
        assert needle in xlm
    megatron = body("history--megatron-lm")
    assert "8.3B and 3.9B" in megatron and "GPT-3" not in megatron
    assert "KV cache" in body("bert-large-uncased") and "Inside tab's KV-cache view" in body("bert-large-uncased")
    assert "tagging" in body("gpt2") and "span" in body("gpt2") and "need the right context" in body("gpt2")
    sst2 = body("distilbert-base-uncased-finetuned-sst-2-english")
    assert "updates the whole encoder" in sst2 and "computer-vision analogy" in sst2
    assert "परिस" in body("xlm-roberta-base") and "not `[UNK]`" in body("xlm-roberta-base")


def test_cls_is_a_token_with_its_own_embedding_in_the_tour():
    stop = next(s for s in TOUR if "[CLS]" in s.title)
    assert "its own embedding" in stop.points and "next-sentence prediction" in stop.points
    assert "no sentence summary" in stop.points  # agrees with the footnote (Devlin et al., Section 3.1)


def test_the_lecture_names_its_stages_and_sentencepiece():
    row = next(r for r in FACT_ROWS if r.aspect == "Training stages")
    for column in (row.bert, row.gpt):
        assert "unsupervised (language-model) fine-tuning" in column and "supervised fine-tuning" in column
    assert "SFT → reward model → preference tuning (RLHF/DPO)" in row.gpt
    assert "computer-vision analogy" in row.bert and "computer-vision analogy" in SENTIMENT_INTRO
    assert "not a third algorithm but a toolkit" in TOKENIZERS_INTRO


def test_the_chatgpt_entry_names_the_alignment_stages_and_links_to_the_assistant_tab():
    row = next(r for r in FACT_ROWS if "ChatGPT" in r.aspect)
    assert "SFT → reward model → preference tuning (RLHF/DPO)" in row.gpt
    assert "Ouyang et al. 2022" in row.gpt and "Rafailov et al. 2023" in row.gpt
    stages = next(r for r in FACT_ROWS if r.aspect == "Training stages")
    assert "assistant" in row.topics and "assistant" in stages.topics
    link = SEE_IT_LIVE["assistant"]
    assert link.label == "GPT → Assistant" and 'data-tab-id="assistant"' in tab_js(link)
    assert "**GPT → Assistant** — run base → SFT" in fact_sheet_markdown(FACT_ROWS, SEE_IT_LIVE)
    instructgpt = next(e for e in TIMELINE if "RLHF" in e.title and e.year == 2022)
    assert "GPT → Assistant" in instructgpt.note


def test_masked_and_next_token_losses_are_drawn_on_separate_axes():
    curve = [CurvePoint(1, 3.0, 2.9), CurvePoint(2, 2.0, 1.9)]
    figure = loss_curves_figure({"lab-bert": curve, "lab-gpt": curve, "lab-lstm": curve})
    masked, next_token = figure.axes
    assert {line.get_label().split()[0] for line in masked.lines} == {"lab-bert"}
    assert {line.get_label().split()[0] for line in next_token.lines} == {"lab-gpt", "lab-lstm"}
    assert "masked-LM loss" in masked.get_title() and "next-token loss" in next_token.get_title()
