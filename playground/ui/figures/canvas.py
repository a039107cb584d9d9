"""matplotlib's pyplot-free `Figure`, for the figures that stay static pictures (the heads tabs, the labs).

matplotlib is imported here, at the top; the figure modules reach this module lazily as `figures.canvas`
(`playground/ui/figures/__init__.py`), so the page is built without it (~0.25 s on 2 cores). The Compare tab's
attention figures are Plotly (`figures.attention`): they no longer draw with matplotlib's colour maps or font.
"""

from __future__ import annotations

from matplotlib.figure import Figure

__all__ = ["Figure"]
