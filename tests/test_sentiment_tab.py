"""The Sentiment tab without a server: its handler (what /sentiment returns, `playground/tasks/sentiment.py`)
and its view function (what each component shows)."""

import pytest

from playground.core.errors import PlaygroundError
from playground.tasks.sentiment import run_sentiment
from playground.ui.tabs.sentiment import sentiment_view
from playground.ui.widgets import to_json


def test_sentiment_view_explains_the_chosen_line(ctx):
    batch = run_sentiment(ctx, "I loved it.\n\nI hated it.\nIt was fine.", True, 2, "tiny-distilbert-sst2")
    assert [r.text for r in batch.results] == ["I loved it.", "I hated it.", "It was fine."]
    assert batch.attribution_target == "POSITIVE − NEGATIVE"
    view = sentiment_view(batch, 2)
    assert [row[0] for row in view.results] == [1, 2, 3]
    assert set(view.label) == {"NEGATIVE", "POSITIVE"}
    assert view.tokens[0] == ("[CLS]", "[CLS] → classifier head")
    assert "Line 2" in view.summary and "gradient × input" in view.summary
    chips = [(c["token"], c["class_or_confidence"]) for c in view.attribution.value]
    colours = view.attribution.color_map
    assert "".join(chip for chip, _ in chips) == "I hated it."
    # Every word is labelled by the way it pushed: green towards POSITIVE, red towards NEGATIVE, by strength.
    shares = {w.word: w.share for w in batch.results[1].word_attributions}
    for chip, label in chips:
        if label is not None:
            assert label.startswith("→ POSITIVE" if shares[chip] > 0 else "→ NEGATIVE")
            assert ("strong" in label) == (abs(shares[chip]) >= 0.5)
    assert max(abs(s) for s in shares.values()) == pytest.approx(1.0)  # the strongest word is always coloured
    assert colours["→ POSITIVE (strong)"] == "#16a34a" and colours["→ NEGATIVE (strong)"] == "#dc2626"
    assert view.json == to_json(batch)
    assert len(view.token_rows) == len(batch.results[1].token_attributions)


def test_sentiment_view_explains_the_last_line_when_asked_past_the_end(ctx):
    batch = run_sentiment(ctx, "Great!", False, 5, "tiny-distilbert-sst2")
    view = sentiment_view(batch, 5)
    assert "only 1 line(s); explaining line 1" in view.notices
    assert not view.summary.startswith("Line")  # one line: no "Line n:" prefix


# ---- bad input: the handler refuses with the sentence the UI and the API show ----------------------

@pytest.mark.parametrize("args, message", [
    (("", False, 1, "tiny-distilbert-sst2"), "empty"),
    (("ok", False, 99, "tiny-distilbert-sst2"), "Line to explain|maximum value 20"),
])
def test_bad_input_gets_a_clear_message(ctx, args, message):
    with pytest.raises(PlaygroundError, match=message):
        run_sentiment(ctx, *args)
