"""A real browser opens the Inside tab, runs the logit lens and the probes (with their progress bar), and sees
the Plotly figures."""

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

TIMEOUT = 60_000


def test_inside_tab_draws_the_lens_and_the_probes(page):
    page.get_by_role("tab", name="Inside").click()
    page.get_by_role("button", name="Run the logit lens").click()
    page.locator("#inside-lens-bert .js-plotly-plot").wait_for(timeout=TIMEOUT)
    assert "layer 1" in page.locator("#inside-lens-bert").inner_text()
    page.get_by_role("tab", name="Probes").click()
    page.get_by_role("button", name="Train the probes").click()
    expect(page.locator("#inside-probes-summary")).to_contain_text("selectivity", timeout=TIMEOUT)
    page.locator("#inside-probes-plot .js-plotly-plot").wait_for(timeout=TIMEOUT)
