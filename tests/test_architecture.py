"""The architecture holds: layers import one way, the public names resolve, a code change recomputes the memo."""
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mgg_geo

PACKAGE = Path(mgg_geo.__file__).resolve().parent
#: Each layer and what it may import from mgg_geo (besides itself). errors, checks, settings, rules and text serve all.
FOUNDATION = {"mgg_geo", "mgg_geo.errors", "mgg_geo.checks", "mgg_geo.settings", "mgg_geo.rules",
              "mgg_geo.text"}
ALLOWED = {
    "foundation": FOUNDATION,
    "data": FOUNDATION | {"data"},
    "supply": FOUNDATION | {"data", "supply"},
    "analysis": FOUNDATION | {"data", "supply", "analysis"},
    "present": FOUNDATION | {"data", "supply", "analysis", "present"},
    "top": FOUNDATION | {"data", "supply", "analysis", "present", "mgg_geo.batch", "mgg_geo.cli", "mgg_geo.kernels"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ("data", "supply", "analysis", "present"):
        return parts[1]
    return "top" if module in ("mgg_geo.batch", "mgg_geo.cli", "mgg_geo.kernels", "mgg_geo.__main__") else "foundation"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mgg_geo"):
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mgg_geo")}
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add("relative import")
    return found


def _target_layer(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in ("data", "supply", "analysis", "present"):
        return parts[1]
    return ".".join(parts[:2]) if len(parts) > 1 else name


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_layers_import_one_way(path):
    module = "mgg_geo." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    module = module.removesuffix(".__init__")
    layer = _layer(module)
    for name in _imports(path):
        assert name != "relative import", f"{module}: use absolute imports (from mgg_geo.<layer> import ...)"
        if name == "mgg_geo.__version__":
            continue
        target = _target_layer(name)
        assert target in ALLOWED[layer] or target == module, f"{module} ({layer}) must not import {name}"


def test_the_analysis_never_imports_presentation():
    for path in (PACKAGE / "analysis").rglob("*.py"):
        assert not any(n.startswith("mgg_geo.present") for n in _imports(path)), path


def test_public_modules_resolve_to_their_layer():
    from mgg_geo import analysis, catalogue, maps, need, reports, webmap

    assert reports is mgg_geo.present.reports and maps is mgg_geo.present.maps and webmap is mgg_geo.present.webmap
    assert need is mgg_geo.analysis.need and catalogue is mgg_geo.data.catalogue
    assert analysis.run is mgg_geo.analysis.chain.run and analysis.run_cached is mgg_geo.analysis.memo.run_cached
    with pytest.raises(AttributeError, match="has no attribute 'nonsense'"):
        mgg_geo.nonsense  # noqa: B018


def test_folders_match_the_readme_architecture_section():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    for path in MODULES:
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" and relative.parent != Path("."):
            assert f"{relative.parent}/" in section, f"README architecture lacks {relative.parent}/"
        elif path.name not in ("__init__.py", "__main__.py"):
            assert path.stem in section, f"README architecture lacks {relative}"


def _code_version(root: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", "import mgg_geo.analysis.memo as m; print(m.code_version())"],
                         capture_output=True, text=True, env=env, cwd=root, check=True)
    return out.stdout.strip()


@pytest.mark.slow  # a process of its own
def test_a_code_change_changes_the_memo_key(tmp_path):
    """Edit one line of a copy of the library: the code version (part of every memo key) changes."""
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE, copy / "mgg_geo", ignore=shutil.ignore_patterns("__pycache__"))
    before = _code_version(copy)
    from mgg_geo.analysis import memo  # also when this test runs alone

    assert before == memo.code_version()  # the copy is the same code
    need = copy / "mgg_geo" / "rules.py"
    need.write_text(need.read_text(encoding="utf-8").replace('TARGET_CLASS: str = "3-1"', 'TARGET_CLASS: str = "3-2"'),
                    encoding="utf-8")
    after = _code_version(copy)
    assert after != before and after.split("+")[0] == before.split("+")[0]  # same version number, other code
    template = copy / "mgg_geo" / "present" / "templates" / "report.css"
    template.write_text(template.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    assert _code_version(copy) not in (before, after)


def test_every_public_name_has_a_docstring():
    import importlib
    import inspect
    import pkgutil

    missing = []
    for info in pkgutil.walk_packages(mgg_geo.__path__, "mgg_geo."):
        if info.name == "mgg_geo.__main__":
            continue
        module = importlib.import_module(info.name)
        if not module.__doc__:
            missing.append(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    or getattr(obj, "__module__", None) != module.__name__:
                continue
            if obj.__doc__ is None or (inspect.isclass(obj) and obj.__doc__.startswith(f"{obj.__name__}(")):
                missing.append(f"{info.name}.{name}")
            for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if not attr.startswith("_") and inspect.isfunction(function) and not function.__doc__:
                    missing.append(f"{info.name}.{name}.{attr}")
    assert missing == []


def test_pip_and_conda_set_ups_list_the_same_packages():
    """environment.yml lists every requirement of pyproject.toml (dependencies and every extra) with the same
    version bounds, and nothing else but Python and pip; Playwright, which prints the PDFs, is a real dependency."""
    import tomllib

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    pip = {_name(d): _bounds(d) for d in wanted}
    conda_text = (PACKAGE.parent / "environment.yml").read_text(encoding="utf-8")
    dependencies = conda_text.split("\ndependencies:", 1)[1]
    lines = [line.split("#")[0].strip()[2:].strip() for line in dependencies.splitlines()
             if line.strip().startswith("- ")]
    conda = {_name(line): _bounds(line) for line in lines if line}
    assert {k: v for k, v in conda.items() if k not in ("python", "pip")} == pip
    assert "playwright" in {_name(d) for d in project["dependencies"]}


def _bounds(requirement: str) -> str:
    import re

    text = re.sub(r"\s", "", requirement).split(";")[0]
    return text[len(re.split(r"[<>=!~\[]", text, maxsplit=1)[0]):]


def _name(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _eager_imports(path: Path) -> set[str]:
    """What a module imports when it is imported: its import statements outside function bodies (a function may
    import lazily) and ``if TYPE_CHECKING:`` blocks, each with the parent packages it loads first."""
    found: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.If) and ast.unparse(child.test) == "TYPE_CHECKING":  # for annotations only
                for branch in child.orelse:  # an else branch runs
                    visit(ast.Module(body=[branch], type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.add(child.module)
                found.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {".".join(name.split(".")[:k]) for name in found for k in range(1, name.count(".") + 2)}


def _module_file(name: str) -> Path | None:
    """The file of an mgg_geo module or package (None for a name that is not one, e.g. an imported function)."""
    parts = name.split(".")[1:]
    for path in (PACKAGE.joinpath(*parts).with_suffix(".py"), PACKAGE.joinpath(*parts, "__init__.py")):
        if parts and path.is_file():
            return path
    return None


def loaded_by(module: str) -> set[str]:
    """Every module that importing ``module`` loads, as far as the code of mgg_geo says: the closure of
    :func:`_eager_imports` over the package's own modules (third-party modules are named, not followed)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name) if name.startswith("mgg_geo.") else None
        if path is not None:
            todo += sorted(_eager_imports(path) - seen)
    return seen


def test_the_interactive_map_loads_no_matplotlib():
    """webmap takes its classes from mapclasses, not from the drawing module: an HTML map needs no matplotlib."""
    loaded = loaded_by("mgg_geo.present.webmap")
    assert "mgg_geo.present.mapclasses" in loaded and "mgg_geo.present.maps" not in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("matplotlib", "matplotlib_scalebar", "mapclassify")}
    assert "matplotlib" in loaded_by("mgg_geo.present.maps")  # the check sees an import when there is one


def test_the_batch_process_loads_no_plotting_library():
    """The process that runs the batch names files and writes the index (present.folder); the kernels draw. So
    ``mgg-geo reports`` pays no matplotlib import of its own (about 0.4 s of every run)."""
    loaded = loaded_by("mgg_geo.batch") | loaded_by("mgg_geo.cli")
    assert "mgg_geo.present.folder" in loaded
    assert not {"mgg_geo.present.maps", "mgg_geo.present.reports"} & loaded
    assert not {m for m in loaded if m.split(".")[0] in ("matplotlib", "matplotlib_scalebar", "mapclassify")}


def _warm_up_modules() -> list[str]:
    """The mgg_geo modules a report kernel imports when it starts (:data:`mgg_geo.kernels.WARM_UP`)."""
    from mgg_geo import kernels

    names = []
    for node in ast.walk(ast.parse(kernels.WARM_UP)):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("mgg_geo"):
            names += [f"{node.module}.{a.name}" for a in node.names]
    return names


def test_a_report_kernel_loads_no_scipy():
    """A report renders from the memo: the crosswalks, coverage and what-if computations import scipy where they
    run, so a kernel does not pay for it when it starts (about 0.3 s of each)."""
    modules = _warm_up_modules()
    assert "mgg_geo.present.sections" in modules and "mgg_geo.analysis" in modules
    loaded = set().union(*(loaded_by(m) for m in modules))
    assert {"mgg_geo.analysis.chain", "mgg_geo.analysis.coverage", "mgg_geo.data.crosswalks"} <= loaded
    assert not {m for m in loaded if m.split(".")[0] == "scipy"}


@pytest.mark.slow  # a process of its own
def test_a_kernels_warm_up_loads_no_scipy_in_a_fresh_interpreter():
    """The same with the third-party imports of the warm-up included (geopandas, matplotlib, folium, pandas); and
    the interactive map's element classes load no ``folium.plugins`` (which compiles every plugin's templates,
    0.2 s of each kernel that draws a map)."""
    from mgg_geo import kernels

    code = (f"{kernels.WARM_UP}\nwebmap._classes()\nimport sys\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy' or m.startswith('folium.plugins')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow  # a process of its own
@pytest.mark.parametrize("modules", ["mgg_geo.present.webmap", "mgg_geo.cli, mgg_geo.batch"])
def test_importing_the_interactive_map_or_the_batch_loads_no_matplotlib(modules):
    """The same in a fresh interpreter, third-party imports included."""
    code = f"import sys, {modules}; print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]"
