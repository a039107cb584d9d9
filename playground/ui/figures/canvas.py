"""matplotlib's pieces the figures draw with: a pyplot-free `Figure`, the colour maps and the DejaVu font it ships.

matplotlib is imported here, at the top; the figure modules reach this module lazily as `figures.canvas`
(`playground/ui/figures/__init__.py`), so the page is built without it (~0.25 s on 2 cores).
"""

from __future__ import annotations

import functools

import numpy as np
from matplotlib import colormaps, get_data_path
from matplotlib.figure import Figure
from PIL import ImageFont

__all__ = ["Figure", "colour_table", "font"]


@functools.lru_cache(maxsize=4)
def font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (shipped with matplotlib) at `size` px, for Pillow."""
    return ImageFont.truetype(f"{get_data_path()}/fonts/ttf/DejaVuSans.ttf", size)


@functools.lru_cache(maxsize=4)
def colour_table(name: str) -> np.ndarray:
    """A 256-entry RGB lookup table (uint8) of a matplotlib colour map."""
    return (colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype("uint8")
