"""A real browser opens the Sentiment tab, runs it and sees results."""

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
