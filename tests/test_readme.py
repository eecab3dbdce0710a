"""The README tells the truth: the paths it names exist, its variables exist, its command lines use real options."""
from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

from mgg_geo import cli, settings

ROOT = settings.PROJECT_ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Folders whose contents the project makes (git-ignored): a path there is an output, not a file of the repository.
OUTPUTS = ("reports/", "data/cache/", "test-output/", ".venv/", ".mgg-tmp/", "assets/node_modules/")
#: The files a build writes into the reports folder (reports/README.md).
OUTPUT_LAYOUT = (ROOT / "reports" / "README.md").read_text(encoding="utf-8")
#: The settings module's source: an absolute path the README names (installed by the system, present or not on
#: this machine) must be one of its defaults.
SETTINGS_SOURCE = Path(settings.__file__).read_text(encoding="utf-8")


def _tracked() -> set[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else {str(p.relative_to(ROOT)) for p in ROOT.rglob("*")}


def readme_paths() -> list[str]:
    """Every backticked token of the README that names a file or folder: it has a slash, or a file extension."""
    found = []
    for token in sorted(set(re.findall(r"`([^`\s]+)`", README))):
        if token.startswith(("http", "-", "$")) or re.fullmatch(r"\.\w+", token):  # URLs, options, bare extensions
            continue
        if "/" in token or re.search(r"\.(py|csv|ipynb|json|md|toml|yml|yaml|css|j2|html|gpkg|xlsx|txt|pdf)$", token):
            found.append(token)
    return found


def test_the_readme_names_paths_at_all():
    paths = readme_paths()
    assert len(paths) > 40 and "mgg_geo/data/catalogue.py" in paths and "assets/package-lock.json" in paths


def test_every_path_the_readme_names_exists():
    """A path is a file or folder of the repository, an output of the project (a placeholder such as ``<code>`` or
    a folder the project fills), or a file of the shared data folder; a bare file name is one of the repository's
    files; an absolute path exists on this machine or is a default of the settings (a program the system may not
    have installed: ``make test`` runs on a machine without Chromium too)."""
    tracked = _tracked()
    names = {Path(t).name for t in tracked}
    missing = []
    for token in readme_paths():
        path = token.split("::")[0]
        if path.startswith("../shared/"):
            if settings.SHARED_DATA.is_dir() and not (ROOT / path).exists():
                missing.append(token)
            continue
        if path.startswith("/"):  # the system's: present here, or a default the settings name (Debian's chromium)
            if not (Path(path).exists() or f'"{path}"' in SETTINGS_SOURCE):
                missing.append(token)
            continue
        if (ROOT / path).exists() or path.rstrip("/") in {t.rstrip("/") for t in tracked}:
            continue
        generated = "<" in path or "*" in path or path.startswith(OUTPUTS)
        if generated:
            continue
        if "/" not in path and (path in names or (settings.SHARED_DATA / "initiatives" / path).exists()
                                or f"`{path}`" in OUTPUT_LAYOUT):  # a file of the reports folder
            continue
        missing.append(token)
    assert missing == [], f"the README names paths that do not exist: {missing}"


def test_node_modules_are_not_in_git():
    assert not [t for t in _tracked() if t.startswith("assets/node_modules/")]
    assert "assets/node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8")


def _settings_variables() -> set[str]:
    tree = ast.parse((ROOT / "mgg_geo" / "settings.py").read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"MGG_[A-Z_]+",
                                                                                             node.value)}


def test_every_setting_is_in_the_readme_settings_section():
    section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    variables = _settings_variables()
    assert {"MGG_DATA_DIR", "MGG_REGISTER", "MGG_CHROMIUM", "MGG_CACHE_DIR"} <= variables
    assert sorted(v for v in variables if f"`{v}`" not in section) == []


def test_every_variable_the_readme_names_exists():
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "mgg_geo").rglob("*.py"))
    named = set(re.findall(r"\bMGG_[A-Z_]+[A-Z]\b", README))
    assert sorted(v for v in named if f'"{v}"' not in code) == []
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    defined = set(re.findall(r"^([A-Z_]+)\s*[?:]?=", makefile, flags=re.M))
    used = set()
    for line in re.findall(r"make [a-z-]+((?: [A-Z_]+=\S*)+)", README):
        used |= set(re.findall(r"([A-Z_]+)=", line))
    assert used >= {"LEVEL", "GEMEENTE", "PDF", "PORT", "TOKEN", "LAB_ARGS"}
    assert sorted(used - defined) == []


def _subparsers(parser) -> dict:
    import argparse

    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def readme_command_lines() -> list[str]:
    """Every ``mgg-geo`` line of the README's code blocks, with its continuation lines (indented ``[...]``)."""
    lines, blocks = [], re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    for block in blocks:
        for line in block.splitlines():
            code = line.split("  #")[0].rstrip()
            if re.match(r"\s*mgg-geo ", code):
                lines.append(code.strip())
            elif lines and re.match(r"\s+\[", code) and lines[-1].startswith("mgg-geo"):
                lines[-1] += " " + code.strip()
    return lines


def test_every_mgg_geo_line_of_the_readme_uses_real_commands_and_options():
    parser = cli.build_parser()
    lines = readme_command_lines()
    assert len(lines) >= 10
    problems = []
    for line in lines:
        words = line.split()[1:]
        target, used = parser, []
        while words and words[0] in _subparsers(target):
            used.append(words[0])
            target = _subparsers(target)[words.pop(0)]
        if not used:
            problems.append(f"{line}: no command")
            continue
        options = {o for action in target._actions for o in action.option_strings}
        unknown = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(words))) - options)
        if unknown:
            problems.append(f"{line}: {unknown}")
    assert problems == []


@pytest.mark.skipif(os.environ.get("CI") != "true" and not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_readme_quick_start_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"`make ([a-z-]+)", README):
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), target
