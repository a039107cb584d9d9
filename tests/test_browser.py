"""A real browser (headless Debian chromium via Playwright) opens the app and runs the Compare tab."""


def test_compare_tab_renders_tokens_predictions_influence_and_plots(page):
    page.get_by_role("button", name="Compare", exact=True).click()
    bert_predictions = page.locator("#bert-predictions")
    bert_predictions.get_by_text("%").first.wait_for(timeout=30_000)
    assert "[CLS]" in page.locator("#bert-tokens").inner_text()
    assert "[MASK]" in page.locator("#bert-tokens").inner_text()
    gpt_tokens = page.locator("#gpt-tokens").inner_text()
    assert "␣is" in gpt_tokens and "[CLS]" not in gpt_tokens
    assert "%" in page.locator("#gpt-predictions").inner_text()
    assert "Texas" in page.locator("#gpt-influence").inner_text()
    assert page.get_by_text("Words right of the slot carry 0.0% of the total influence", exact=False).count() >= 1
    # Both attention figures are drawn as images.
    page.locator("img[src^='data:image']").first.wait_for(timeout=30_000)
    assert page.locator("img[src^='data:image']").count() >= 2
    assert page.get_by_text("tiny untrained models", exact=False).first.is_visible()


def test_bad_input_shows_an_error_and_the_page_keeps_working(page):
    box = page.get_by_label("Sentence")
    box.fill("")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.get_by_text("empty", exact=False).first.wait_for(timeout=30_000)
    box.fill("The [MASK] barked.")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.locator("#bert-predictions").get_by_text("%").first.wait_for(timeout=30_000)
