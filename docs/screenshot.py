"""Make the README screenshot from the running app with a real browser (headless Debian chromium).

    python app.py --models tiny --port 7861 &
    python docs/screenshot.py http://127.0.0.1:7861/ docs/compare.png
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright


def main(url: str, out: str, tab: str = "Compare") -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name=tab).click()
        page.get_by_role("button", name="Compare", exact=True).click()
        page.locator("#bert-predictions").get_by_text("%").first.wait_for(timeout=60_000)
        page.locator("img[src^='data:image']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=out, full_page=True)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
