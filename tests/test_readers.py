"""The reader interface (`lm.readers`): one "model that reads text" with a masked (BERT) and a causal (GPT-2)
implementation, on the tiny models — the right one is picked, each reads the slot the way its model can, and
the analyses written once over it give what the old per-model functions gave."""

import dataclasses

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.core.text_input import clean_text
from playground.lm import influence as inf
from playground.lm.readers import CausalReader, MaskedReader, TextReader, attention_mask_pattern, reader_for

TEXT = "Tesla is an American [MASK] company headquartered in Austin, Texas."
LATER = "Tesla is an American [MASK] company headquartered in Boston, Massachusetts."  # only right of the slot differs


def test_reader_for_picks_by_task_then_by_config(bert, gpt):
    assert type(reader_for(bert)) is MaskedReader and reader_for(bert).direction == "bidirectional"
    assert type(reader_for(gpt)) is CausalReader and reader_for(gpt).direction == "causal"
    # A task the table does not know: a causal-LM architecture reads left to right, a mask token both ways.
    assert type(reader_for(dataclasses.replace(gpt, task="lab"))) is CausalReader
    assert type(reader_for(dataclasses.replace(bert, task="lab"))) is MaskedReader
    with pytest.raises(PlaygroundError, match="neither a masked nor a causal"):
        reader_for(dataclasses.replace(gpt, task="tokenizer-only", model=None))
    with pytest.raises(TypeError):
        TextReader(bert)  # the interface itself reads nothing


def test_each_reader_puts_the_slot_where_its_model_predicts_it(bert, gpt):
    masked = reader_for(bert).slot_input(TEXT)
    assert masked.input_ids[masked.position] == bert.tokenizer.mask_token_id and masked.offset == 0
    assert masked.slot == bert.tokenizer.mask_token

    causal_reader = reader_for(gpt)
    causal = causal_reader.slot_input(TEXT, ["car"])
    assert causal.input_ids[0] == causal_reader.start_id and causal.offset == 1
    assert causal.slot == "car" and causal.text[slice(*causal.slot_span)] == "car"
    slot_token = next(t for t in causal.tokens.tokens if t.end > causal.slot_span[0])
    assert causal.input_ids[causal.position + 1] == slot_token.token_id  # read from the token just before it
    whole = causal_reader.slot_input("Tesla is an American car")  # no gap: the slot is the next token
    assert whole.slot == "(next token)" and whole.position == len(whole.input_ids) - 1


def _slot_log_probs(reader, text, fillers=None):
    return reader.forward_pass(reader.slot_input(text, fillers)).log_probs[0]


def test_the_causal_readers_slot_ignores_later_words_and_the_masked_readers_does_not(bert, gpt):
    gpt_reader, bert_reader = reader_for(gpt), reader_for(bert)
    torch.testing.assert_close(_slot_log_probs(gpt_reader, TEXT, ["car"]), _slot_log_probs(gpt_reader, LATER, ["car"]),
                               rtol=0, atol=1e-6)
    assert (_slot_log_probs(bert_reader, TEXT) - _slot_log_probs(bert_reader, LATER)).abs().max() > 1e-4


def test_hiding_a_word_masks_it_for_bert_and_deletes_it_for_gpt(bert, gpt):
    masked_reader, causal_reader = reader_for(bert), reader_for(gpt)
    masked = masked_reader.slot_input(TEXT)
    variant = masked_reader.hide(masked, [1])
    assert len(variant.input_ids) == len(masked.input_ids) and variant.position == masked.position
    assert variant.input_ids[1] == bert.tokenizer.mask_token_id
    assert "become [MASK]" in masked_reader.hiding

    causal = causal_reader.slot_input(TEXT, ["car"])
    variant = causal_reader.hide(causal, [0])
    assert variant.input_ids == causal.input_ids[:1] + causal.input_ids[2:] and variant.position == causal.position - 1
    assert "deleted" in causal_reader.hiding


def test_attention_pattern_follows_the_direction(bert, gpt):
    assert reader_for(bert).attention_pattern(3) == attention_mask_pattern("bidirectional", 3) == [[1] * 3] * 3
    assert reader_for(gpt).attention_pattern(3) == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_influence_written_once_matches_the_per_model_names(bert, gpt):
    for method in (inf.GRADIENT, inf.OCCLUSION):
        assert inf.word_influence(bert, TEXT, method=method) == inf.masked_lm_word_influence(bert, TEXT, method)
        assert inf.word_influence(gpt, TEXT, ["car"], method) == \
            inf.causal_lm_word_influence(gpt, TEXT, ["car"], method)
    with pytest.raises(PlaygroundError, match="Influence method"):
        inf.word_influence(bert, TEXT, method="saliency")


def test_a_slot_with_nothing_before_it_has_no_pass_and_no_influence(gpt):
    cleaned = clean_text("[MASK] is a city.")
    reading = inf.causal_reading(gpt, cleaned, ["Paris"])
    assert reading.slot == 0
    slot = inf.causal_slot(gpt, cleaned, reading, None, target=0)
    assert slot.reading is None and slot.inp.input_ids[0] == reader_for(gpt).start_id
    result = inf.slot_influence(slot, inf.GRADIENT)
    assert all(w.influence == 0.0 for w in result.words) and {w.side for w in result.words} == {"slot", "right"}
