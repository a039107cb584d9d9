"""A real browser on an offline start with nothing cached (the default profile, an empty Hugging Face cache,
HF_HUB_OFFLINE): the header names every missing model once with the ways to keep going, and each tab's failure
stays in that tab, naming its models and the download command, after the pop-up has gone."""

import socket

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on a served app

POPUP_GONE_S = 20  # a gr.Warning closes after 10 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    """The default profile served with an empty Hugging Face cache and the Hub off limits; yields its URL."""
    from huggingface_hub import constants

    from playground.tasks.context import AppOptions, make_context
    from playground.ui.page import CSS, THEME, build_demo, start_preload
    from playground.ui.serving import launch

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "HF_HUB_CACHE", str(tmp_path_factory.mktemp("empty-hf-cache")))
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        ctx = make_context(AppOptions(models="default", lab_dir=tmp_path_factory.mktemp("lab"), preload=True))
        demo = build_demo(ctx)
        port = _free_port()
        launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS,
               theme=THEME)
        start_preload(ctx, demo)  # as app.py does: here it is skipped (it could only fail)
        yield f"http://127.0.0.1:{port}/"
        demo.close()


def _open(page, tab: str) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()


@pytest.mark.slow  # 18 s on 2 busy cores
def test_an_offline_start_without_models_explains_itself_and_the_messages_stay(browser, offline_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(offline_app)
        header = page.locator("#model-status")
        expect(header).to_contain_text("Offline (HF_HUB_OFFLINE is set)", timeout=30_000)
        for needle in ("bert-base-uncased", "gpt2", "distilbert-base-uncased-finetuned-sst-2-english",
                       "python -m playground download", "--models lab", "--models tiny"):
            expect(header).to_contain_text(needle)
        expect(page.locator("#warm-status")).to_have_text("")  # said once: no second line about the same models

        page.get_by_role("button", name="Compare", exact=True).first.click()
        compare = page.locator("#compare-notices .playground-error")
        expect(compare).to_be_visible(timeout=30_000)
        expect(compare).to_contain_text("Models 'bert-base-uncased' and 'gpt2' are unavailable")
        expect(compare).to_contain_text("python -m playground download bert-base-uncased gpt2")

        _open(page, "Pre-training")
        page.locator("#mlm-run").click()
        mlm = page.locator("#mlm-notices .playground-error")
        expect(mlm).to_be_visible(timeout=30_000)
        expect(mlm).to_contain_text("Models 'bert-base-uncased' and 'gpt2' are unavailable")

        _open(page, "Sentiment")
        page.get_by_role("button", name="Classify", exact=True).click()
        sentiment = page.locator("#sentiment-notices .playground-error")
        expect(sentiment).to_be_visible(timeout=30_000)
        expect(sentiment).to_contain_text("python -m playground download distilbert-base-uncased-finetuned-sst-2")

        # The pop-ups are notifications: once they are gone, every message is still in its tab.
        expect(page.locator(".toast-body")).to_have_count(0, timeout=POPUP_GONE_S * 1000)
        expect(sentiment).to_be_visible()
        _open(page, "Pre-training")
        expect(mlm).to_be_visible()
        _open(page, "Compare")
        expect(compare).to_be_visible()
        expect(compare.locator("code").first).to_have_text("python -m playground download bert-base-uncased gpt2")
        # No red "Error" badge on the outputs (a raised gr.Error paints one on every component of the event).
        expect(page.get_by_text("Error", exact=True)).to_have_count(0)
    finally:
        context.close()
