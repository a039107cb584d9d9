"""Make the README screenshots from the running app with a real browser (headless Debian chromium).

    python app.py --models tiny --port 7861 &
    python docs/screenshot.py http://127.0.0.1:7861/ docs
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

TIMEOUT = 60_000


def main(url: str, out_dir: str) -> None:
    out = Path(out_dir)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("button", name="Compare", exact=True).click()
        expect(page.locator("#bert-predictions")).to_contain_text("%", timeout=TIMEOUT)
        expect(page.locator("#attention-masks img")).to_have_count(1, timeout=TIMEOUT)
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "compare.png", full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 2500})

        page.get_by_role("tab", name="Pre-training", exact=True).click()
        page.locator("#mlm-run").click()
        expect(page.locator("#mlm-recovery")).to_contain_text("BERT top-1 recovery", timeout=TIMEOUT)
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "pretraining.png", full_page=True)

        page.get_by_role("tab", name="Question answering", exact=True).click()
        page.get_by_role("button", name="Answer", exact=True).click()
        expect(page.locator("#qa-answer")).to_contain_text("Texas", timeout=TIMEOUT)
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "question-answering.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
