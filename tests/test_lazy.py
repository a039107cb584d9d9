"""core/lazy.py: a package's heavy submodules are imported on first use, not when the package is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from playground.core.lazy import lazy_submodules

ROOT = Path(__file__).resolve().parents[1]


def test_a_listed_submodule_is_imported_on_first_attribute_access(tmp_path, monkeypatch):
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from playground.core.lazy import lazy_submodules\n"
        "__getattr__, __dir__ = lazy_submodules(__name__, {'heavy'})\n")
    (package / "heavy.py").write_text("VALUE = 42\n")
    code = ("import sys, lazypkg; before = 'lazypkg.heavy' in sys.modules; "
            "print(before, lazypkg.heavy.VALUE, 'lazypkg.heavy' in sys.modules, dir(lazypkg))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False 42 True ['heavy']"


def test_an_unknown_name_is_an_attribute_error():
    getattr_, _ = lazy_submodules("playground", {"core"})
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        getattr_("nothing")
