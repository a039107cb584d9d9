"""`--models lab` in a real browser: the main button of every tab, clicked on its defaults, gives a result and no
error; a warning toast does not follow the user to another tab.

Every tab is checked for "no error, not empty"; Compare for the lab world's answer (the heads' answers to their
defaults are tests/test_world_examples.py's). The lab's Train and Fine-tune and the Models tab's Measure run for minutes on their defaults: the
lab tab is clicked on its direction test, the Models tab on the variant chooser (the API walk in
tests/test_lab_mode_api.py runs the long ones shortened)."""

import re
import socket
import time

import pytest

from playground.tasks import world_examples
from playground.tasks.context import AppOptions
from playground.ui.page import CSS, THEME, build_app
from playground.ui.serving import launch

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.slow]

RESULT_TIMEOUT_S = 180  # a first click loads its models; 2 shared cores

# (top tab, sub-tab or None, the main button, where its result shows)
CLICKS = [
    ("Compare", None, "role:Compare", "#bert-predictions"),
    ("Inside", "KV cache", "role:Append and compare", "#inside-cache-summary"),
    ("Pre-training", "Masked LM (BERT)", "#mlm-run", "#mlm-recovery"),
    ("Pre-training", "Next sentence (BERT)", "#nsp-run", "#nsp-label"),
    ("Pre-training", "Next token, step by step (GPT-2)", "#steps-run", "#steps-text"),
    ("Pre-training", "Tokenizers", "#tok-run", "#tok-summary"),
    ("Pre-training", "Replaced-token detection (ELECTRA)", "#rtd-run", "#rtd-summary"),
    ("Pre-training", "Can BERT write?", "#write-run", "#write-lesson"),
    ("Pretraining lab", None, "role:Run the direction test", "#lab-direction"),
    ("GPT → Assistant", None, "role:1. Run SFT", "#assistant-sft-summary"),
    ("Sentiment", None, "role:Classify", "#sentiment-label"),
    ("Question answering", None, "role:Answer", "#qa-decision"),
    ("Summarization", None, "role:Summarize", "#summary-text"),
    ("Models", None, "#chooser-run", "#chooser-explanation"),
]


@pytest.fixture(scope="module")
def lab_app(tiny_dir, tmp_path_factory):
    demo = build_app(AppOptions(models="lab", tiny_dir=tiny_dir, lab_dir=tmp_path_factory.mktemp("lab")))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS, theme=THEME)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture()
def lab_page(browser, lab_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(lab_app)
    yield page
    context.close()


def _button(page, selector: str):
    if selector.startswith("role:"):
        return page.get_by_role("button", name=selector[5:], exact=True).first
    return page.locator(selector)


def _text(locator) -> str:
    """What a result component shows: its text boxes' values, else its text."""
    areas = locator.locator("textarea")
    values = [areas.nth(i).input_value() for i in range(areas.count())]
    return " ".join(values).strip() or locator.inner_text().strip()


PENDING = re.compile(r"^(processing \| )?[\d.]+(/[\d.]+)?s$|queue: ")  # Gradio's status line while an event runs


def _wait_for_result(locator, before: str, timeout_s: float) -> str:
    """What the component shows once its event has finished and written something beyond what it showed before
    (its label): "" if that never happens."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = _text(locator)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        pending = any(PENDING.search(line) for line in lines)
        new = [line for line in lines if line not in before.splitlines()]
        if new and not pending:
            return "\n".join(new)
        time.sleep(0.5)
    return ""


def _open(page, tab: str, subtab: str | None) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()
    if subtab:
        page.get_by_role("tab", name=subtab, exact=True).click()


def test_every_tabs_main_button_gives_a_result_and_no_error(lab_page):
    page = lab_page
    expect(page.locator("#mode-banner")).to_contain_text("lab models")
    for tab, subtab, button, result in CLICKS:
        _open(page, tab, subtab)
        before = _text(page.locator(result))
        _button(page, button).click()
        shown = _wait_for_result(page.locator(result), before, RESULT_TIMEOUT_S)
        assert shown, f"{tab} › {subtab or ''}: nothing in {result}"
        assert page.locator(".playground-error").count() == 0, f"{tab} › {subtab or ''}: an error is shown"
        if tab == "Compare":  # the lab world's answer, not only some answer
            assert world_examples.COMPARE[0].answer in shown
    expect(page.get_by_text("Error", exact=True)).to_have_count(0)  # no red error badge on any output
    # RNN → Transformer opens on its shipped measurements (each Run trains for a while: the API walk runs one short)
    _open(page, "RNN → Transformer", None)
    for section in ("lm", "long-range", "gradients", "seq2seq"):
        expect(page.locator(f"#road-{section}-note")).not_to_be_empty()


def test_a_warning_toast_does_not_stay_when_the_user_moves_to_another_tab(lab_page):
    page = lab_page
    page.get_by_label("Sentence").first.fill("")  # Compare with nothing to read: a warning
    page.get_by_role("button", name="Compare", exact=True).first.click()
    expect(page.locator("#compare-notices .playground-error")).to_be_visible(timeout=30_000)
    toasts = page.locator('[data-testid="toast-close"]')
    expect(toasts.first).to_be_visible(timeout=10_000)
    _open(page, "Sentiment", None)
    expect(toasts).to_have_count(0, timeout=3_000)  # well before the toast's own 10 s
    _open(page, "Compare", None)
    expect(page.locator("#compare-notices .playground-error")).to_be_visible()  # the message stays in its tab
