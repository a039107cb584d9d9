"""A real browser (headless Debian chromium via Playwright) opens the Pre-training tab and runs each tool."""

import re

import pytest

from playground.tasks.mlm_simulator import PRESET

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app


def _rows(page, table: str) -> int:
    """Data rows of a gradio Dataframe (its grid counts the header row too; rows may be virtualised)."""
    return int(page.locator(f"{table} [role=grid]").get_attribute("aria-rowcount")) - 1


def _open(page, sub_tab: str) -> None:
    page.get_by_role("tab", name="Pre-training", exact=True).click()
    page.get_by_role("tab", name=sub_tab, exact=True).click()


def test_masking_simulator_renders_selection_scores_and_table(page):
    _open(page, "Masked LM (BERT)")
    page.locator("#mlm-run").click()
    scores = page.locator("#mlm-recovery")
    scores.get_by_text("BERT top-1 recovery").wait_for(timeout=30_000)
    assert "GPT-2 top-1 on the same" in scores.inner_text()
    assert "Selected 5 of" in scores.inner_text()  # 15% of the preset's maskable tokens
    # The label, the legend, then the preset itself in chunks, each selected token a chunk of its own (which
    # tokens are selected depends on how the tiny tokenizer split the text; the unit tests check the chunks).
    label, *legend_and_text = page.locator("#mlm-original").inner_text().split("\n")
    assert label == "Selected tokens in the text, coloured by what happened"
    assert legend_and_text[:3] == ["masked", "random", "unchanged"]
    assert "".join(legend_and_text[3:]) == PRESET
    reads = page.locator("#mlm-input").inner_text()
    assert "[CLS]" in reads and "[SEP]" in reads
    assert _rows(page, "#mlm-table") == 5
    table = page.locator("#mlm-table").inner_text()
    assert "aligned" in table or "partial" in table


@pytest.mark.slow  # 11 s on 2 busy cores
def test_nsp_step_generation_and_tokenizers_render(page):
    _open(page, "Next sentence (BERT)")
    page.get_by_role("button", name="Random sentence").click()
    page.locator("#nsp-run").click()
    page.locator("#nsp-label").get_by_text("NotNext").first.wait_for(timeout=30_000)
    assert "token_type_ids" in page.locator("#nsp-layout").inner_text()
    assert "segment 1 (B)" in page.locator("#nsp-tokens").inner_text()

    page.get_by_role("tab", name="Next token, step by step (GPT-2)", exact=True).click()
    page.locator("#steps-run").click()
    page.get_by_text("Stopped: reached 20 new tokens").wait_for(timeout=30_000)
    assert _rows(page, "#steps-table") == 20
    assert "Tesla is an American" in page.locator("#steps-text").inner_text()
    # Pick the second candidate at step 3 and continue from it. Options are scoped to their own dropdown, and
    # each step waits for the UI to settle, so a slow update cannot make the test read the wrong list.
    page.locator("#steps-pick-step input").click()
    page.locator("#steps-pick-step").get_by_role("option").nth(2).click()
    expect(page.locator("#steps-pick-step input")).to_have_value(re.compile(r"^3: "))
    expect(page.locator("#steps-pick-step").get_by_role("option")).to_have_count(0)
    page.locator("#steps-pick-choice input").click()
    # The picker starts on the 2nd candidate (the 1st is the token taken, marked ✓): pick the 3rd instead.
    second = page.locator("#steps-pick-choice").get_by_role("option").nth(2)
    picked = second.inner_text().split("(")[0].strip()
    second.click()
    expect(page.locator("#steps-pick-choice input")).to_have_value(re.compile("^" + re.escape(picked)))
    page.locator("#steps-pick-run").click()
    page.locator("#steps-table").get_by_text("you").first.wait_for(timeout=30_000)
    # The continuation streams: wait for all 20 rows before reading the table.
    expect(page.locator("#steps-table [role=grid]")).to_have_attribute("aria-rowcount", "21", timeout=30_000)
    cells = [c.strip() for c in page.locator("#steps-table").inner_text().splitlines()]
    you = cells.index("you")  # cells of the row: step, token, probability, chosen by, candidates
    assert cells[you - 3] == "3" and cells[you - 2] == picked and f"✓{picked} " in cells[you + 1]
    assert "model (kept)" in cells
    assert _rows(page, "#steps-table") == 20

    page.get_by_role("tab", name="Tokenizers", exact=True).click()
    page.locator("#tok-run").click()
    page.locator("#tok-facts").get_by_text("lossless", exact=False).first.wait_for(timeout=30_000)
    assert "[CLS]" in page.locator("#tok-wordpiece").inner_text()
    assert "</s>" in page.locator("#tok-sentencepiece").inner_text()
    assert "<bytes" in page.locator("#tok-bpe").inner_text()


def test_bad_input_shows_an_error_and_the_tab_keeps_working(page):
    _open(page, "Masked LM (BERT)")
    box = page.get_by_label("Text to mask")
    box.fill("")
    page.locator("#mlm-run").click()
    page.get_by_text("empty", exact=False).first.wait_for(timeout=30_000)
    box.fill("The cat sat on the mat.")
    page.locator("#mlm-run").click()
    page.locator("#mlm-recovery").get_by_text("BERT top-1 recovery").wait_for(timeout=30_000)


def test_replaced_token_detection_and_bert_writing_render(page):
    _open(page, "Replaced-token detection (ELECTRA)")
    page.locator("#rtd-run").click()
    page.locator("#rtd-summary").get_by_text("Why ELECTRA").wait_for(timeout=30_000)
    assert "tokens**" not in page.locator("#rtd-summary").inner_text()  # markdown rendered
    truth = page.locator("#rtd-truth").inner_text()
    assert "replaced" in truth and "original" in truth and "[CLS]" in truth
    assert _rows(page, "#rtd-table") >= 10

    page.get_by_role("tab", name="Can BERT write?", exact=True).click()
    page.locator("#write-run").click()
    page.locator("#write-lesson").get_by_text("GPT-2 was trained").wait_for(timeout=60_000)
    assert _rows(page, "#write-ltr-steps") == 12  # the default length, one step per token
    assert "The weather today is" in page.locator("#write-gpt-text").inner_text()
    assert "[MASK]" not in page.locator("#write-ltr-text").inner_text()
