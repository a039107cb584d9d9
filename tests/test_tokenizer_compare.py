"""Tokenizer comparison: pieces and ids as each tokenizer makes them, and notes derived from them."""

import pytest

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.models.tiny import CORPUS, MULTILINGUAL_CORPUS
from playground.models.tokenizer_training import wordpiece_tokenizer
from playground.tasks.lab import runs
from playground.tasks.tokenizer_compare import MAX_COMPARE_CHARS, TOPICS, compare_tokenizers


@pytest.fixture(scope="module")
def tokenizers(store):
    return [store.get(name, "tokenizer-only") for name in ("tiny-bert", "tiny-gpt2", "tiny-pegasus")]


def _views(tokenizers, text):
    return {v.scheme: v for v in compare_tokenizers(tokenizers, text).views}


def test_three_schemes_with_their_own_pieces_ids_and_special_tokens(tokenizers):
    text = "Tesla is an American company"
    views = _views(tokenizers, text)
    assert list(views) == ["WordPiece", "byte-level BPE", "SentencePiece"]
    for lm, view in zip(tokenizers, views.values()):
        ids = lm.tokenizer(text)["input_ids"]
        assert [t.token_id for t in view.tokens] == ids and view.token_count == len(ids)
        assert [t.piece for t in view.tokens] == lm.tokenizer.convert_ids_to_tokens(ids)
    assert views["WordPiece"].special_tokens_added == ("[CLS]", "[SEP]")
    assert views["byte-level BPE"].special_tokens_added == ()
    assert views["SentencePiece"].special_tokens_added == ("</s>",)
    assert views["WordPiece"].facts["special tokens"] == "adds [CLS] at the start, [SEP] at the end"
    assert views["SentencePiece"].facts["special tokens"] == "adds </s> at the end"
    assert views["byte-level BPE"].text_token_count == views["byte-level BPE"].token_count
    for view in views.values():
        assert list(view.facts) == list(TOPICS)


def test_facts_are_derived_from_the_tokenization(tokenizers):
    views = _views(tokenizers, "I love ML 🚗 today")
    wordpiece, bpe, sentencepiece = views["WordPiece"], views["byte-level BPE"], views["SentencePiece"]
    # Unknown words and emoji: [UNK] for WordPiece, raw bytes for byte-level BPE.
    assert wordpiece.unknown_count == 1 and "[UNK] appeared 1×" in wordpiece.facts["unknown words"]
    assert "'🚗'" in wordpiece.facts["unknown words"]
    assert wordpiece.facts["emoji"] == "🚗 → 1 piece(s): [UNK]"
    assert bpe.unknown_count == 0 and "4 byte piece(s) spell '🚗'" in bpe.facts["unknown words"]
    assert bpe.facts["emoji"].startswith("🚗 → 4 piece(s): <bytes")
    assert sentencepiece.facts["emoji"].startswith("🚗 → ")
    # Casing: the uncased WordPiece lower-cases, BPE keeps the capitals.
    assert "lower-cased" in wordpiece.facts["casing"] and "'ML' → 'ml'" in wordpiece.facts["casing"]
    assert "case kept" in bpe.facts["casing"] and "'ML'" in bpe.facts["casing"]
    # Round trip: byte-level BPE is lossless; the uncased WordPiece is not.
    assert bpe.lossless and bpe.decoded == "I love ML 🚗 today" and bpe.facts["round trip"].startswith("lossless")
    assert not wordpiece.lossless and wordpiece.facts["round trip"].startswith("not lossless")
    # Spaces: counted from the pieces.
    marked = sum(t.display.startswith("␣") for t in bpe.tokens)
    assert f"{marked} piece(s) start with a space" in bpe.facts["spaces"]
    assert "4 space(s) vanish" in wordpiece.facts["spaces"]
    assert "carry ▁" in sentencepiece.facts["spaces"]


def test_text_without_capitals_or_emoji_says_so(tokenizers):
    views = _views(tokenizers, "the cat sat on the mat")
    for view in views.values():
        assert "no capital letters" in view.facts["casing"]
        assert view.facts["emoji"].startswith("no emoji")
    assert views["WordPiece"].unknown_count == 0 and views["WordPiece"].facts["unknown words"].startswith("no [UNK]")


def test_a_rare_word_is_split_into_known_pieces(tokenizers):
    views = _views(tokenizers, "unbelievable")
    for view in views.values():
        pieces = [t for t in view.tokens if t.start is not None]
        if len(pieces) > 1:
            assert "'unbelievable' → " + " · ".join(t.display for t in pieces) in view.facts["unknown words"]
    assert any(len([t for t in v.tokens if t.start is not None]) > 1 for v in views.values())


