"""A real browser downloads the exports: Compare's figures (one standalone HTML page) and result (JSON), and a matplotlib figure
of another tab (the Models timeline), through the live app's own file routes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

# No Playwright: the module is skipped (collection still passes); CI sets PLAYGROUND_REQUIRE_BROWSER, and then
# it fails instead (conftest.py).
expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.browser, pytest.mark.server]  # a real browser on the live app

SVG = "{http://www.w3.org/2000/svg}"


def _download(page, files, name: str, tmp_path: Path) -> bytes:
    """Click the file list's link for `name` and return the bytes the browser saved."""
    link = files.locator(f'a[download="{name}"]')
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download(timeout=30_000) as info:
        link.click()
    download = info.value
    assert download.suggested_filename == name
    path = tmp_path / name
    download.save_as(path)
    return path.read_bytes()


def test_compare_then_export_downloads_a_standalone_html_page_and_json(page, tmp_path):
    page.locator("#fast-mode").get_by_role("checkbox").wait_for(timeout=30_000)
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#attention-masks .js-plotly-plot")).to_have_count(1, timeout=60_000)
    expect(page.locator("#attention-query-word")).to_contain_text("Word 4:", timeout=30_000)
    result = page.locator("#gpt-predictions")
    expect(result).to_be_visible()
    page.wait_for_function("() => document.querySelector('#compare-export') !== null")
    # The result JSON arrives with the continuation's last token: wait for the continuation to finish.
    expect(page.get_by_label("Greedy continuation from the slot")).not_to_have_value("", timeout=60_000)
    page.locator("#compare-export").click()
    files = page.locator("#compare-files")
    html = _download(page, files, "compare-attention.html", tmp_path)
    data = json.loads(_download(page, files, "compare-result.json", tmp_path))
    assert data["text"].startswith("Tesla is an American [MASK]") and data["continuation"]["finished"]
    shown = json.loads(_download(page, files, "compare-attention.json", tmp_path))
    # The page opens offline (plotly.js inlined, nothing fetched) and draws both figures, hover and all.
    offline = page.context.new_page()
    offline.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else
                  route.continue_())
    offline.goto((tmp_path / "compare-attention.html").as_uri())
    expect(offline.locator(".js-plotly-plot")).to_have_count(3, timeout=30_000)  # masks, weights, every head
    expect(offline.locator(".js-plotly-plot").first).to_contain_text("tiny-bert: bidirectional")
    heat = offline.evaluate("() => document.querySelectorAll('.js-plotly-plot')[1].data.map(t => t.x.length)")
    assert heat == [len(shown["bert"]["tokens"]), len(shown["gpt"]["tokens"])] and html.startswith(b"<!doctype html>")
    offline.close()
    # A result without a figure is saved by the browser itself, from the JSON shown (no server file).
    page.get_by_text("Full result (JSON)").click()
    with page.expect_download(timeout=30_000) as info:
        page.locator("#compare-json-download").click()
    assert info.value.suggested_filename == "compare-result.json"
    info.value.save_as(tmp_path / "saved.json")
    assert json.loads((tmp_path / "saved.json").read_text()) == data
    page.screenshot(path=str(tmp_path / "compare-export.png"), full_page=True)


def test_a_matplotlib_figure_of_another_tab_downloads_as_png_svg_and_json(page, tmp_path):
    page.get_by_role("tab", name="Models", exact=True).click()
    expect(page.locator("#timeline-plot img")).to_have_count(1, timeout=30_000)
    page.locator("#timeline-export").click()
    files = page.locator("#timeline-files")
    assert _download(page, files, "timeline.png", tmp_path).startswith(b"\x89PNG\r\n\x1a\n")
    svg = ET.fromstring(_download(page, files, "timeline.svg", tmp_path))
    assert svg.tag == f"{SVG}svg" and list(svg.iter(f"{SVG}path"))
    events = json.loads(_download(page, files, "timeline.json", tmp_path))
    assert {"title", "year", "kind"} <= set(events[0])
