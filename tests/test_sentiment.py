"""Sentiment head on the tiny DistilBERT: probabilities, [CLS] as the head's input, lines, attribution."""

import pytest
import torch

from playground.core.errors import ModelUnavailable, PlaygroundError
from playground.tasks.sentiment import MAX_LINES, attribution_target, classify, split_lines


@pytest.fixture(scope="module")
def sst2(store):
    return store.get("tiny-distilbert-sst2", "sentiment")


def test_one_text_gives_label_probabilities_and_marks_cls(sst2):
    batch = classify(sst2, "The movie was wonderful, I loved every minute of it.")
    (result,) = batch.results
    assert {l.label for l in result.labels} == {"NEGATIVE", "POSITIVE"}
    assert sum(l.probability for l in result.labels) == pytest.approx(1.0, abs=1e-5)
    assert result.labels[0].probability >= result.labels[1].probability
    assert result.label == result.labels[0].label and result.probability == result.labels[0].probability
    assert result.head_position == 0 and result.tokens.tokens[0].piece == "[CLS]"
    assert "[CLS]" in batch.head and "classifier Linear(32→2)" in batch.head
    assert batch.attribution_target == "POSITIVE − NEGATIVE"


def test_probabilities_match_a_plain_forward_pass(sst2):
    text = "The food was terrible and the service was slow."
    result = classify(sst2, text, attributions=False).results[0]
    enc = sst2.tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        probs = sst2.model(input_ids=enc["input_ids"]).logits.softmax(-1)[0]
    by_label = {l.label: l.probability for l in result.labels}
    assert by_label["POSITIVE"] == pytest.approx(float(probs[1]), abs=1e-5)
    assert result.token_attributions == () and result.word_attributions == ()


def test_each_line_is_classified_as_if_alone(sst2):
    lines = ["I loved it.", "", "The food was terrible, the service was slow and I will never go back.", "  ok  "]
    batch = classify(sst2, "\n".join(lines), one_per_line=True)
    assert [r.text for r in batch.results] == ["I loved it.", lines[2], "ok"]  # blank lines skipped
    assert [r.line_number for r in batch.results] == [1, 2, 3]
    for r in batch.results:  # padding in the batch must not change a line's result or its attribution
        alone = classify(sst2, r.text).results[0]
        assert r.probability == pytest.approx(alone.probability, abs=1e-5)
        for a, b in zip(r.token_attributions, alone.token_attributions):
            assert a.score == pytest.approx(b.score, abs=1e-6)


def test_attribution_is_gradient_times_input_of_the_logit_difference(sst2):
    text = "Wonderful acting, terrible food."
    result = classify(sst2, text).results[0]
    ids = torch.tensor([result.tokens.input_ids])
    embeddings = sst2.model.get_input_embeddings()(ids).detach().requires_grad_(True)
    with torch.enable_grad():
        logits = sst2.model(inputs_embeds=embeddings).logits[0]
        (grad,) = torch.autograd.grad(logits[1] - logits[0], embeddings)  # POSITIVE is id 1 in the tiny model
    expected = (grad * embeddings).sum(-1)[0]
    assert [a.score for a in result.token_attributions] == pytest.approx(expected.tolist(), abs=1e-6)
    # Words add up their tokens; shares are scaled so the strongest word is exactly ±1.
    shares = [w.share for w in result.word_attributions]
    assert max(abs(s) for s in shares) == pytest.approx(1.0)
    word = next(w for w in result.word_attributions if w.word == "Wonderful")
    inside = [a.score for a in result.token_attributions if a.start is not None and word.start <= a.start < word.end]
    assert word.score == pytest.approx(sum(inside), abs=1e-6)
    assert text[word.start:word.end] == "Wonderful"


def test_attribution_target_for_label_sets():
    assert attribution_target(["NEGATIVE", "POSITIVE"]) == (1, 0, "POSITIVE − NEGATIVE")
    assert attribution_target(["positive", "negative"]) == (0, 1, "positive − negative")
    assert attribution_target(["LABEL_0", "LABEL_1"]) == (1, 0, "LABEL_1 − LABEL_0")
    assert attribution_target(["neg", "neutral", "pos"])[1] is None


def test_line_limits_and_truncation(sst2):
    many = "\n".join(f"line number {i}" for i in range(MAX_LINES + 5))
    lines, notices = split_lines(many, one_per_line=True)
    assert len(lines) == MAX_LINES and any(f"first {MAX_LINES}" in n for n in notices)
    long = "the movie was wonderful and " * 40
    result = classify(sst2, long).results[0]
    assert len(result.tokens.tokens) == sst2.max_positions
    assert result.tokens.tokens[-1].piece == "[SEP]"
    assert any("dropped" in n for n in result.notices)
    # Words past the cut were never read, so they get no attribution.
    assert result.word_attributions[-1].end < len(long.strip())


@pytest.mark.parametrize("text, message", [("", "empty"), ("   \n  ", "empty"), ("\x00\x01", "no visible")])
def test_empty_text_is_refused(sst2, text, message):
    with pytest.raises(PlaygroundError, match=message):
        classify(sst2, text, one_per_line=True)


def test_real_checkpoint_has_a_card_and_fails_offline_with_the_download_command(store):
    with pytest.raises(ModelUnavailable, match="python -m playground download distilbert-base-uncased-finetuned"):
        store.get("distilbert-base-uncased-finetuned-sst-2-english", "sentiment")
