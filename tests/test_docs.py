"""The README and docs/ say what the tree and the code say: the README stays a newcomer's page (≤ 12 KB), its test
command is the one CI runs, its folder map matches the tree, every link between the pages resolves, and every
path and dotted name docs/architecture.md gives in its recipes exists. (The API reference is checked against the
endpoints by test_api_docs.py, the safety page against the code's bounds by test_serving.py.)"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, re.S)


def test_the_readme_is_a_newcomers_page():
    assert len(README.encode()) <= 12 * 1024
    for heading in ("Set up and run", "Test", "Offline use", "Deploy as a Hugging Face Space", "Safety defaults",
                    "Where things are"):
        section(README, heading)
    assert "![" in README and "--index-url https://download.pytorch.org/whl/cpu" in README
    for offline in ("--models lab", "--models tiny", "python -m playground download"):
        assert offline in section(README, "Offline use"), offline


def test_the_readmes_test_command_is_the_one_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    command = ci[ci.index("# The README's test command:") + 1].strip()
    assert command == "python -m pytest"
    setup_and_test = code_blocks(section(README, "Test"))[0].strip()
    assert setup_and_test.split(" && ")[-1] == command


def test_the_fast_loop_is_named_alike_in_the_readme_and_pytest_ini():
    ini = (ROOT / "pytest.ini").read_text()
    fast = re.search(r'the fast inner loop is `(python -m pytest -m "[^"]+")`', ini).group(1)
    assert fast == 'python -m pytest -m "not slow and not browser and not server"'
    assert fast in code_blocks(section(README, "Test"))[1]
    assert re.search(r"it took \d+ s", section(README, "Test")), "say how long the fast loop took"


def folder_map() -> list[str]:
    """The paths the README's map names: one a line, nested two spaces under its folder."""
    block = code_blocks(section(README, "Where things are"))[0]
    paths, parent = [], ""
    for line in block.splitlines():
        if not line.strip():
            continue
        name = line.split()[0]
        if line.startswith("  "):
            paths.append(parent + name)
        else:
            paths.append(name)
            parent = name if name.endswith("/") else ""
    return paths


def test_every_path_in_the_folder_map_exists():
    paths = folder_map()
    assert len(paths) >= 10
    for path in paths:
        assert (ROOT / path).is_dir() if path.endswith("/") else (ROOT / path).is_file(), path


def test_the_folder_map_names_every_folder_of_the_package_and_of_the_repository():
    paths = set(folder_map())
    package = {f"playground/{p.name}/" for p in (ROOT / "playground").iterdir()
               if p.is_dir() and not p.name.startswith(("_", "."))}
    top = {f"{p.name}/" for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert package and package <= paths, sorted(package - paths)
    assert top <= paths, sorted(top - paths)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_between_the_pages_resolves(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{page.name}: {target}"


def test_every_page_in_docs_is_linked_from_the_readme():
    for page in (ROOT / "docs").glob("*.md"):
        assert f"(docs/{page.name})" in README, page.name


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_every_path_and_name_in_the_architecture_page_exists():
    quoted = re.findall(r"`([^`\s]+)`", ARCHITECTURE)
    paths = [q for q in quoted if "/" in q and not q.startswith("/") and re.fullmatch(r"[\w./-]+", q)]
    files = [q for q in quoted if re.fullmatch(r"\w+\.(py|md)", q)]  # a bare file name: at the top or in the package
    names = [q for q in quoted if re.fullmatch(r"playground(\.\w+)+", q)]
    assert len(paths) >= 10 and len(files) >= 5 and len(names) >= 20
    for path in paths:
        assert (ROOT / path).exists(), path
    for file in files:
        assert (ROOT / file).is_file() or list((ROOT / "playground").rglob(file)), file
    for name in names:
        assert _resolve(name) is not None, name


def test_the_architecture_page_draws_the_layers_the_architecture_test_enforces():
    import test_architecture

    assert " ← ".join(test_architecture.LAYERS) in ARCHITECTURE
    for layer in test_architecture.LAYERS:
        assert f"`playground/{layer}/`" in ARCHITECTURE, layer


def test_nothing_below_the_ui_layer_imports_gradio():
    for layer in ("core", "models", "lm", "tasks"):
        for path in (ROOT / "playground" / layer).rglob("*.py"):
            assert not re.search(r"^\s*(import|from) gradio\b", path.read_text(), re.M), path