def test_long_text_is_shown_whole_and_the_limit_is_named(tokenizers):
    views = _views(tokenizers, "data pipeline " * 40)
    wordpiece = views["WordPiece"]
    assert wordpiece.token_count > wordpiece.max_positions
    assert f"over the {wordpiece.max_positions}-token limit" in wordpiece.facts["length"]
    cut = compare_tokenizers(tokenizers, "a" * (MAX_COMPARE_CHARS + 50))
    assert len(cut.text) == MAX_COMPARE_CHARS and any("cut" in n for n in cut.notices)


def test_bad_input(tokenizers):
    with pytest.raises(PlaygroundError, match="empty"):
        compare_tokenizers(tokenizers, "   ")
    with pytest.raises(PlaygroundError, match="No tokenizer"):
        compare_tokenizers([], "text")


# ---- as typed: whitespace reaches the tokenizer; the normalised text is shown (issue 25, items 1 and 15) ---

WHITESPACE_TEXTS = ("  Leading and   multiple spaces  ", "Tabs\tand", "two\nlines\n\nand a blank one", " \t mixed \n ")


@pytest.fixture(scope="module")
def lab_tokenizers():
    """The shipped lab models' own tokenizers (WordPiece and byte-level BPE trained on the lab corpus)."""
    store = ModelStore(load_catalog(), local_models=runs.lab_models(runs.SHIPPED_DIR))
    return [store.get(name, "tokenizer-only") for name in ("lab-bert", "lab-gpt")]


@pytest.mark.parametrize("text", WHITESPACE_TEXTS)
def test_whitespace_ids_equal_the_tokenizers_own(tokenizers, lab_tokenizers, text):
    comparison = compare_tokenizers([*tokenizers, *lab_tokenizers], text)
    assert comparison.text == text
    for lm, view in zip([*tokenizers, *lab_tokenizers], comparison.views):
        assert [t.token_id for t in view.tokens] == lm.tokenizer(text)["input_ids"], lm.name
    assert any("exactly as typed" in n for n in comparison.notices)


def test_byte_level_bpe_shows_every_space_tab_and_newline(tokenizers):
    bpe = next(lm for lm in tokenizers if lm.name == "tiny-gpt2")
    view = _views(tokenizers, "  Leading and   multiple spaces  ")["byte-level BPE"]
    decoded = [bpe.tokenizer.decode([t.token_id]) for t in view.tokens]
    assert "".join(decoded) == "  Leading and   multiple spaces  " and view.lossless
    tab = _views(tokenizers, "Tabs\tand")["byte-level BPE"]
    assert "ĉ" in "".join(t.piece for t in tab.tokens)  # the tab's own byte, not a space
    assert "no normaliser" in tab.facts["normalisation"] and tab.normalized == "Tabs\tand"


@pytest.fixture(scope="module")
def uncased_multilingual_wordpiece():
    """A BertTokenizerFast-compatible uncased WordPiece trained here with Devanagari in its corpus: what matters
    is bert-base-uncased's normaliser (NFD, combining marks dropped, lower-cased), which it shares."""
    tokenizer = wordpiece_tokenizer(True, [*CORPUS, *MULTILINGUAL_CORPUS], vocab_size=400, max_length=128)
    return LoadedModel(name="uncased-wordpiece", task="tokenizer-only", tokenizer=tokenizer, model=None, nbytes=0,
                       source="built in the test", is_tiny=True)


def test_uncased_bert_mangles_hindi_into_pieces_not_unk(uncased_multilingual_wordpiece):
    lm = uncased_multilingual_wordpiece
    hindi = "पेरिस फ्रांस की राजधानी है।"
    view = compare_tokenizers([lm], hindi).views[0]
    # NFD + dropping the combining marks (Mn) deletes the vowel signs े and ै, the virama ् and the nasal ं;
    # the spacing vowel signs (ि, ा, ी: category Mc) stay.
    expected = "परिस फरास की राजधानी ह।"
    assert lm.tokenizer.backend_tokenizer.normalizer.normalize_str(hindi) == expected == view.normalized
    assert "'पेरिस' → 'परिस'" in view.facts["normalisation"] and "virama" in view.facts["normalisation"]
    assert view.unknown_count == 0 and [t.token_id for t in view.tokens] == lm.tokenizer(hindi)["input_ids"]
    paris = [t.piece for t in view.tokens if t.start is not None and t.end <= len("पेरिस")]
    assert "".join(p.removeprefix("##") for p in paris) == "परिस"  # the mangled word, in pieces
    assert not view.lossless  # decoding gives the normalised text, not what was typed
