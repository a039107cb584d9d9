"""Next-sentence prediction: input layout, segment ids, the NSP head's probabilities, truncation."""

import pytest
import torch

from playground.core.errors import PlaygroundError
from playground.tasks.nsp import LABELS, PRESETS, next_sentence


@pytest.fixture(scope="module")
def nsp_model(store):
    return store.get("tiny-bert", "nsp")


def test_the_model_is_bert_with_its_pretraining_heads(nsp_model):
    assert type(nsp_model.model).__name__ == "BertForPreTraining"


def test_input_is_cls_a_sep_b_sep_with_segment_ids(nsp_model):
    result = next_sentence(nsp_model, "The cat sat on the mat.", "It was happy.")
    pieces = [t.piece for t in result.tokens]
    seps = [i for i, p in enumerate(pieces) if p == "[SEP]"]
    assert pieces[0] == "[CLS]" and len(seps) == 2 and seps[1] == len(pieces) - 1
    # Segment 0: [CLS], sentence A and the first [SEP]; segment 1: sentence B and the final [SEP].
    assert [t.segment for t in result.tokens] == [0] * (seps[0] + 1) + [1] * (len(pieces) - seps[0] - 1)
    a_ids = nsp_model.tokenizer("The cat sat on the mat.", add_special_tokens=False)["input_ids"]
    b_ids = nsp_model.tokenizer("It was happy.", add_special_tokens=False)["input_ids"]
    cls, sep = nsp_model.tokenizer.cls_token_id, nsp_model.tokenizer.sep_token_id
    assert [t.token_id for t in result.tokens] == [cls, *a_ids, sep, *b_ids, sep]
    assert result.layout.startswith("[CLS] the cat") and result.layout.count("[SEP]") == 2
    assert {t.kind for t in result.tokens if t.piece in ("[CLS]", "[SEP]")} == {"special"}


def test_probabilities_come_from_the_nsp_head(nsp_model):
    a, b = PRESETS["random sentence"]
    result = next_sentence(nsp_model, a, b)
    ids = torch.tensor([[t.token_id for t in result.tokens]])
    segments = torch.tensor([[t.segment for t in result.tokens]])
    with torch.inference_mode():
        logits = nsp_model.model(input_ids=ids, token_type_ids=segments).seq_relationship_logits[0]
    expected = logits.softmax(-1)
    assert LABELS == ("IsNext", "NotNext")  # index 0 = IsNext in BERT's NSP head
    assert result.probabilities["IsNext"] == pytest.approx(float(expected[0]), rel=1e-5)
    assert result.probabilities["NotNext"] == pytest.approx(float(expected[1]), rel=1e-5)
    assert sum(result.probabilities.values()) == pytest.approx(1.0)
    assert result.logits == pytest.approx((float(logits[0]), float(logits[1])), rel=1e-5)
    assert result.verdict == max(result.probabilities, key=result.probabilities.get)


def test_segment_ids_change_the_prediction(nsp_model):
    """The head really reads the segment ids: swapping them changes its logits."""
    result = next_sentence(nsp_model, *PRESETS["true continuation"])
    ids = torch.tensor([[t.token_id for t in result.tokens]])
    flipped = torch.tensor([[1 - t.segment for t in result.tokens]])
    with torch.inference_mode():
        other = nsp_model.model(input_ids=ids, token_type_ids=flipped).seq_relationship_logits[0]
    assert not torch.allclose(other, torch.tensor(result.logits))


def test_presets_share_sentence_a_and_differ_in_b():
    (a1, b1), (a2, b2) = PRESETS["true continuation"], PRESETS["random sentence"]
    assert a1 == a2 and b1 != b2


def test_a_long_pair_is_truncated_longest_first_with_a_notice(nsp_model):
    result = next_sentence(nsp_model, "company " * 80, "The cat sat on the mat.")
    assert len(result.tokens) == nsp_model.max_positions
    assert result.dropped_a > 0 and result.dropped_b == 0  # the longer sentence gives up tokens first
    assert [t.piece for t in result.tokens].count("[SEP]") == 2 and result.tokens[-1].piece == "[SEP]"
    assert [t.display for t in result.tokens if t.segment == 1][:3] == ["the", "cat", "sat"]
    assert any(f"{result.dropped_a} from A" in n for n in result.notices)
    both = next_sentence(nsp_model, "company " * 80, "cat " * 60)
    assert both.dropped_a > 0 and both.dropped_b > 0 and len(both.tokens) == nsp_model.max_positions


@pytest.mark.parametrize("a, b, message", [("", "B.", "sentence A"), ("A.", "  ", "sentence B"),
                                           (None, "B.", "sentence A")])
def test_empty_sentences_get_a_clear_message(nsp_model, a, b, message):
    with pytest.raises(PlaygroundError, match=message):
        next_sentence(nsp_model, a, b)


def test_a_model_without_an_nsp_head_is_explained(store):
    with pytest.raises(PlaygroundError, match="next-sentence"):  # refused when asked for, not after loading
        roberta = store.get("tiny-roberta-squad2", "nsp")  # RoBERTa dropped NSP: no such head
        next_sentence(roberta, "A cat.", "A dog.")
