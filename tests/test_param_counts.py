"""The parameter count on every runnable card matches the model built from its real config."""

import pytest

from playground.models.architectures import SPECS, build_model, config_for, count_parameters, spec_for
from playground.models.cards import load_catalog
from playground.core.errors import PlaygroundError
from playground.tasks.measure import max_input_tokens

TOLERANCE = 0.03  # "within a few percent": papers round (110M), checkpoints add heads and tie weights
RUNNABLE = [c for c in load_catalog().runnable()]


def test_every_runnable_card_has_an_architecture():
    missing = [c.hub_id for c in RUNNABLE if c.hub_id not in SPECS]
    assert not missing, f"add these to playground/architectures.py: {missing}"


@pytest.mark.parametrize("card", RUNNABLE, ids=lambda c: c.slug)
def test_card_parameters_match_the_config(card):
    counted = count_parameters(card.hub_id)  # meta device: exact and instant
    assert abs(counted - card.parameters) / counted <= TOLERANCE, \
        f"{card.hub_id}: card says {card.parameters:,}, config builds {counted:,}"


@pytest.mark.parametrize("card", RUNNABLE, ids=lambda c: c.slug)
def test_card_shape_matches_the_config(card):
    config = config_for(card.hub_id)
    assert config.num_hidden_layers == card.layers
    assert config.hidden_size == card.hidden_size
    assert config.num_attention_heads == card.heads
    assert config.vocab_size == card.vocab_size
    assert max_input_tokens(config) == card.max_positions


def test_meta_count_equals_a_real_build():
    """Counting on the meta device is the same as counting a materialised model."""
    for hub_id in ("bert-base-uncased", "gpt2", "google/pegasus-xsum", "albert-base-v2"):
        model = build_model(hub_id, tiny=True)
        assert sum(p.numel() for p in model.parameters()) == count_parameters(hub_id, tiny=True)


def test_a_real_size_model_builds_with_random_weights():
    model = build_model("google/electra-small-discriminator")  # 13.5M parameters: about a second
    card = load_catalog().by_hub_id("google/electra-small-discriminator")
    weights = [p for p in model.parameters()]
    assert sum(p.numel() for p in weights) == pytest.approx(card.parameters, rel=TOLERANCE)
    std = weights[5].float().std().item()
    assert 0.005 < std < 0.1, "initialised like a real model (normal, std 0.02), not left empty"
    assert not model.training


def test_heads_and_unknown_models():
    assert count_parameters("bert-base-uncased", head="question-answering") < count_parameters("bert-base-uncased")
    with pytest.raises(PlaygroundError, match="No architecture"):
        spec_for("someone/unknown")
    with pytest.raises(PlaygroundError, match="Unknown head"):
        count_parameters("gpt2", head="translation")
    with pytest.raises(PlaygroundError, match="no AutoModelForQuestionAnswering"):
        count_parameters("google/pegasus-xsum", head="question-answering")
