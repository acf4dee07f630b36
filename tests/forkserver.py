"""Run the ``neuprint-dsl`` command (or an example script) in a real, separate process, fast.

Starting Python and importing neuprint_dsl (pandas, pyarrow, requests, Ladybug) costs about a
second of CPU, which on two shared cores is several seconds per command; tests/test_cli.py
runs dozens of commands. :class:`ForkServer` pays it once: it starts one Python process
that imports ``neuprint_dsl.cli`` and then, for each command, **forks** a child that

* takes the given argument list, environment (the whole of it) and working directory,
* has its standard input on ``/dev/null``, its standard output and error on the given files
  (or ``/dev/full``, a file of the test's), and an optional file-size limit (``RLIMIT_FSIZE``),
* calls the console script's entry point (``neuprint_dsl.cli:main``), or runs a script as
  ``python script.py`` would (``runpy``, ``__name__ == "__main__"``),
* and ends the way a real process ends: ``sys.exit`` unwinds to the interpreter, which
  flushes the standard streams, runs ``atexit`` and reports the exit status (an uncaught
  exception prints its traceback and exits 1).

So a command sees exactly what a fresh ``neuprint-dsl`` process sees, except that the
modules were imported before its environment was set (neuprint_dsl reads the environment
when called, never at import). Tests that are about the process itself (the console script
on ``PATH``, a closed pipe, the sample built on first use) still start real processes.

tests/test_cli.py and tests/test_cli_table.py use one per module (:data:`SHARED`, through
tests/conftest.py's ``fork_server`` fixture), tests/test_examples.py one in the background
(:meth:`Early.fork_server`); run
``python tests/forkserver.py`` by hand to see the protocol: one JSON request per line on
standard input, one JSON answer (``{"returncode": n}``) per line on standard output.

:class:`Early` runs the slow preparation of a few tests (a type check of the package, a
wheel built and installed into a new venv, the default sample built by a real command, the
example scripts) in other processes, started in the background before the first test, one
at a time, so that on two cores it runs beside the tests instead of before theirs; the test
waits for the result and checks it as before (tests/conftest.py starts the ones the selected
tests use, in the order the tests come).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


#: What the server runs once, before any command: the imports, and the text parser that
#: ``parse`` builds on first use (``functools.cache``; a fresh process builds the same one).
WARM_UP = "import neuprint_dsl.cli\nfrom neuprint_dsl import parse\nparse('neurons where pre > 1')"


class ForkServer:
    """The client: starts the server process and runs commands through it."""

    def __init__(self, warm_up: str = WARM_UP, env: Mapping[str, str] | None = None) -> None:
        env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), warm_up],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,  # not the test's (a test may be in a directory it is about to remove)
            text=True,
        )
        self._answer({}, timeout=300)  # the imports are done

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: str | Path | None = None,
        stdout: str | Path | None = None,
        fsize_limit: int | None = None,
        script: str | Path | None = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``neuprint-dsl ARGS`` (or ``python SCRIPT ARGS``) in a forked child.

        ``stdout`` names the file standard output goes to (``/dev/full``, a file the test
        opened ...); without it the output is captured and returned, as is standard error.
        The result is what :func:`subprocess.run` with ``capture_output=True`` returns.
        """
        argv = [str(a) for a in args]
        with tempfile.TemporaryDirectory(prefix="forkrun-") as tmp:
            out = Path(tmp) / "stdout"
            err = Path(tmp) / "stderr"
            request = {
                "argv": argv,
                "env": dict(env),
                "cwd": str(cwd if cwd is not None else Path.cwd()),
                "stdout": str(stdout if stdout is not None else out),
                "stderr": str(err),
                "fsize_limit": fsize_limit,
                "script": None if script is None else str(script),
            }
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            code = self._answer(request, timeout)["returncode"]
            captured = out.read_text(encoding="utf-8", errors="replace") if stdout is None else ""
            errors = err.read_text(encoding="utf-8", errors="replace")
        return subprocess.CompletedProcess(argv, code, captured, errors)

    def _answer(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline() if ready else ""
        if not line:
            self.close()
            raise RuntimeError(f"the fork server did not answer in {timeout} s: {request}")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the server process."""
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def console_script() -> list[str]:
    """The real ``neuprint-dsl`` console script next to this Python (or ``python -m``), for the
    tests about the process itself."""
    script = shutil.which("neuprint-dsl", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "neuprint_dsl.cli"]


class LazyForkServer:
    """A :class:`ForkServer` started on first :meth:`run` (a module whose selected tests run
    no command starts none) and stopped by :meth:`close` (it starts again on the next run)."""

    def __init__(self) -> None:
        self._server: ForkServer | None = None

    def run(self, args: Sequence[str], **options: Any) -> subprocess.CompletedProcess[str]:
        """:meth:`ForkServer.run`, starting the server first if needed."""
        if self._server is None:
            self._server = ForkServer()
        return self._server.run(args, **options)

    def close(self) -> None:
        """Stop the server, if it was started."""
        server, self._server = self._server, None
        if server is not None:
            server.close()


#: The fork server of the test module under way: tests/conftest.py's ``fork_server`` fixture
#: (module scope) hands it out and stops it after each module; each pytest-xdist worker is a
#: process of its own, with its own.
SHARED = LazyForkServer()


# -- work started early, in the background ------------------------------------------------


#: every :class:`Early` made so far (tests/conftest.py stops them at the end of the run)
EARLY: list[Early] = []


class Early:
    """A test's slow preparation, done in other processes and started before the tests run.

    ``work(early, prepared)`` runs on a background thread (one for all :class:`Early` s, so
    they run one after the other, beside the tests); it starts its processes with
    :meth:`run` (or :meth:`fork_server`) and returns what the test checks. ``prepare()``
    runs first, on the test process' main thread when the work is started: what work needs
    from the test process (its environment, files to copy), read before any test can change
    it (work never reads ``os.environ`` or the working directory itself: tests change them).
    :meth:`result` waits for the work (starting it if nobody did) and returns its result or
    raises its exception. :attr:`directory` is a fresh directory for work's files, removed
    by :meth:`stop`.

    Example (in a test run, tests/conftest.py starts and stops them):

        >>> echo = lambda early, env: early.run(["echo", "hi"], env=env, cwd=ROOT).stdout
        >>> job = Early("echo", echo, prepare=lambda: dict(os.environ))
        >>> job.start(); job.result()
        'hi\\n'
        >>> job.stop()
    """

    _pool: concurrent.futures.ThreadPoolExecutor | None = None

    def __init__(
        self,
        name: str,
        work: Callable[[Early, Any], Any],
        prepare: Callable[[], Any] | None = None,
    ) -> None:
        self.name = name
        self._work = work
        self._prepare = prepare
        self._future: concurrent.futures.Future[Any] | None = None
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[str]] = []
        self._server: ForkServer | None = None
        self._stopped = False
        self.directory = Path(tempfile.gettempdir())  # made by start()
        EARLY.append(self)

    def __repr__(self) -> str:
        if self._future is None:
            state = "not started"
        else:
            state = "done" if self._future.done() else "under way"
        return f"<Early {self.name!r}: {state}>"

    def start(self) -> None:
        """Start the work in the background (once; call it on the main thread)."""
        if self._future is None:
            tag = "".join(c if c.isalnum() else "-" for c in self.name.split()[0])
            self.directory = Path(tempfile.mkdtemp(prefix=f"early-{tag}-"))
            prepared = None if self._prepare is None else self._prepare()
            if Early._pool is None:
                Early._pool = concurrent.futures.ThreadPoolExecutor(1, "early")
            self._future = Early._pool.submit(self._work, self, prepared)

    def result(self, timeout: float = 1800) -> Any:
        """Wait for the work and return its result (or raise its exception)."""
        self.start()
        assert self._future is not None
        return self._future.result(timeout)

    def run(
        self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """``subprocess.run(args, capture_output=True, text=True, ...)``, stopped by
        :meth:`stop` (a real process: standard input on ``/dev/null``)."""
        argv = [str(a) for a in args]
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name}: stopped")
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(env),
                cwd=cwd,
            )
            self._processes.append(process)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err += f"\n(killed after {timeout} s)"
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def fork_server(self, env: Mapping[str, str]) -> ForkServer:
        """This work's :class:`ForkServer` (started on first call, with ``env``; stopped by
        :meth:`stop`)."""
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"{self.name}: stopped")
            if self._server is None:
                self._server = ForkServer(env=env)
            return self._server

    def close_fork_server(self) -> None:
        """Stop this work's :class:`ForkServer`, if it started one (the work is done with it)."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.close()

    def stop(self) -> None:
        """Kill what still runs, forget the work's result and remove :attr:`directory`."""
        with self._lock:
            self._stopped = True
            for process in self._processes:
                if process.poll() is None:
                    process.kill()
            server, self._server = self._server, None
        if self._future is not None:
            self._future.cancel()
            with contextlib.suppress(
                concurrent.futures.CancelledError, concurrent.futures.TimeoutError
            ):
                self._future.exception(timeout=60)  # the thread is done with the directory
        if server is not None:
            server.close()
        for process in self._processes:
            process.wait()
        if self._future is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


