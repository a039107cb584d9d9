"""What every Pre-training sub-tab wires the same way: one run event whose view fills the components named
like its fields, a failure kept in the sub-tab's notices."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, NamedTuple

from playground.ui.widgets import inline_errors, view_outputs


def wire(trigger: Callable, fn: Callable, ui: SimpleNamespace, view: type[NamedTuple],
         inputs: list[Any] | None = None) -> Callable:
    """One sub-tab event: `fn`'s view fills the components named like its fields; a failure stays in the
    sub-tab's notices (`inline_errors`). Returns the event function (a share link runs it too)."""
    outputs = view_outputs(ui, view)
    event = inline_errors(fn, outputs, ui.notices)
    trigger(event, ui.inputs if inputs is None else inputs, outputs,
            api_visibility="private")  # the UI's own events; scripts use the JSON endpoints
    return event
