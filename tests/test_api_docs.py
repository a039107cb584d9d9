"""The API reference (docs/api.md) cannot drift: every public endpoint has a row, and every JSON shape it spells
out lists exactly the fields of the dataclass the endpoint returns (and of the dataclasses inside it)."""

from __future__ import annotations

import collections.abc
import dataclasses
import re
import typing
from pathlib import Path

import pytest

from playground.models.cards import load_catalog
from playground.tasks.context import AppContext
from playground.models.profiles import tiny_profile

API = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()


def _top_level_keys(shape: str) -> list[str]:
    """`{a, b: [..], c (note), d: {x, y}}` → ["a", "b", "c", "d"]."""
    return [key for key, _ in _top_level_items(shape)]


def _top_level_items(shape: str) -> list[tuple[str, str]]:
    """`{a, b: [{x, y}], c (note)}` → [("a", ""), ("b", "[{x, y}]"), ("c", "")]."""
    body = shape.strip()[1:-1]
    keys, depth, current = [], 0, ""
    for ch in body:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        if ch == "," and depth == 0:
            keys.append(current)
            current = ""
        else:
            current += ch
    keys.append(current)
    items = []
    for k in (k.strip() for k in keys if k.strip()):
        name = re.split(r"[:( ]", k, maxsplit=1)[0]
        value = k.split(":", 1)[1].strip() if ":" in k.split("(", 1)[0] else ""
        items.append((name, value))
    return items


def _same_fields(keys: list[str], cls: type, where: str) -> None:
    fields = {f.name for f in dataclasses.fields(cls)}
    missing, extra = sorted(fields - set(keys)), sorted(set(keys) - fields)
    assert not missing and not extra, f"docs/api.md {where} vs {cls.__name__}: missing {missing}, not fields {extra}"


def _check_nested(shape: str, cls: type, where: str) -> int:
    """Inline nested shapes (`field: [{…}]` or `field: {…}`) list exactly their dataclass's fields too."""
    checked = 0
    hints = typing.get_type_hints(cls)
    for key, value in _top_level_items(shape):
        if "{" not in value or key not in hints:
            continue
        inner = _unwrap(hints[key])
        if len(inner) != 1:
            continue  # a plain dict (e.g. settings): free-form
        nested = _braced(value, value.index("{"))
        if typing.get_origin(hints[key]) in (dict, collections.abc.Mapping):  # {name: [{…}]}: check the values
            inner_value = _top_level_items(nested)[0][1]
            if "{" not in inner_value:
                continue
            nested = _braced(inner_value, inner_value.index("{"))
        keys = _top_level_keys(nested)
        _same_fields(keys, inner[0], f"{where}.{key}")
        checked += 1 + _check_nested(nested, inner[0], f"{where}.{key}")
    return checked


def _braced(text: str, start: int) -> str:
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    raise AssertionError(f"unbalanced braces in docs/api.md near {text[start:start + 60]!r}")


def _documented_shapes() -> dict[str, str]:
    """"- `Name`: `{…}`" bullets (and "`Name`: `{…}`" inside them) → the shape as written."""
    return {m.group(1): _braced(API, m.end() - 1) for m in re.finditer(r"`([A-Z]\w+)`: `\{", API)}


def _endpoint_rows() -> dict[str, str]:
    """Endpoint name → the 'returns' cell of its table row."""
    rows = {}
    for line in API.splitlines():
        match = re.match(r"\| `(/\w+)`(?: \(streams\))? \|.*\| (.+) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def _unwrap(hint):
    """Iterator[X] / X | None / list[X] / tuple[X, ...] → the dataclasses inside."""
    if dataclasses.is_dataclass(hint):
        return [hint]
    return [c for arg in typing.get_args(hint) for c in _unwrap(arg)]


def _reachable(classes) -> dict[str, type]:
    seen: dict[str, type] = {}
    todo = list(classes)
    while todo:
        cls = todo.pop()
        if cls.__name__ in seen:
            continue
        seen[cls.__name__] = cls
        for hint in typing.get_type_hints(cls).values():
            todo += _unwrap(hint)
    return seen


@pytest.fixture(scope="module")
def endpoints(store):
    """Public API name → the module-level handler it serves, from the app built on tiny models."""
    from playground.ui.page import build_demo

    demo = build_demo(AppContext(store=store, profile=tiny_profile(), catalog=load_catalog()))
    return {f"/{fn.api_name}": fn.fn.handler for fn in demo.fns.values()
            if fn.api_visibility == "public" and fn.api_name and hasattr(fn.fn, "handler")}


def test_every_public_endpoint_is_a_json_endpoint_with_a_row_in_the_api_reference(endpoints, store):
    from playground.ui.page import build_demo

    demo = build_demo(AppContext(store=store, profile=tiny_profile(), catalog=load_catalog()))
    public = {f"/{fn.api_name}" for fn in demo.fns.values() if fn.api_visibility == "public" and fn.api_name}
    assert public == set(endpoints), "every public endpoint must be published with widgets.publish_endpoint"
    assert set(_endpoint_rows()) == public


def test_api_reference_shapes_list_exactly_the_dataclass_fields(endpoints):
    rows, shapes = _endpoint_rows(), _documented_shapes()
    returned = {}
    for name, handler in endpoints.items():
        hint = typing.get_type_hints(handler).get("return")
        classes = _unwrap(hint)
        assert len(classes) == 1, f"{name} must return one result dataclass, not {hint}"
        returned[name] = classes[0]
    known = _reachable(returned.values())
    checked = 0
    for name, cls in returned.items():
        cell = rows[name]
        if cell.lstrip().startswith("`{"):  # the shape is written in the row itself
            keys = _top_level_keys(_braced(cell, cell.index("{")))
            _same_fields(keys, cls, f"row {name}")
            checked += 1 + _check_nested(_braced(cell, cell.index("{")), cls, name)
        else:
            assert f"`{cls.__name__}`" in cell, f"docs/api.md row {name} should name {cls.__name__}"
    for shape, text in shapes.items():
        assert shape in known, f"docs/api.md documents `{shape}`, which no endpoint returns"
        keys = _top_level_keys(text)
        _same_fields(keys, known[shape], f"`{shape}`")
        checked += 1 + _check_nested(text, known[shape], shape)
    assert checked >= 15