# -- the server process -------------------------------------------------------------------


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the command's process and run it (never returns)."""
    os.setsid()  # its own process group, like a command started from a shell
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    out = request["stdout"]
    for fd, (path, mode) in enumerate(
        [
            (os.devnull, os.O_RDONLY),
            (out, os.O_WRONLY | os.O_APPEND if out.startswith("/dev/") else flags),
            (request["stderr"], flags),
        ]
    ):
        opened = os.open(path, mode, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    if request["fsize_limit"] is not None:
        import resource

        limit = int(request["fsize_limit"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    script = request["script"]
    if script is not None:
        import runpy

        sys.argv = [script, *request["argv"]]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
        raise SystemExit(0)
    from neuprint_dsl.cli import main

    sys.argv = ["neuprint-dsl", *request["argv"]]
    sys.path[0] = os.path.dirname(sys.executable)  # as for the console script
    main()
    raise SystemExit(0)


def _serve(warm_up: str) -> None:
    exec(warm_up, {"__name__": "__warm_up__"})
    # the objects made so far are never garbage: keep the collector (in the children too)
    # off them, so a child does not copy every page of them when it runs or exits
    gc.collect()
    gc.freeze()
    answers = os.fdopen(os.dup(1), "w")  # the answers; fd 1 itself is the child's stdout
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    answers.write("{}\n")
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(request)  # SystemExit unwinds from here to the interpreter's exit
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        answers.write(json.dumps({"returncode": code}) + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve(sys.argv[1] if len(sys.argv) > 1 else WARM_UP)
