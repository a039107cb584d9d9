"""The Compare tab's attention figures: each model's attention mask and one head's weights, side by side.

Drawn straight to pixels with Pillow (one image per figure, labels and colour bar included) and shown as a
PNG: a matplotlib figure of the same two heatmaps took ~10× longer to lay out and encode than the model
takes to read the sentence. matplotlib (its colour maps and font) is reached lazily through `figures.canvas`,
so the page is built without it.
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass
from html import escape
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from playground.tasks.compare import AttentionMap, AttentionMask
from playground.ui import figures

MAX_LABELS = 48  # beyond this, every k-th token is labelled
DIRECTION_TITLES = {
    "bidirectional": "bidirectional (every token sees all)",
    "causal": "causal (token t sees ≤ t)",
}
GRID_PX = 340  # a heatmap's side, about
LABEL_CHARS = 16  # longer token labels are cut with "…"
QUERY_OUTLINE = (220, 38, 38)  # the picked word's rows


@dataclass(frozen=True)
class Panel:
    title: str  # as drawn above the panel


@dataclass(frozen=True)
class Picture:
    """A drawn figure: PNG bytes, and what each panel's title says (also the image's alt text)."""

    png: bytes
    panels: tuple[Panel, ...]

    def html(self) -> str:
        alt = escape(" | ".join(p.title.replace("\n", " — ") for p in self.panels), quote=True)
        data = base64.b64encode(self.png).decode("ascii")
        return f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%;height:auto">'


def _font(size: int):
    return figures.canvas.font(size)


def _colours(name: str):
    """A 256-entry RGB lookup table of a matplotlib colour map."""
    return figures.canvas.colour_table(name)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _labelled(labels: Sequence[str]) -> list[str]:
    """Every label, or every k-th one when there are more than MAX_LABELS (the others blank)."""
    n = len(labels)
    step = 1 if n <= MAX_LABELS else -(-n // MAX_LABELS)
    return [_short(label) if i % step == 0 else "" for i, label in enumerate(labels)]


@functools.lru_cache(maxsize=16)
def _label_strip(labels: tuple[str, ...], cell: int, depth: int):
    """Labels right-aligned in rows `cell` px apart, on a strip `depth` px wide (the y axis; rotated for x).
    Cached: both figures, and every redraw of one sentence, label the same tokens."""
    strip = Image.new("L", (depth, max(1, cell * len(labels))), 0)
    draw = ImageDraw.Draw(strip)
    font = _font(11 if cell >= 11 else 8)
    for i, label in enumerate(labels):
        if label:
            draw.text((depth - 4, i * cell + cell / 2), label, fill=255, font=font, anchor="rm")
    return strip


def _panel(values, colours: str, labels: Sequence[str], title: str, x_title: str, y_title: str,
           colour_bar: bool, rows: Sequence[int] = ()):
    """One heatmap panel (values in [0, 1]) with its token labels, axis titles, title and optional colour bar."""
    n = len(labels)
    cell = max(3, min(22, GRID_PX // max(n, 1)))
    side = cell * n
    shown = _labelled(labels)
    depth = 12 + max((int(_font(11).getlength(s)) for s in shown if s), default=0)
    lines = title.count("\n") + 1
    top, left, bar = 10 + 17 * lines, depth + 22, 58 if colour_bar else 0
    width = max(left + side + bar + 10, int(_font(12).getlength(max(title.split("\n"), key=len))) + 20)
    # The y-axis title runs along the grid, and past it when the grid is shorter than the title (a short sentence).
    y_length = max(side, int(_font(11).getlength(y_title)) + 8)
    y_start = max(2, top + (side - y_length) // 2)
    image = Image.new("RGB", (width, max(top + side + depth + 24, y_start + y_length + 2)), "white")
    indices = (np.clip(np.asarray(values, dtype="float32").reshape(n, n), 0, 1) * 255).round().astype("uint8")
    grid = Image.fromarray(_colours(colours)[indices]).resize((side, side), Image.NEAREST)
    image.paste(grid, (left, top))
    strip = _label_strip(tuple(shown), cell, depth)
    image.paste((0, 0, 0), (22, top), strip)
    image.paste((0, 0, 0), (left, top + side), strip.rotate(90, expand=True))
    draw = ImageDraw.Draw(image)
    draw.rectangle((left - 1, top - 1, left + side, top + side), outline=(120, 120, 120))
    for first, last in row_runs(rows, n):  # one outline per run of adjacent rows (a word's pieces)
        draw.rectangle((left - 1, top + first * cell - 1, left + side, top + (last + 1) * cell),
                       outline=QUERY_OUTLINE, width=2)
    draw.multiline_text((width / 2, 6), title, fill="black", font=_font(12), anchor="ma", align="center")
    draw.text((left + side / 2, top + side + depth + 6), x_title, fill="black", font=_font(11), anchor="ma")
    y_label = Image.new("L", (y_length, 16), 0)
    ImageDraw.Draw(y_label).text((y_length / 2, 1), y_title, fill=255, font=_font(11), anchor="ma")
    image.paste((0, 0, 0), (2, y_start), y_label.rotate(90, expand=True))
    if colour_bar:
        _colour_bar(image, draw, colours, left + side + 12, top, side)
    return image


def _colour_bar(image, draw, colours: str, x: int, top: int, height: int) -> None:
    ramp = np.linspace(255, 0, max(height, 2)).round().astype("uint8")[:, None].repeat(12, axis=1)
    image.paste(Image.fromarray(_colours(colours)[ramp]), (x, top))
    draw.rectangle((x - 1, top - 1, x + 12, top + height), outline=(120, 120, 120))
    for value in (0.0, 0.5, 1.0):
        y = top + (1 - value) * (height - 1)
        draw.line((x + 12, y, x + 15, y), fill="black")
        draw.text((x + 17, y), f"{value:g}", fill="black", font=_font(10), anchor="lm")


def _picture(panels: Sequence, titles: Sequence[str]) -> Picture:
    gap = 16
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    sheet = Image.new("RGB", (max(width, 1), max((p.height for p in panels), default=1)), "white")
    x = 0
    for panel in panels:
        sheet.paste(panel, (x, 0))
        x += panel.width + gap
    buffer = io.BytesIO()
    sheet.save(buffer, format="png", compress_level=1)  # fast; the files stay small
    return Picture(png=buffer.getvalue(), panels=tuple(Panel(t) for t in titles))


def row_runs(rows: Sequence[int], n: int) -> list[tuple[int, int]]:
    """The rows (those in 0..n-1) as runs of adjacent positions: [(first, last), …]."""
    runs: list[list[int]] = []
    for row in sorted(r for r in set(rows) if 0 <= r < n):
        if runs and runs[-1][1] == row - 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    return [(a, b) for a, b in runs]


def span_text(rows: Sequence[int]) -> str:
    """Token positions in words: "token 6", "tokens 5–6", "tokens 2, 4"."""
    runs = row_runs(rows, max(rows, default=0) + 1)
    if len(rows) == 1:
        return f"token {rows[0]}"
    return "tokens " + ", ".join(f"{a}–{b}" if b > a else f"{a}" for a, b in runs)


def mask_title(mask: AttentionMask) -> str:
    n = len(mask.tokens)
    rows = [r for r in mask.rows if 0 <= r < n]
    if not rows:
        seen = f"'{mask.word}' is not among its tokens (cut off)" if mask.word else "no word picked"
    else:
        visible = sorted({sum(mask.pattern[r]) for r in rows})
        count = f"{visible[0]}" if len(visible) == 1 else f"{visible[0]}–{visible[-1]}"
        seen = f"'{mask.word}' ({span_text(rows)}) sees {count} of {n} tokens"
    return f"{mask.model_name}: {DIRECTION_TITLES.get(mask.direction, mask.direction)}\n{seen}"


def attention_masks_figure(masks: Sequence[AttentionMask]) -> Picture:
    """Each model's attention mask side by side, with the picked word's rows (its tokens) highlighted."""
    panels, titles = [], []
    for mask in masks:
        titles.append(mask_title(mask))
        panels.append(_panel(_mask_shade(mask), "Greens", mask.tokens, titles[-1], "key: token being looked at",
                             "query: token doing the looking", colour_bar=False, rows=mask.rows))
    return _picture(panels, titles)


def heatmap_title(amap: AttentionMap) -> str:
    return f"{amap.model_name}: layer {amap.layer}/{amap.num_layers}, head {amap.head}/{amap.num_heads}"


def attention_heatmaps_figure(maps: Sequence[AttentionMap]) -> Picture:
    """One heatmap per AttentionMap, side by side, with a colour bar of the attention weight."""
    titles = [heatmap_title(amap) for amap in maps]
    panels = [_panel(amap.weights or [[0.0]], "viridis", amap.tokens, title, "key", "query", colour_bar=True)
              for amap, title in zip(maps, titles)]
    return _picture(panels, titles)


# ---- the same figures as vector SVG (the Export button; never drawn on a Compare click) -----------------
# One <rect class="cell"> per heatmap cell, one <text class="label"> per token label shown (thinned as in the
# PNG), titles as text: a file that scales and whose labels can be searched and copied.

SVG_CELL = 14  # px per cell; the SVG scales, so one size fits every length
SVG_FONT = "DejaVu Sans, Arial, sans-serif"


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))


def _svg_text(x: float, y: float, text: str, cls: str, size: int = 11, anchor: str = "middle",
              transform: str = "") -> str:
    rotate = f' transform="{transform}"' if transform else ""
    return (f'<text class="{cls}" x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}"'
            f' dominant-baseline="middle"{rotate}>{escape(text, quote=False)}</text>')


def _svg_panel(values, colours: str, labels: Sequence[str], title: str, x_title: str, y_title: str,
               colour_bar: bool, rows: Sequence[int] = (), cell_text=None) -> tuple[list[str], int, int]:
    """One heatmap panel as SVG elements (origin at its top left), and its width and height. Each cell's tooltip
    names its two tokens and `cell_text(i, j)` (default: its value)."""
    n, cell = len(labels), SVG_CELL
    side = cell * n
    shown = _labelled(labels)
    depth = 12 + max((int(_font(11).getlength(s)) for s in shown if s), default=0)
    lines = title.split("\n")
    top, left, bar = 12 + 17 * len(lines), depth + 22, 58 if colour_bar else 0
    width = max(left + side + bar + 10, int(_font(12).getlength(max(lines, key=len))) + 20)
    y_half = (int(_font(11).getlength(y_title)) + 8) / 2  # the y-axis title may be longer than the grid
    y_mid = max(top + side / 2, y_half + 2)
    height = max(top + side + depth + 24, int(y_mid + y_half) + 2)
    lut = _colours(colours)
    grid = np.asarray(values, dtype="float32").reshape(n, n)
    indices = (np.clip(grid, 0, 1) * 255).round().astype("uint8")
    out = [_svg_text(width / 2, 10 + 17 * i, line, "title", 12) for i, line in enumerate(lines)]
    out += [f'<rect class="cell" x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
            f'fill="{_hex(lut[indices[i, j]])}"><title>{escape(labels[i])} → {escape(labels[j])}: '
            f'{cell_text(i, j) if cell_text else f"{grid[i, j]:.4f}"}</title></rect>'
            for i in range(n) for j in range(n)]
    out.append(f'<rect x="{left - 0.5}" y="{top - 0.5}" width="{side + 1}" height="{side + 1}" fill="none" '
               'stroke="#787878"/>')
    for first, last in row_runs(rows, n):
        out.append(f'<rect class="query" x="{left - 1}" y="{top + first * cell - 1}" width="{side + 2}" '
                   f'height="{(last - first + 1) * cell + 2}" fill="none" stroke="{_hex(QUERY_OUTLINE)}" '
                   'stroke-width="2"/>')
    for i, label in enumerate(shown):
        if label:
            middle = i * cell + cell / 2
            out.append(_svg_text(left - 4, top + middle, label, "label", anchor="end"))  # y axis: the query
            x, y = left + middle, top + side + 4
            out.append(_svg_text(x, y, label, "label", anchor="end", transform=f"rotate(-90 {x:g} {y:g})"))
    out.append(_svg_text(left + side / 2, top + side + depth + 12, x_title, "axis"))
    out.append(_svg_text(10, y_mid, y_title, "axis", transform=f"rotate(-90 10 {y_mid:g})"))
    if colour_bar:
        x = left + side + 12
        stops = "".join(f'<stop offset="{k / 8:g}" stop-color="{_hex(lut[round(255 * (1 - k / 8))])}"/>'
                        for k in range(9))
        gradient = f"bar-{colours}"
        out.append(f'<defs><linearGradient id="{gradient}" x1="0" y1="0" x2="0" y2="1">{stops}</linearGradient>'
                   '</defs>')
        out.append(f'<rect class="colour-bar" x="{x}" y="{top}" width="12" height="{side}" '
                   f'fill="url(#{gradient})" stroke="#787878"/>')
        for value in (0.0, 0.5, 1.0):
            y = top + (1 - value) * side
            out.append(f'<line x1="{x + 12}" y1="{y:g}" x2="{x + 15}" y2="{y:g}" stroke="black"/>')
            out.append(_svg_text(x + 17, y, f"{value:g}", "tick", 10, anchor="start"))
    return out, width, height


def _svg(panels: Sequence[tuple[list[str], int, int]]) -> str:
    gap = 16
    width = sum(w for _, w, _ in panels) + gap * max(len(panels) - 1, 0)
    height = max((h for _, _, h in panels), default=1)
    groups, x = [], 0
    for elements, w, _ in panels:
        groups.append(f'<g class="panel" transform="translate({x} 0)">' + "".join(elements) + "</g>")
        x += w + gap
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{max(width, 1)}" height="{height}" viewBox="0 0 {max(width, 1)} {height}" '
            f'font-family="{SVG_FONT}"><rect width="100%" height="100%" fill="white"/>' + "".join(groups) + "</svg>\n")


def _mask_shade(mask: AttentionMask) -> list[list[float]]:
    shade = [[0.35 * allowed for allowed in row] for row in mask.pattern]  # what any token may see, faint
    for row in (r for r in mask.rows if 0 <= r < len(mask.tokens)):
        shade[row] = [float(allowed) for allowed in mask.pattern[row]]  # the word's rows, full
    return shade or [[0.0]]


def attention_masks_svg(masks: Sequence[AttentionMask]) -> str:
    """`attention_masks_figure` as SVG."""
    return _svg([_svg_panel(_mask_shade(mask), "Greens", mask.tokens, mask_title(mask),
                            "key: token being looked at", "query: token doing the looking", colour_bar=False,
                            rows=mask.rows, cell_text=lambda i, j, m=mask: "may attend" if m.pattern[i][j]
                            else "masked out") for mask in masks])


def attention_heatmaps_svg(maps: Sequence[AttentionMap]) -> str:
    """`attention_heatmaps_figure` as SVG."""
    return _svg([_svg_panel(amap.weights or [[0.0]], "viridis", amap.tokens, heatmap_title(amap), "key", "query",
                            colour_bar=True) for amap in maps])
