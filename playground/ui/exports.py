"""Exports: every figure as PNG and SVG, every result as JSON, written when its Export button is clicked.

Files are made lazily from what the tab already holds (a figure kept in the session, the result's JSON
component), so no click that computes a result pays for them. Each export writes one fresh folder under
EXPORT_ROOT and hands the paths to a `gr.File`; Gradio copies them into its cache (bounded by
`serving.DELETE_CACHE`) as it answers, so the folders themselves are pruned after EXPORT_KEEP_S and kept to
MAX_EXPORT_FOLDERS.

matplotlib is only touched through the figure objects the tabs made (nothing heavy at import time).
"""

from __future__ import annotations

import functools
import inspect
import io
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import gradio as gr

from playground.core.errors import PlaygroundError

EXPORT_ROOT = Path(tempfile.gettempdir()) / "playground-exports"
EXPORT_KEEP_S = 300  # Gradio has copied a folder's files into its cache long before this
MAX_EXPORT_FOLDERS = 64
NOTHING_YET = "Nothing to export yet: run it first, then click Export."


@dataclass(frozen=True)
class ExportFile:
    name: str  # file name, e.g. "qa-probabilities.svg"
    data: bytes


def figure_files(stem: str, figure: Any) -> list[ExportFile]:
    """A matplotlib Figure as PNG and SVG (white background, so both read the same in a dark viewer)."""
    out = []
    for fmt in ("png", "svg"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, facecolor="white", bbox_inches="tight")
        out.append(ExportFile(f"{stem}.{fmt}", buffer.getvalue()))
    return out


def json_file(stem: str, value: Any) -> ExportFile:
    """A result (already JSON-able, e.g. `widgets.to_json` or a gr.JSON component's value) as a JSON file."""
    if isinstance(value, str):  # a gr.JSON component may hand its value back as text
        value = json.loads(value)
    return ExportFile(f"{stem}.json", json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8"))


def _prune(root: Path, now: float) -> None:
    """Drop folders older than EXPORT_KEEP_S, then the oldest beyond MAX_EXPORT_FOLDERS - 1."""
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    stale = [p for p in folders if now - p.stat().st_mtime > EXPORT_KEEP_S]
    extra = [p for p in folders if p not in stale][: max(0, len(folders) - len(stale) - MAX_EXPORT_FOLDERS + 1)]
    for folder in stale + extra:
        shutil.rmtree(folder, ignore_errors=True)


_SAFE_NAME = re.compile(r"^[\w.-]{1,80}$")


def write_exports(files: Sequence[ExportFile], root: Path | None = None) -> list[str]:
    """Write `files` into a fresh folder under `root` (EXPORT_ROOT); returns their paths, in order."""
    root = root or EXPORT_ROOT
    root.mkdir(parents=True, exist_ok=True)
    try:
        _prune(root, time.time())
    except OSError:  # another request pruned at the same moment
        pass
    folder = Path(tempfile.mkdtemp(prefix="export-", dir=root))
    paths = []
    for file in files:
        if not _SAFE_NAME.match(file.name):
            raise ValueError(f"not a plain file name: {file.name!r}")
        path = folder / file.name
        path.write_bytes(file.data)
        paths.append(str(path))
    return paths


@dataclass(frozen=True)
class ExportControls:
    button: gr.Button
    files: gr.File


def export_controls(elem_id: str, what: str = "PNG · SVG · JSON") -> ExportControls:
    """An Export button and the file list it fills (one download link per file), laid out where called."""
    with gr.Row(equal_height=False):
        button = gr.Button(f"Export ({what})", size="sm", scale=1, min_width=160, elem_id=f"{elem_id}-export")
        files = gr.File(label="Downloads", file_count="multiple", interactive=False, scale=4, height=120,
                        elem_id=f"{elem_id}-files")
    return ExportControls(button, files)


def export_event(make: Callable[..., list[ExportFile]]) -> Callable[..., list[str]]:
    """An event function: the files `make(*inputs)` returns, written (None from `make`: nothing to export)."""
    @functools.wraps(make)
    def export(*inputs):
        files = make(*inputs)
        if not files:
            raise PlaygroundError(NOTHING_YET)
        return write_exports(files)
    return export


def figure_and_json(stem: str) -> Callable[[Any, Any], list[ExportFile]]:
    """Files of a kept matplotlib figure and its result's JSON (either may be missing; both missing: none)."""
    def make(figure: Any, result: Any) -> list[ExportFile]:
        files = figure_files(stem, figure) if figure is not None else []
        return files + ([json_file(stem, result)] if result not in (None, "", {}, []) else [])
    make.__name__ = f"export_{stem.replace('-', '_')}"
    return make


def keeping(fn: Callable, index: int) -> Callable:
    """An event function that also sends its output number `index` (a figure) once more, at the end: to a
    gr.State that keeps it for the Export button. Works for streamed (generator) events too."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def steps(*inputs):
            for values in fn(*inputs):
                yield (*values, values[index])
        return steps

    @functools.wraps(fn)
    def once(*inputs):
        values = fn(*inputs)
        return (*values, values[index])
    return once


# The browser saves a JSON component's value itself: no server call, no file on the server.
_SAVE_JSON_JS = """(value) => {
  if (value === null || value === undefined || value === "") { return; }
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], {type: "application/json"}));
  link.download = %s;
  document.body.appendChild(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}"""


def json_download(component: gr.JSON, stem: str, elem_id: str | None = None) -> gr.Button:
    """A "Download JSON" button for a result shown in a gr.JSON component, saved by the browser as `stem.json`."""
    button = gr.Button("Download JSON", size="sm", variant="secondary", elem_id=elem_id or f"{stem}-json-download")
    button.click(None, [component], None, js=_SAVE_JSON_JS % json.dumps(f"{stem}.json"), api_visibility="private")
    return button
