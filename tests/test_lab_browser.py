"""A real browser runs the Pretraining lab: the smallest valid training run on pasted text, its loss curve,
Stop; then fine-tuning on lines the user labels (and a bad line's message). One page load, seconds of training."""

import pytest

from playground.tasks.lab.corpus import builtin_corpus

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

TIMEOUT = 60_000
SMALL_TEXT = " ".join(builtin_corpus(200))  # tokenizers and data build in a moment
LINES = "\n".join([f"positive: {w} food and a {w} view" for w in ("great", "lovely", "fine", "superb")]
                  + [f"negative: {w} food and a {w} room" for w in ("awful", "cold", "dirty", "bad")])


def test_lab_trains_shows_the_curve_stops_and_fine_tunes_on_labelled_lines(page, tmp_path):
    page.get_by_role("tab", name="Pretraining lab").click()
    page.get_by_label("Your corpus (optional; empty = the built-in corpus)").fill(SMALL_TEXT)
    page.get_by_label("tiny", exact=True).check()
    steps = page.locator("#lab-steps input[type=number]")
    steps.fill("5000")  # far more than it gets: the run is stopped below
    steps.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#lab-status")).to_contain_text("running", timeout=TIMEOUT)
    expect(page.locator("#lab-curves img[src^='data:image']")).to_have_count(1, timeout=TIMEOUT)
    expect(page.locator("#lab-metrics")).to_contain_text("lab-bert")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#lab-status")).to_contain_text("stopped", timeout=TIMEOUT)
    page.screenshot(path=tmp_path / "lab-stopped.png", full_page=True)

    lines = page.locator("#lab-labelled-lines textarea")
    lines.fill("positive: nice\nhappy: great")
    page.get_by_role("button", name="Fine-tune", exact=True).click()
    expect(page.get_by_text("Line 2: unknown label 'happy'").first).to_be_visible(timeout=TIMEOUT)
    lines.fill(LINES)
    page.locator("#lab-sizes textarea, #lab-sizes input").first.fill("4")
    for slider, value in (("#lab-repeats", "1"), ("#lab-ft-steps", "5")):
        box = page.locator(f"{slider} input[type=number]")
        box.fill(value)
        box.press("Enter")
    page.get_by_role("button", name="Fine-tune", exact=True).click()
    expect(page.locator("#lab-finetune-note")).to_contain_text("your labelled lines: accuracy on 4 held-out",
                                                               timeout=TIMEOUT)
    table = page.locator("#lab-finetune-table")
    expect(table).to_contain_text("from scratch")
    expect(table).to_contain_text("%")
    expect(page.locator("#lab-finetune img[src^='data:image']")).to_have_count(1)
    page.screenshot(path=tmp_path / "lab-finetuned.png", full_page=True)


def test_a_file_the_page_drops_is_explained_and_nothing_trains(page):
    """A file the server refuses (over 1 MB) or the page filters (not .txt) never arrives: Train says why instead
    of quietly training on the built-in corpus."""
    page.get_by_role("tab", name="Pretraining lab").click()
    upload = page.locator("input[type=file][accept='.txt']")  # the lab's corpus file (the rest take tables)
    status = page.locator("#lab-status")
    for name, data, why in (("big.txt", b"The cat sat on the mat.\n" * 90_000, "2.2 MB"),
                            ("corpus.zip", b"PK\x03\x04" + b"\0" * 100, "plain .txt files")):
        upload.set_input_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
        page.wait_for_timeout(1000)  # the refused or filtered upload has come and gone
        page.get_by_role("button", name="Train", exact=True).click()
        expect(status).to_contain_text(f"'{name}' was not uploaded", timeout=TIMEOUT)
        expect(status).to_contain_text(why)
        expect(status).to_contain_text("Nothing was trained")
        page.wait_for_timeout(1000)
        assert "built-in" not in status.inner_text() and "running" not in status.inner_text()
