"""ELECTRA's replaced-token detection on the tiny models: BERT corrupts, the discriminator judges every token."""

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.replaced_token_detection import (EXAMPLE, THRESHOLD, WHY_EVERY_TOKEN, corrupt,
                                                       detect_replaced_tokens)
from playground.ui.tabs.pretraining.replaced_tokens import RTD_INTRO, detection_summary


@pytest.fixture(scope="module")
def electra(store):
    return store.get("tiny-electra", "replaced-token-detection")


@pytest.fixture(scope="module")
def corrupted(electra, bert):
    return detect_replaced_tokens(electra, EXAMPLE, bert, mask_rate=0.15, seed=3)


def test_a_corrupted_sentence_reports_which_tokens_were_replaced(corrupted, electra):
    tokens = corrupted.tokens
    maskable = [t for t in tokens if t.kind in ("word", "continuation")]
    assert corrupted.corrupted and corrupted.generator == "tiny-bert" and corrupted.discriminator == "tiny-electra"
    assert corrupted.selected == round(0.15 * len(maskable)) == sum(t.selected for t in tokens)
    replaced = [t for t in tokens if t.replaced]
    assert replaced and corrupted.replaced == len(replaced)
    for t in tokens:
        assert t.replaced == (t.token != t.original)  # really replaced = the token read is not the original
        assert t.replaced is False or t.selected  # only the generator's slots can change
        assert (t.generator_probability is not None) == t.selected
        assert 0.0 <= t.probability_replaced <= 1.0 and t.flagged == (t.probability_replaced > THRESHOLD)
    assert corrupted.caught + corrupted.missed == corrupted.replaced
    assert corrupted.false_alarms == sum(t.flagged and not t.replaced for t in tokens)
    assert [t.kind for t in (tokens[0], tokens[-1])] == ["special", "special"] and not tokens[0].selected
    assert corrupted.judged == len(tokens)  # a verdict for every token, not only the 15%
    assert corrupted.corrupted_text != corrupted.text.lower()


def test_the_discriminator_reads_exactly_the_corrupted_ids(corrupted, electra):
    import torch

    ids = [t.token_id for t in corrupted.tokens]
    with torch.inference_mode():
        logits = electra.model(input_ids=torch.tensor([ids])).logits[0]
    assert [round(t.probability_replaced, 5) for t in corrupted.tokens] == \
        [round(float(p), 5) for p in logits.sigmoid()]


def test_the_corruption_is_seeded(electra, bert, corrupted):
    again = detect_replaced_tokens(electra, EXAMPLE, bert, mask_rate=0.15, seed=3)
    assert again == corrupted
    other = detect_replaced_tokens(electra, EXAMPLE, bert, mask_rate=0.15, seed=4)
    assert [t.token_id for t in other.tokens] != [t.token_id for t in corrupted.tokens]


def test_replacements_are_sampled_from_bert_never_special_tokens(electra, bert):
    from playground.core.tokens import tokenize

    tokens = tokenize(electra, EXAMPLE)
    corruption = corrupt(bert, tokens, 0.5, 1)
    specials = set(bert.tokenizer.all_special_ids)
    assert all(corruption.input_ids[p] not in specials for p in corruption.positions)
    assert all(0 < p <= 1 for p in corruption.sampled_probabilities)
    unchanged = set(range(len(tokens.tokens))) - set(corruption.positions)
    assert all(corruption.input_ids[i] == tokens.input_ids[i] for i in unchanged)


def test_the_users_own_sentence_is_judged_as_typed(electra):
    result = detect_replaced_tokens(electra, "The chef ate the meal.")
    assert not result.corrupted and result.generator is None and result.selected == 0
    assert all(t.replaced is None and t.original is None and not t.selected for t in result.tokens)
    assert result.caught is None and result.false_alarms is None
    assert "every token" in WHY_EVERY_TOKEN and "15%" in WHY_EVERY_TOKEN


def test_a_generator_with_another_vocabulary_is_refused(electra, store):
    xlmr = store.get("tiny-xlm-roberta", "fill-mask")
    with pytest.raises(PlaygroundError, match="different vocabularies"):
        detect_replaced_tokens(electra, EXAMPLE, xlmr)
    with pytest.raises(PlaygroundError, match="Mask rate"):
        detect_replaced_tokens(electra, EXAMPLE, store.get("tiny-bert", "fill-mask"), mask_rate=0)
    with pytest.raises(PlaygroundError, match="empty"):
        detect_replaced_tokens(electra, "   ")


def test_the_generator_is_named_as_a_full_size_frozen_bert_next_to_electras(corrupted, electra, bert):
    identity = corrupted.generator_identity
    generator_params = sum(p.numel() for p in bert.model.parameters())
    discriminator_params = sum(p.numel() for p in electra.model.parameters())
    assert "`tiny-bert`" in identity and "full-size, frozen, already trained masked LM" in identity
    assert f"{generator_params:,} parameters" in identity and f"discriminator's {discriminator_params:,}" in identity
    assert "trained together with the discriminator" in identity and "Section 3.2" in identity
    assert identity in detection_summary(corrupted)  # shown with every corrupted result
    assert "full-size, frozen" in RTD_INTRO and "small masked LM (here BERT)" not in RTD_INTRO
    assert detect_replaced_tokens(electra, EXAMPLE).generator_identity is None  # judged as typed: no generator
