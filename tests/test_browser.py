"""A real browser (headless Debian chromium via Playwright) opens the app and runs the Compare tab.

Each output renders on its own, so every check polls (`expect`) instead of reading once."""

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

TIMEOUT = 30_000


def test_compare_tab_renders_tokens_predictions_influence_and_plots(page):
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#bert-predictions")).to_contain_text("%", timeout=TIMEOUT)
    expect(page.locator("#bert-tokens")).to_contain_text("[CLS]", timeout=TIMEOUT)
    expect(page.locator("#bert-tokens")).to_contain_text("[MASK]")
    expect(page.locator("#gpt-tokens")).to_contain_text("␣is", timeout=TIMEOUT)
    assert "[CLS]" not in page.locator("#gpt-tokens").inner_text()
    expect(page.locator("#gpt-predictions")).to_contain_text("%", timeout=TIMEOUT)
    expect(page.locator("#gpt-influence")).to_contain_text("Texas", timeout=TIMEOUT)
    expect(page.get_by_text("Words right of the slot carry 0.0% of the total estimated influence").first).to_be_visible(
        timeout=TIMEOUT)
    # Both attention figures are interactive Plotly figures, one panel per model, titled with what they show.
    for plot in ("#attention-masks", "#attention-weights", "#attention-heads"):
        expect(page.locator(f"{plot} .js-plotly-plot")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#attention-masks .js-plotly-plot")).to_contain_text("causal (token t sees ≤ t)")
    expect(page.locator("#attention-weights .js-plotly-plot")).to_contain_text("tiny-gpt2: layer 1/")
    # Hovering a cell names the query and the key token and the exact weight.
    page.locator("#attention-weights .nsewdrag").first.hover(position={"x": 8, "y": 8})
    expect(page.locator("#attention-weights .hovertext")).to_contain_text("query 0: [CLS] → key 0: [CLS]: weight",
                                                                          timeout=TIMEOUT)
    expect(page.get_by_text("tiny untrained models").first).to_be_visible()


def test_streamed_generation_renders_the_continuation(page):
    page.get_by_text("Let GPT-2 keep writing").click()
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#gpt-generated")).to_contain_text("Tesla is an American", timeout=TIMEOUT)
    expect(page.get_by_text("reached 30 new tokens", exact=False).first).to_be_attached(timeout=TIMEOUT)


def test_bad_input_shows_an_error_and_the_page_keeps_working(page):
    box = page.get_by_label("Sentence")
    box.fill("")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_text("empty", exact=False).first).to_be_visible(timeout=TIMEOUT)
    message = page.locator("#compare-notices .playground-error")  # the failure stays under the button
    expect(message).to_contain_text("empty", timeout=TIMEOUT)
    box.fill("The [MASK] barked.")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#bert-predictions")).to_contain_text("%", timeout=TIMEOUT)
    expect(message).to_have_count(0)  # the next run replaces it
    expect(page.locator("#bert-tokens")).to_contain_text("the", timeout=TIMEOUT)  # the new sentence's tokens
