"""A real browser opens the Sentiment, Question answering and Summarization tabs, runs them and sees results."""

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

TIMEOUT = 30_000


def test_sentiment_tab_renders_label_table_tokens_and_attribution(page):
    page.get_by_role("tab", name="Sentiment").click()
    page.get_by_role("button", name="Classify", exact=True).click()
    page.locator("#sentiment-label").get_by_text("%").first.wait_for(timeout=TIMEOUT)
    label = page.locator("#sentiment-label").inner_text()
    assert "POSITIVE" in label or "NEGATIVE" in label
    assert "[CLS]" in page.locator("#sentiment-tokens").inner_text()
    assert "classifier head" in page.locator("#sentiment-tokens").inner_text()  # the legend names the head's input
    assert "wonderful" in page.locator("#sentiment-attribution").inner_text()
    assert "gradient × input" in page.locator("#sentiment-summary").inner_text()
    assert "loved this movie" in page.locator("#sentiment-results").inner_text()


def test_qa_tab_renders_answer_candidates_plot_and_segments(page):
    page.get_by_role("tab", name="Question answering").click()
    page.get_by_role("button", name="Answer", exact=True).click()
    page.locator("#qa-decision").get_by_text("answer", exact=False).first.wait_for(timeout=TIMEOUT)
    expect(page.locator("#qa-answer")).to_contain_text("Texas", timeout=TIMEOUT)  # outputs render independently
    context = " ".join(page.locator("#qa-answer").inner_text().split())  # one chip per word: join them
    assert "headquartered in Austin, Texas." in context  # the whole context, with the span highlighted
    assert "rank" in page.locator("#qa-candidates").inner_text()
    page.locator("#qa-plot img[src^='data:image']").first.wait_for(timeout=TIMEOUT)
    segments = page.locator("#qa-segments").inner_text()
    assert "[CLS]" in segments and "question (segment 0)" in segments and "context (segment 1)" in segments


def test_summarization_tab_streams_a_summary_with_encoder_and_decoder_tokens(page):
    page.get_by_role("tab", name="Summarization").click()
    page.get_by_role("button", name="Summarize", exact=True).click()
    page.locator("#summary-status").get_by_text("Done", exact=False).wait_for(timeout=TIMEOUT)
    assert "▁" in page.locator("#summary-encoder").inner_text()  # SentencePiece pieces
    assert page.locator("#summary-decoder").inner_text().strip()
    assert "decoder ran" in page.locator("#summary-status").inner_text()


def test_bad_question_shows_an_error_and_the_tab_keeps_working(page):
    page.get_by_role("tab", name="Question answering").click()
    question = page.get_by_label("Question", exact=True)
    question.fill("")
    page.get_by_role("button", name="Answer", exact=True).click()
    page.get_by_text("question is empty", exact=False).first.wait_for(timeout=TIMEOUT)
    question.fill("Where is Tesla headquartered?")
    page.get_by_role("button", name="Answer", exact=True).click()
    page.locator("#qa-decision").get_by_text("answer", exact=False).first.wait_for(timeout=TIMEOUT)
