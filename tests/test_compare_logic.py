import math

import pytest
import torch

from playground.lm.causal_lm import next_token_distribution, next_word_probability, word_method
from playground.lm.influence import attention_mask_pattern
from playground.tasks.compare import attention_from, attention_source, compare, compare_attention
from playground.core.errors import PlaygroundError
from playground.lm.masked_lm import fill_mask, masked_word_probability
from playground.core.text_input import MAX_MASKS
from playground.core.tokens import tokenize
from playground.ui.tabs.compare.views import word_line

TESLA = "Tesla is an American [MASK] company headquartered in Austin, Texas."


def test_bert_sees_cls_sep_and_wordpiece_continuations(bert):
    tokens = tokenize(bert, "Tesla is an American [MASK] company")
    pieces = [t.piece for t in tokens.tokens]
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert "[MASK]" in pieces
    kinds = {t.piece: t.kind for t in tokens.tokens}
    assert kinds["[CLS]"] == "special" and kinds["[MASK]"] == "mask"
    assert any(t.kind == "continuation" and t.piece.startswith("##") for t in tokens.tokens)


def test_gpt_sees_no_special_tokens_and_shows_the_space_marker(gpt):
    tokens = tokenize(gpt, "Tesla is an American company", add_special_tokens=False)
    assert all(t.kind != "special" for t in tokens.tokens)
    assert tokens.tokens[1].piece.startswith("Ġ") and tokens.tokens[1].display.startswith("␣")
    # The pieces spell the text back exactly: byte-level BPE loses nothing.
    assert gpt.tokenizer.decode(tokens.input_ids) == "Tesla is an American company"


def test_emoji_becomes_byte_pieces_for_gpt_and_unk_for_wordpiece(bert, gpt):
    gpt_tokens = tokenize(gpt, "ok 🚗", add_special_tokens=False)
    assert any(t.display.startswith("<bytes") for t in gpt_tokens.tokens)
    bert_tokens = tokenize(bert, "ok 🚗")
    assert any(t.kind == "unknown" for t in bert_tokens.tokens)


def test_fill_mask_matches_a_direct_forward_pass(bert):
    result = fill_mask(bert, TESLA, top_k=5)
    assert len(result.masks) == 1 and len(result.masks[0].predictions) == 5
    with torch.inference_mode():
        logits = bert.model(input_ids=torch.tensor([result.tokens.input_ids])).logits[0, result.masks[0].position]
    expected = logits.softmax(-1).topk(5)
    assert [p.token_id for p in result.masks[0].predictions] == expected.indices.tolist()
    assert result.masks[0].predictions[0].probability == pytest.approx(float(expected.values[0]), abs=1e-6)


def test_every_mask_is_predicted_and_underscores_count_as_masks(bert):
    result = fill_mask(bert, "The ___ sat on the [MASK].", top_k=3)
    assert [m.mask_number for m in result.masks] == [1, 2]
    assert result.masks[0].position < result.masks[1].position


def test_no_mask_explains_how_to_add_one(bert):
    with pytest.raises(PlaygroundError, match=r"\[MASK\]"):
        fill_mask(bert, "Tesla is a company.")


def test_too_many_masks_is_refused(bert):
    with pytest.raises(PlaygroundError, match=f"at most {MAX_MASKS}"):
        fill_mask(bert, " ".join(["[MASK]"] * (MAX_MASKS + 1)))


@pytest.mark.parametrize("k", [0, 21, "five"])
def test_top_k_out_of_range(bert, k):
    with pytest.raises(PlaygroundError, match="top-k"):
        fill_mask(bert, TESLA, top_k=k)


def test_long_text_is_truncated_with_the_count_of_dropped_tokens(bert):
    text = "[MASK] " + "company " * 200
    result = fill_mask(bert, text, top_k=1)
    assert len(result.tokens.tokens) == bert.max_positions
    assert result.tokens.tokens[-1].piece == "[SEP]"
    assert any(f"{result.tokens.truncated_tokens} token(s) were dropped" in n for n in result.notices)


def test_mask_cut_off_by_truncation_is_an_error(bert):
    with pytest.raises(PlaygroundError, match="cut off"):
        fill_mask(bert, "company " * 200 + "[MASK]")


def test_gpt_predicts_from_the_left_context_only(gpt):
    left = next_token_distribution(gpt, "Tesla is an American [MASK] company in Texas", top_k=3)
    plain = next_token_distribution(gpt, "Tesla is an American", top_k=3)
    assert left.context == "Tesla is an American"
    assert [p.token_id for p in left.predictions] == [p.token_id for p in plain.predictions]
    assert any("only the text left" in n for n in left.notices)


