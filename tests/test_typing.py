"""mypy, run as a user would: on the built wheel installed into a fresh virtual environment,
from a directory outside the checkout (issue 10, section 4).

The package is built into a wheel (offline: ``--no-build-isolation``, with the hatchling of
the test environment), the wheel must contain ``neuprint_dsl/py.typed``, and it is installed
into a new venv whose only other path is the test environment's site-packages (for attrs,
pandas-stubs, ...; its editable ``.pth`` of this checkout is not processed there). mypy then
checks tests/typing/*.py with that venv's interpreter: each line marked ``type: ignore[...]``
must be an error mypy really reports (``--warn-unused-ignores`` fails otherwise), and every
other line must type-check, ``assert_type`` lines included.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USAGE = sorted((ROOT / "tests" / "typing").glob("*.py"))

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("mypy") is None, reason="mypy is not installed (.[test])"
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("hatchling") is None,
        reason="hatchling is not installed (.[test]); it builds the wheel offline",
    ),
]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def _venv(path: Path, extra_paths: list[Path]) -> tuple[Path, Path]:
    """A new venv without pip whose sys.path ends with ``extra_paths``; returns its python
    and its site-packages."""
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(path)], cwd=path.parent)
    assert made.returncode == 0, made.stderr
    python = path / "bin" / "python"
    purelib = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=path.parent,
        ).stdout.strip()
    )
    (purelib / "zz_extra_paths.pth").write_text("".join(f"{p}\n" for p in extra_paths))
    return python, purelib


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the built wheel of this checkout; returns its python."""
    tmp = tmp_path_factory.mktemp("typing")
    dist = tmp / "dist"
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        cwd=tmp,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("neuprint_dsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "neuprint_dsl/py.typed" in names, "the wheel ships no py.typed marker"
    assert "neuprint_dsl/grammar/neuprint_dsl.lark" in names

    # the dependencies (and their stubs) come from the test environment, after the wheel
    python, purelib = _venv(tmp / "venv", [Path(sysconfig.get_paths()["purelib"])])
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(purelib),
            str(wheel),
        ],
        cwd=tmp,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return python


def _installed_package(python: Path, cwd: Path) -> Path:
    where = _run([str(python), "-c", "import neuprint_dsl; print(neuprint_dsl.__file__)"], cwd)
    assert where.returncode == 0, where.stderr
    return Path(where.stdout.strip()).parent


def _mypy(python: Path, files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "mypy.ini").write_text("[mypy]\n")  # no configuration from the checkout
    return _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(cwd / "mypy.ini"),
            "--python-executable",
            str(python),
            "--strict",
            "--warn-unused-ignores",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            *[f.name for f in files],
        ],
        cwd=cwd,
    )


def test_installed_wheel_is_typed_for_users(user_venv: Path, tmp_path: Path) -> None:
    for source in USAGE:
        shutil.copy(source, tmp_path / source.name)
    # the venv's interpreter finds the installed copy, never this checkout
    assert not _installed_package(user_venv, tmp_path).is_relative_to(ROOT)
    result = _mypy(user_venv, [tmp_path / s.name for s in USAGE], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_marker_mypy_treats_the_package_as_untyped(
    user_venv: Path, tmp_path: Path
) -> None:
    """The control: without py.typed mypy skips the package, so the test above really
    depends on the marker."""
    untyped = tmp_path / "untyped"
    shutil.copytree(_installed_package(user_venv, tmp_path), untyped / "neuprint_dsl")
    (untyped / "neuprint_dsl" / "py.typed").unlink()
    python, _ = _venv(tmp_path / "venv", [untyped])
    (tmp_path / "use.py").write_text("import neuprint_dsl\n")
    result = _mypy(python, [tmp_path / "use.py"], tmp_path)
    assert result.returncode != 0
    assert "missing library stubs or py.typed marker" in result.stdout, result.stdout
