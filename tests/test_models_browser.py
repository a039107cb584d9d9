"""A real browser opens the Models tab: the card table, a card, the fact sheet, the chooser and a measurement."""

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app


def open_models_tab(page):
    page.get_by_role("tab", name="Models", exact=True).click()
    page.locator("#models-table").get_by_text("BERT large (uncased)").first.wait_for(timeout=30_000)


def test_table_card_and_fact_sheet_render(page):
    open_models_tab(page)
    table = page.locator("#models-table").inner_text()
    benchmarks = page.locator("#models-benchmarks").inner_text()
    assert "ALBERT base v2" in table and "SQuAD v1.1 F1 (dev)" in benchmarks and "90.9" in benchmarks
    page.get_by_label("history").check()  # filter: history cards only
    expect(page.locator("#models-table")).not_to_contain_text("BERT large (uncased)", timeout=30_000)
    assert "GPT-3 (175B)" in page.locator("#models-table").inner_text()
    assert "Bidirectional" in page.locator("#fact-sheet").inner_text()
    # Pick a history card: its detail view renders with the history marking and sourced numbers.
    page.locator("#card-pick input").click()
    page.get_by_role("option", name="📜 GPT-3 (175B)").click()
    view = page.locator("#card-view")
    view.get_by_text("History card").wait_for(timeout=30_000)
    assert "Brown et al. 2020, Table 3.2" in view.inner_text()
    expect(page.locator("#timeline-plot img")).to_have_count(1, timeout=30_000)  # drawn when the tab opens


def test_chooser_ranks_and_measurement_plots(page):
    open_models_tab(page)
    page.locator("#chooser-max-params input").fill("70")
    page.locator("#chooser-run").click()
    explanation = page.locator("#chooser-explanation")
    explanation.get_by_text("Recommended: ALBERT base v2").wait_for(timeout=30_000)
    assert "Fewer parameters ≠ faster" in explanation.inner_text()
    assert "albert-base-v2" in page.locator("#chooser-ranking").inner_text()
    # The chooser pre-selects its candidates; measure them (tiny twins in this app).
    page.locator("#measure-run").click()
    page.locator("#tradeoff-plot img").first.wait_for(timeout=60_000)
    rows = page.locator("#measure-table").inner_text()
    assert "AlbertForQuestionAnswering" in rows
    assert "Tiny mode" in page.locator("#measure-notes").inner_text()


def test_impossible_limits_and_tab_links(page):
    open_models_tab(page)
    page.locator("#chooser-max-params input").fill("1")
    page.locator("#chooser-run").click()
    page.locator("#chooser-explanation").get_by_text("Nothing fits all the constraints").wait_for(timeout=30_000)
    assert "What comes closest" in page.locator("#chooser-explanation").inner_text()
    # "See it live" buttons switch to the tab that demonstrates the row.
    page.get_by_role("button", name="Compare", exact=True).click()
    compare = page.get_by_role("tab", name="Compare", exact=True)
    page.wait_for_function("() => document.querySelector('button[role=\"tab\"][data-tab-id=\"compare\"]')"
                           ".getAttribute('aria-selected') === 'true'", timeout=10_000)
    assert compare.get_attribute("aria-selected") == "true"


def test_stop_or_leaving_the_page_ends_a_measurement(page, monkeypatch):
    """Stop reaches the running measurement of this page's session, which then shows its partial report; a
    measurement whose page is closed stops by itself."""
    import threading
    import time

    from playground.tasks import measure

    real, running, returned = measure.measure_one, threading.Event(), threading.Event()

    def slow(name, **kwargs):  # long enough that only a stop can end it in time
        running.set()
        deadline = time.monotonic() + 60
        while not kwargs["stop"]() and time.monotonic() < deadline:
            time.sleep(0.02)
        returned.set()
        return real(name, **kwargs)
    monkeypatch.setattr(measure, "measure_one", slow)
    measure.clear_cache()
    open_models_tab(page)
    page.locator("#measure-run").click()
    assert running.wait(30)
    page.locator("#measure-stop").click()
    expect(page.locator("#measure-notes")).to_contain_text("Stopped after 1 of 2 model(s)", timeout=30_000)
    running.clear(), returned.clear()
    page.locator("#measure-run").click()
    assert running.wait(30) and not returned.is_set()
    page.context.close()  # the user leaves
    assert returned.wait(20)  # the measurement noticed within seconds, not after its 60 s
    measure.clear_cache()