def test_gpt_with_mask_at_the_start_predicts_from_its_start_token(gpt):
    result = next_token_distribution(gpt, "[MASK] is a company", top_k=2)
    assert result.tokens.input_ids == [gpt.tokenizer.eos_token_id]
    assert any("start token" in n for n in result.notices)


def test_gpt_long_context_keeps_the_most_recent_tokens(gpt):
    result = next_token_distribution(gpt, "company " * 200 + "Tesla", top_k=1)
    assert len(result.tokens.tokens) == gpt.max_positions
    assert result.tokens.tokens[-1].display == "␣Tesla"  # the most recent token, whole
    assert result.tokens.truncated_tokens > 0


def test_gpt_word_probability_is_the_chain_rule_over_the_pieces_that_start_the_word(gpt):
    result = next_word_probability(gpt, "Tesla is an [MASK]", "unbelievable")
    ids = gpt.tokenizer("Tesla is an")["input_ids"]
    pieces = gpt.tokenizer(" unbelievable")["input_ids"]
    log_p = 0.0
    for piece in pieces:
        with torch.inference_mode():
            log_p += float(gpt.model(input_ids=torch.tensor([ids])).logits[0, -1].log_softmax(-1)[piece])
        ids = ids + [piece]
    assert len(result.pieces) == len(pieces) > 1
    assert result.probability == pytest.approx(math.exp(log_p), rel=1e-4)
    # The method says what the number is: the pieces that start the word, not P(word) exactly.
    assert result.method == word_method(len(pieces))
    assert "chain rule" in result.method and "start the word" in result.method
    assert "not exactly P(word)" in result.method and "exact)" not in result.method
    one = next_word_probability(gpt, "Tesla is an [MASK]", "the")
    assert one.method == word_method(len(one.pieces))
    assert f"Method: {result.method}" in word_line(result)  # next to the number in the Compare tab


def test_bert_word_probability_uses_one_mask_per_piece(bert):
    result = masked_word_probability(bert, TESLA, "unbelievable")
    assert len(result.pieces) == len(result.piece_probabilities) >= 2
    assert result.probability == pytest.approx(math.prod(result.piece_probabilities))
    assert "[MASK]s in a row" in result.method


def test_word_scoring_validates_the_word(bert):
    with pytest.raises(PlaygroundError, match="one word"):
        masked_word_probability(bert, TESLA, "two words")


def test_compare_puts_both_models_on_the_same_slot(bert, gpt):
    result = compare(bert, gpt, TESLA, top_k=4, word="electric", layer=2, head=2)
    assert result.bert and len(result.bert.masks[0].predictions) == 4
    assert result.gpt.context == "Tesla is an American"
    filler = result.bert.masks[0].predictions[0].token.removeprefix("##")
    assert filler in result.gpt_influence.text
    # GPT-2's tokens from the slot on are the ones it cannot see when predicting the slot.
    visible = gpt.tokenizer.decode(result.gpt_tokens.input_ids[: result.gpt_slot_position])
    assert visible.strip() == "Tesla is an American"
    assert result.bert_attention.layer == 2 and result.gpt_attention.head == 2
    assert result.bert_word and result.gpt_word


def test_compare_without_mask_still_runs_gpt_and_explains_bert(bert, gpt):
    result = compare(bert, gpt, "Tesla is an American company", top_k=3)
    assert result.bert is None and "[MASK]" in result.bert_message
    assert result.gpt.context == "Tesla is an American company"
    assert all(w.side == "left" for w in result.gpt_influence.words)


def test_one_layer_head_choice_is_clamped_to_each_models_size(bert, gpt):
    result = compare(bert, gpt, TESLA, layer=99, head=99)
    assert (result.bert_attention.layer, result.bert_attention.head) == (2, 2)
    assert (result.gpt_attention.layer, result.gpt_attention.head) == (2, 2)
    with pytest.raises(PlaygroundError, match="Layer"):
        compare(bert, gpt, TESLA, layer=0)


def test_compare_carries_each_models_mask_and_the_shared_layer_and_head_range(bert, gpt):
    result = compare(bert, gpt, TESLA, top_k=1)
    n_bert, n_gpt = len(result.bert_tokens.tokens), len(result.gpt_tokens.tokens)
    assert result.bert_mask.pattern == tuple(map(tuple, attention_mask_pattern("bidirectional", n_bert)))
    assert result.gpt_mask.pattern == tuple(map(tuple, attention_mask_pattern("causal", n_gpt)))
    # Both look from the gap: BERT from its [MASK], GPT-2 from the tokens of the word filling it.
    gap = result.words[result.bert_mask.query]
    assert gap.text == "[MASK]" and result.gpt_mask.query == gap.index
    assert [result.bert_tokens.tokens[r].kind for r in result.bert_mask.rows] == ["mask"]
    assert result.gpt_mask.rows[0] == result.gpt_slot_position
    assert result.gpt_mask.tokens == tuple(t.display for t in result.gpt_tokens.tokens)
    assert result.layers == max(bert.model.config.num_hidden_layers, gpt.model.config.num_hidden_layers)
    assert result.heads == max(bert.model.config.num_attention_heads, gpt.model.config.num_attention_heads)


