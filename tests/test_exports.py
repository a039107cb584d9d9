"""Exports: figures as PNG and SVG, results as JSON, written into bounded per-request folders."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET

import pytest

from playground.core.errors import PlaygroundError
from playground.lm.attention import AttentionMap
from playground.lm.influence import attention_mask_pattern
from playground.tasks.compare import AttentionMask, attention_source
from playground.ui import exports
from playground.ui.exports import (ExportFile, export_event, figure_and_json, figure_files, json_file, keeping,
                                   write_exports)
from playground.ui.figures.attention import attention_heatmaps_svg, attention_masks_svg
from playground.ui.tabs.compare import export_compare
from playground.ui.widgets import to_json

SVG = "{http://www.w3.org/2000/svg}"


def _classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if e.get("class") == cls]


def _mask(n: int, direction: str, rows: tuple[int, ...]) -> AttentionMask:
    return AttentionMask(model_name="m", direction=direction, tokens=tuple(f"t{i}" for i in range(n)), query=1,
                         word="w", rows=rows, pattern=tuple(map(tuple, attention_mask_pattern(direction, n))))


def test_mask_svg_is_vector_cells_labels_and_titles():
    svg = attention_masks_svg([_mask(5, "bidirectional", (1,)), _mask(7, "causal", (2, 3))])
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and not list(root.iter(f"{SVG}image"))  # drawn, not a PNG wrapped in SVG
    assert len(_classed(root, "g", "panel")) == 2
    assert len(_classed(root, "rect", "cell")) == 5 * 5 + 7 * 7
    assert len(_classed(root, "text", "label")) == 2 * 5 + 2 * 7  # every token on both axes
    titles = " ".join(t.text for t in _classed(root, "text", "title"))
    assert "m: causal (token t sees ≤ t)" in titles and "'w' (tokens 2–3) sees 3–4 of 7 tokens" in titles
    assert len(_classed(root, "rect", "query")) == 2  # one outline per panel (rows 2–3 are one run)
    # A cell says what it is on hover: its two tokens and whether the mask lets one see the other.
    hover = [c.find(f"{SVG}title").text for c in _classed(root, "rect", "cell")]
    assert "t2 → t5: masked out" in hover and "t5 → t2: may attend" in hover


def test_heatmap_svg_cells_are_coloured_by_weight_with_exact_values_and_a_colour_bar():
    weights = ((1.0, 0.0), (0.25, 0.75))
    amap = AttentionMap(model_name="gpt", layer=2, head=1, num_layers=2, num_heads=2, tokens=("a", "<b&c>"),
                        weights=weights)
    root = ET.fromstring(attention_heatmaps_svg([amap]).encode())
    cells = _classed(root, "rect", "cell")
    assert len(cells) == 4 and len({c.get("fill") for c in cells}) == 4  # four weights, four colours
    assert [c.find(f"{SVG}title").text for c in cells][2] == "<b&c> → a: 0.2500"  # escaped, parsed back
    assert len(_classed(root, "rect", "colour-bar")) == 1
    assert [t.text for t in _classed(root, "text", "title")] == ["gpt: layer 2/2, head 1/2"]


def test_matplotlib_figure_exports_as_png_and_svg():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2))
    figure.subplots().plot([0, 1, 2], [2, 0, 1], label="loss")
    png, svg = figure_files("curve", figure)
    assert (png.name, svg.name) == ("curve.png", "curve.svg")
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    root = ET.fromstring(svg.data)
    assert root.tag == f"{SVG}svg" and list(root.iter(f"{SVG}path"))  # the line is a vector path


def test_json_round_trips_a_result():
    amap = AttentionMap(model_name="m", layer=1, head=1, num_layers=1, num_heads=1, tokens=("é",), weights=((1.0,),))
    file = json_file("attention", to_json(amap))
    assert file.name == "attention.json" and json.loads(file.data) == to_json(amap)
    assert "é" in file.data.decode("utf-8")  # readable, not \u-escaped
    assert json.loads(json_file("x", '{"a": 1}').data) == {"a": 1}  # a JSON component's text value


def test_write_exports_uses_fresh_bounded_folders(tmp_path, monkeypatch):
    first = write_exports([ExportFile("a.json", b"{}"), ExportFile("a.png", b"\x89PNG")], root=tmp_path)
    second = write_exports([ExportFile("a.json", b"[]")], root=tmp_path)
    assert [os.path.basename(p) for p in first] == ["a.json", "a.png"]
    assert os.path.dirname(first[0]) != os.path.dirname(second[0])  # two requests never share a file
    assert open(first[0], "rb").read() == b"{}" and open(second[0], "rb").read() == b"[]"
    old = time.time() - exports.EXPORT_KEEP_S - 10
    os.utime(os.path.dirname(first[0]), (old, old))
    write_exports([ExportFile("b.json", b"{}")], root=tmp_path)
    assert not os.path.exists(first[0]) and os.path.exists(second[0])  # stale folders are pruned
    monkeypatch.setattr(exports, "MAX_EXPORT_FOLDERS", 3)
    for _ in range(5):
        write_exports([ExportFile("c.json", b"{}")], root=tmp_path)
    assert len(list(tmp_path.iterdir())) == 3  # and never more than the cap
    with pytest.raises(ValueError):
        write_exports([ExportFile("../escape.json", b"{}")], root=tmp_path)


def test_export_event_refuses_when_there_is_nothing_yet():
    with pytest.raises(PlaygroundError, match="Nothing to export yet"):
        export_event(figure_and_json("qa"))(None, None)


def test_keeping_sends_the_figure_to_the_state_too():
    assert keeping(lambda x: ("a", x, "c"), 1)("fig") == ("a", "fig", "c", "fig")

    def steps(n):
        for i in range(n):
            yield "status", i
    assert list(keeping(steps, 1)(2)) == [("status", 0, 0), ("status", 1, 1)]


def test_compare_export_draws_what_the_session_holds_without_a_model_call(bert, gpt):
    source = attention_source(bert, gpt, "Tesla is an American [MASK] company.")
    assert export_compare(None, None) == []  # before a click: nothing (the button says so)
    files = {f.name: f.data for f in export_compare(None, source, 2, 1, 3, {"text": "x"})}
    assert set(files) == {"compare-attention-masks.png", "compare-attention-masks.svg",
                          "compare-attention-weights.png", "compare-attention-weights.svg",
                          "compare-attention.json", "compare-result.json"}
    assert all(files[n].startswith(b"\x89PNG") for n in files if n.endswith(".png"))
    masks = ET.fromstring(files["compare-attention-masks.svg"])
    n_bert, n_gpt = len(source.bert_tokens.tokens), len(source.gpt_tokens.tokens)
    assert len(_classed(masks, "rect", "cell")) == n_bert ** 2 + n_gpt ** 2
    shown = json.loads(files["compare-attention.json"])
    assert shown["bert"]["layer"] == 2 and shown["bert_mask"]["word"] == "American"
    assert json.loads(files["compare-result.json"]) == {"text": "x"}
