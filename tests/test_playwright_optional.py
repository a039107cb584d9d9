"""Without Playwright the browser test modules skip cleanly (collection passes), except where CI requires them
(PLAYGROUND_REQUIRE_BROWSER): there a missing Playwright is an error, never a silent skip.

Each case runs pytest in a subprocess with Playwright hidden by a plugin that makes importing it fail as if it
were not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROWSER_MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*browser*.py"))

HIDE_PLAYWRIGHT = '''\
import sys


class _NoPlaywright:
    """A meta path finder that answers every import of playwright as a missing module."""

    def find_spec(self, name, path=None, target=None):
        if name == "playwright" or name.startswith("playwright."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoPlaywright())
'''


def _pytest_without_playwright(tmp_path: Path, modules: list[str], *, require: bool) -> subprocess.CompletedProcess:
    (tmp_path / "hide_playwright.py").write_text(HIDE_PLAYWRIGHT)
    env = {k: v for k, v in os.environ.items() if k != "PLAYGROUND_REQUIRE_BROWSER"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    if require:
        env["PLAYGROUND_REQUIRE_BROWSER"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "hide_playwright", "-q", "-rs", *modules],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_there_are_browser_modules_and_each_marks_itself():
    assert len(BROWSER_MODULES) >= 5
    for module in BROWSER_MODULES:
        text = (ROOT / module).read_text()
        assert 'pytest.importorskip("playwright.sync_api")' in text and "from playwright" not in text, module
        assert "pytest.mark.browser" in text, module


def test_without_playwright_every_browser_module_is_skipped_and_collection_passes(tmp_path):
    # With one ordinary test beside them, as in a whole run (a run of skipped modules alone exits 5, "no tests").
    ordinary = f"{Path(__file__).relative_to(ROOT).as_posix()}::test_there_are_browser_modules_and_each_marks_itself"
    run = _pytest_without_playwright(tmp_path, [*BROWSER_MODULES, ordinary], require=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert f"1 passed, {len(BROWSER_MODULES)} skipped" in out and "error" not in out.lower(), out
    for module in BROWSER_MODULES:
        assert f"SKIPPED [1] {module}" in out and "No module named 'playwright'" in out, (module, out)


def test_ci_fails_when_playwright_is_missing(tmp_path):
    run = _pytest_without_playwright(tmp_path, BROWSER_MODULES[:1], require=True)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "ERROR collecting" in out and "PLAYGROUND_REQUIRE_BROWSER is set" in out and "playwright" in out, out
    assert "skipped" not in out.split("short test summary")[-1], out