def test_attention_comparison_reads_the_sentence_as_compare_does(bert, gpt):
    full = compare(bert, gpt, TESLA, top_k=1, layer=2, head=1)
    attention = compare_attention(bert, gpt, TESLA, layer=2, head=1, query=2)
    assert attention.bert == full.bert_attention and attention.gpt == full.gpt_attention
    assert attention.bert_mask.query == attention.gpt_mask.query == 2
    assert attention.words == full.words
    assert attention.gpt_mask.pattern == full.gpt_mask.pattern


def _pieces(tokens, rows) -> str:
    return "".join(tokens.tokens[r].display.removeprefix("##").lstrip("␣") for r in rows)


def test_one_word_index_selects_each_models_own_tokens_for_that_word(bert, gpt):
    """The tokenizations differ (BERT's [CLS] shifts every position by one, WordPiece and BPE split words
    differently, GPT-2 reads the gap as BERT's guess): the selector counts words, and each model picks out the
    tokens that spell the word in its own reading."""
    text = "Unbelievably, the [MASK] barked at Austin."
    attention = compare_attention(bert, gpt, text, layer=1, head=1, query=0)
    words = attention.words
    assert [w.text for w in words] == ["Unbelievably", ",", "the", "[MASK]", "barked", "at", "Austin", "."]
    bert_tokens = attention_source(bert, gpt, text).bert_tokens
    gpt_tokens = attention_source(bert, gpt, text).gpt_tokens
    for word in words:
        if word.text == "[MASK]":
            assert [bert_tokens.tokens[r].kind for r in word.bert_positions] == ["mask"]
            assert word.gpt_positions and word.gpt_positions[0] == min(
                t.position for t in gpt_tokens.tokens if t.start >= words[2].end)  # the filler, after "the"
            continue
        assert _pieces(bert_tokens, word.bert_positions) == word.text.lower()  # tiny-bert is uncased
        assert _pieces(gpt_tokens, word.gpt_positions) == word.text
    # The same word index, different token positions: here even the first word differs ([CLS]).
    assert words[0].bert_positions[0] == 1 and words[0].gpt_positions[0] == 0
    assert any(len(w.bert_positions) != len(w.gpt_positions) for w in words)
    # The masks pick out exactly those rows, one word at a time.
    for word in words:
        picked = compare_attention(bert, gpt, text, query=word.index) if word.index in (0, 3) else attention_from(
            attention_source(bert, gpt, text), query=word.index)
        assert picked.bert_mask.rows == word.bert_positions and picked.gpt_mask.rows == word.gpt_positions
        assert picked.bert_mask.word == picked.gpt_mask.word == word.text


def test_sentence_words_shift_past_gaps_of_any_length():
    """Words after a gap land on the right characters whatever fills the gap (a mask token of another length,
    a longer guess)."""
    from playground.core.tokens import Token, TokenizedText
    from playground.tasks.compare import sentence_words

    def tokens(text: str) -> TokenizedText:
        import re
        return TokenizedText(model_name="m", scheme="test", tokens=tuple(
            Token(position=i, token_id=i, piece=m.group(), display=m.group(), kind="word", start=m.start(),
                  end=m.end()) for i, m in enumerate(re.finditer(r"\S+", text))))

    text = "A [MASK] b [MASK] c"
    words = sentence_words(text, tokens("A <mask> b <mask> c"), ("<mask>", "<mask>"),
                           tokens("A electric b x c"), ("electric", "x"))
    assert [(w.text, w.bert_positions, w.gpt_positions) for w in words] == [
        ("A", (0,), (0,)), ("[MASK]", (1,), (1,)), ("b", (2,), (2,)), ("[MASK]", (3,), (3,)), ("c", (4,), (4,))]


def test_compare_says_when_it_tidied_the_whitespace(bert, gpt):
    result = compare(bert, gpt, "  The [MASK]\tbarked.  ", top_k=1)
    assert result.text == "The [MASK] barked."
    assert any("2 leading and 2 trailing" in n and "1 tab(s)" in n and "exactly as typed" in n
               for n in result.notices)
    assert not any("whitespace" in n for n in compare(bert, gpt, "The [MASK] barked.", top_k=1).notices)
