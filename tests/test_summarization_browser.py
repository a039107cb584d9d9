"""A real browser opens the Summarization tab, runs it and sees results."""

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

TIMEOUT = 30_000


def test_summarization_tab_streams_a_summary_with_encoder_and_decoder_tokens(page):
    page.get_by_role("tab", name="Summarization").click()
    page.get_by_role("button", name="Summarize", exact=True).click()
    page.locator("#summary-status").get_by_text("Done", exact=False).wait_for(timeout=TIMEOUT)
    assert "▁" in page.locator("#summary-encoder").inner_text()  # SentencePiece pieces
    assert page.locator("#summary-decoder").inner_text().strip()
    assert "decoder ran" in page.locator("#summary-status").inner_text()
