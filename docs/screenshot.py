"""Make the README screenshots from the running app with a real browser (headless Debian chromium).

    python app.py --models lab --port 7861 --no-browser &
    python docs/screenshot.py http://127.0.0.1:7861/ docs

`--models lab` serves the small BERT and GPT the Pretraining lab trained on its own corpus (shipped in the repo),
so the predictions in the pictures are learned, not noise. Compare is taken in the light and the dark theme.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

TIMEOUT = 90_000
# A sentence from the lab corpus' world, whose gap only the right context decides: BERT gets it, GPT-2 cannot.
COMPARE_TEXT = "She opened the [MASK] and let the fresh air in."
# Held-out sentences of the lab corpus (never trained on), so the masked-LM picture shows what BERT learned.
MASK_TEXT = ("The concert was charming, and Nora smiled all evening. Anna adored the museum; it was superb. "
             "It was a disappointing meal, so Vera felt very sad.")


def _compare(page, url: str, path: Path) -> None:
    page.goto(url)
    page.get_by_label("Sentence", exact=True).fill(COMPARE_TEXT)
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#bert-predictions")).to_contain_text("%", timeout=TIMEOUT)
    expect(page.locator("#attention-masks img")).to_have_count(1, timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 2300})


def main(url: str, out_dir: str) -> None:
    out = Path(out_dir)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        _compare(page, url, out / "compare.png")
        dark = browser.new_page(viewport={"width": 1400, "height": 1000})
        _compare(dark, url + ("&" if "?" in url else "?") + "__theme=dark", out / "compare-dark.png")

        page.get_by_role("tab", name="Pre-training", exact=True).click()
        page.get_by_label("Text to mask").fill(MASK_TEXT)
        page.locator("#mlm-run").click()
        expect(page.locator("#mlm-recovery")).to_contain_text("BERT top-1 recovery", timeout=TIMEOUT)
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "pretraining.png", full_page=True)

        tour = browser.new_page(viewport={"width": 1400, "height": 900})
        tour.goto(url)
        tour.locator("#tour-start").click()
        tour.locator("#tour-next").click()
        expect(tour.locator("#bert-predictions")).to_contain_text("%", timeout=TIMEOUT)
        tour.wait_for_timeout(2000)
        tour.screenshot(path=out / "tour.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
