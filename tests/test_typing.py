"""mypy, run as a user would: on the built wheel installed into a fresh virtual environment,
from a directory outside the checkout (issue 10, section 4).

The package is built into a wheel (offline: ``--no-build-isolation``, with the hatchling of
the test environment), the wheel must contain ``neuprint_dsl/py.typed``, and it is installed
into a new venv whose only other path is the test environment's site-packages (for attrs,
pandas-stubs, ...; its editable ``.pth`` of this checkout is not processed there). mypy then
checks tests/typing/*.py with that venv's interpreter: each line marked ``type: ignore[...]``
must be an error mypy really reports (``--warn-unused-ignores`` fails otherwise), and every
other line must type-check, ``assert_type`` lines included.

All of it runs in other processes, started before the first test (tests/forkserver.py's
``Early``); the tests wait for it and check what it did.
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

from .forkserver import Early

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


def _environment(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in ("MYPYPATH", "PYTHONPATH")}


class Checks:
    """What :data:`TYPING` did: ``installed``, where the venv's interpreter imports
    neuprint_dsl from; ``typed``, mypy on tests/typing/*.py with the installed wheel;
    ``untyped``, mypy on ``import neuprint_dsl`` with a copy of it without ``py.typed``."""

    def __init__(
        self,
        installed: Path,
        typed: subprocess.CompletedProcess[str],
        untyped: subprocess.CompletedProcess[str],
    ) -> None:
        self.installed = installed
        self.typed = typed
        self.untyped = untyped


def _check(early: Early, env: dict[str, str]) -> Checks:
    """Build the wheel, install it into a new venv, run both mypy checks (on the background
    thread of tests/forkserver.py, while other tests run)."""

    def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return early.run(args, env=env, cwd=cwd, timeout=300)

    def venv(path: Path, extra_paths: list[Path]) -> tuple[Path, Path]:
        """A new venv without pip whose sys.path ends with ``extra_paths``; returns its
        python and its site-packages."""
        made = run([sys.executable, "-m", "venv", "--without-pip", str(path)], path.parent)
        assert made.returncode == 0, made.stderr
        python = path / "bin" / "python"
        code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        purelib = Path(run([str(python), "-c", code], path.parent).stdout.strip())
        (purelib / "zz_extra_paths.pth").write_text("".join(f"{p}\n" for p in extra_paths))
        return python, purelib

    def mypy(python: Path, files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
        (cwd / "mypy.ini").write_text("[mypy]\n")  # no configuration from the checkout
        return run(
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
            cwd,
        )

    tmp = early.directory
    dist = tmp / "dist"
    built = run(
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
        tmp,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("neuprint_dsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "neuprint_dsl/py.typed" in names, "the wheel ships no py.typed marker"
    assert "neuprint_dsl/grammar/neuprint_dsl.lark" in names

    # the dependencies (and their stubs) come from the test environment, after the wheel
    python, purelib = venv(tmp / "venv", [Path(sysconfig.get_paths()["purelib"])])
    installed = run(
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
        tmp,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # the users' code, checked against the installed wheel
    usage = tmp / "usage"
    usage.mkdir()
    for source in USAGE:
        shutil.copy(source, usage / source.name)
    where = run([str(python), "-c", "import neuprint_dsl; print(neuprint_dsl.__file__)"], usage)
    assert where.returncode == 0, where.stderr
    package = Path(where.stdout.strip()).parent
    typed = mypy(python, [usage / s.name for s in USAGE], usage)

    # the control: the same package without its marker
    control = tmp / "control"
    untyped = control / "untyped"
    shutil.copytree(package, untyped / "neuprint_dsl")
    (untyped / "neuprint_dsl" / "py.typed").unlink()
    bare, _ = venv(control / "venv", [untyped])
    (control / "use.py").write_text("import neuprint_dsl\n")
    return Checks(package, typed, mypy(bare, [control / "use.py"], control))


#: the wheel built and installed, and mypy run on it twice (tens of seconds), started in the
#: background before the first test (tests/forkserver.py)
TYPING = Early("typing: wheel and mypy", _check, prepare=lambda: _environment(dict(os.environ)))


@pytest.mark.early(TYPING)
def test_installed_wheel_is_typed_for_users() -> None:
    checks: Checks = TYPING.result()
    # the venv's interpreter finds the installed copy, never this checkout
    assert not checks.installed.is_relative_to(ROOT)
    assert checks.typed.returncode == 0, checks.typed.stdout + checks.typed.stderr


@pytest.mark.early(TYPING)
def test_without_the_marker_mypy_treats_the_package_as_untyped() -> None:
    """The control: without py.typed mypy skips the package, so the test above really
    depends on the marker."""
    checks: Checks = TYPING.result()
    assert checks.untyped.returncode != 0
    assert "missing library stubs or py.typed marker" in checks.untyped.stdout, (
        checks.untyped.stdout
    )
