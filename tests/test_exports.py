"""Exports: matplotlib figures as PNG and SVG, the Compare attention as standalone HTML, results as JSON, written
into bounded per-request folders."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET

import pytest

from playground.core.errors import PlaygroundError
from playground.lm.attention import AttentionMap
from playground.tasks.compare import attention_source
from playground.ui import exports
from playground.ui.exports import (ExportFile, export_event, figure_and_json, figure_files, json_file, keeping,
                                   write_exports)
from playground.ui.tabs.compare import export_compare
from playground.ui.widgets import to_json

SVG = "{http://www.w3.org/2000/svg}"


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
    source = attention_source(bert, gpt, "Tesla is an American [MASK] company.").kept()
    assert export_compare(None, None) == []  # before a click: nothing (the button says so)
    files = {f.name: f.data for f in export_compare(None, source, 2, 1, 3, {"text": "x"})}
    assert set(files) == {"compare-attention.html", "compare-attention.json", "compare-result.json"}
    # One standalone page: plotly.js inlined once (opens offline), both figures, each heatmap with every token.
    html = files["compare-attention.html"].decode()
    assert html.count("Plotly.newPlot") == 3 and len(html) > 1_000_000 and "<script src=" not in html
    for token in ("0: [CLS]", "tiny-bert: bidirectional", "tiny-gpt2: causal", "tiny-bert: layer 2",
                  "tiny-gpt2: mean attention entropy per head"):
        assert token in html
    shown = json.loads(files["compare-attention.json"])
    assert shown["bert"]["layer"] == 2 and shown["bert_mask"]["word"] == "American"
    assert json.loads(files["compare-result.json"]) == {"text": "x"}
