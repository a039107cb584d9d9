"""Make the README screenshots from the running app with a real browser (headless Debian chromium).

    python app.py --models lab --port 7861 --no-browser &
    python docs/screenshot.py http://127.0.0.1:7861/ docs

It also takes `lab-mode-walk.jpg`: the main button of every tab clicked on its defaults (the clicks of
tests/test_lab_mode_browser.py, so the picture shows what that test checks), one tile per tab.

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
    expect(page.locator("#attention-masks .js-plotly-plot")).to_have_count(1, timeout=TIMEOUT)
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
        _lab_walk(browser.new_page(viewport={"width": 1400, "height": 1000}), url, out / "lab-mode-walk.jpg")
        browser.close()


def _lab_walk(page, url: str, path: Path) -> None:
    """Every tab's main button on its defaults, each result screenshotted, then one contact sheet (2 per row)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_lab_mode_browser import CLICKS, _button, _open, _text, _wait_for_result

    page.goto(url)
    shots = []
    for tab, subtab, button, result in CLICKS:
        _open(page, tab, subtab)
        before = _text(page.locator(result))
        _button(page, button).click()
        _wait_for_result(page.locator(result), before, TIMEOUT / 1000)
        page.locator(result).scroll_into_view_if_needed()
        shots.append((f"{tab} › {subtab}" if subtab else tab, Image.open(io.BytesIO(page.screenshot()))))
    width, height, label = 700, 500, 28
    sheet = Image.new("RGB", (2 * width, (len(shots) + 1) // 2 * (height + label)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 18)
    for i, (name, shot) in enumerate(shots):
        x, y = i % 2 * width, i // 2 * (height + label)
        draw.text((x + 8, y + 4), f"{i + 1}. {name}", fill="black", font=font)
        sheet.paste(shot.convert("RGB").resize((width, height), Image.LANCZOS), (x, y + label))
    sheet.save(path, quality=72, optimize=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
