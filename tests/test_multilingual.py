"""XLM-R next to BERT: the same gap in English, French and Hindi, and how each tokenizer splits Hindi."""

import pytest

from playground.core.tokens import tokenizer_scheme
from playground.lm.masked_lm import fill_mask
from playground.tasks.multilingual import SAME_GAP, WHOLE
from playground.tasks.tokenizer_compare import compare_tokenizers


@pytest.fixture(scope="module")
def xlmr(store):
    return store.get("tiny-xlm-roberta", "fill-mask")


@pytest.mark.parametrize("language", list(SAME_GAP))
@pytest.mark.parametrize("spelling", ["[MASK]", "___", "<mask>"])
def test_the_same_gap_fills_in_every_language_however_the_user_writes_it(xlmr, bert, language, spelling):
    text = SAME_GAP[language].replace("[MASK]", spelling)
    result = fill_mask(xlmr, text)
    assert len(result.masks) == 1 and len(result.masks[0].predictions) == 5
    assert [t.piece for t in result.tokens.tokens if t.kind == "mask"] == ["<mask>"]
    assert result.tokens.tokens[0].piece == "<s>" and result.tokens.tokens[-1].piece == "</s>"
    assert len(fill_mask(bert, text).masks) == 1  # BERT reads the same text with its own [MASK]


def test_xlmr_is_sentencepiece_and_bert_loses_hindi_words_whole(xlmr, bert):
    assert tokenizer_scheme(xlmr.tokenizer) == "SentencePiece"
    result = compare_tokenizers([bert, xlmr], WHOLE["Hindi"])
    wordpiece, sentencepiece = result.views
    words = len(WHOLE["Hindi"].rstrip("।").split())
    assert wordpiece.unknown_count == words + 1  # every Hindi word is one [UNK], and so is the danda ।
    assert sentencepiece.unknown_count == 0 and sentencepiece.text_token_count > words
    assert wordpiece.facts["scripts"].startswith(f"Devanagari: {words} word(s) → {words} piece(s)")
    assert f"{words}× [UNK]" in wordpiece.facts["scripts"]
    assert sentencepiece.facts["scripts"].startswith(f"Devanagari: {words} word(s)")
    assert "[UNK]" not in sentencepiece.facts["scripts"] and "<unk>" not in sentencepiece.facts["scripts"]
    assert sentencepiece.lossless


def test_latin_text_says_there_is_no_other_script(bert):
    view = compare_tokenizers([bert], "Paris is the capital of France.").views[0]
    assert view.facts["scripts"].startswith("only Latin script here")
