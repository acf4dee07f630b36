"""Where neuprint-dsl keeps files it can rebuild: the default sample and the parser tables.

Nothing here imports the rest of the package; any module may import it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["APP_NAME", "cache_dir", "write_atomically"]

#: The directory name neuprint-dsl's files go under, in the platform's cache directory.
APP_NAME = "neuprint-dsl"


def cache_dir() -> Path:
    """Return neuprint-dsl's cache directory (it is not created here).

    ``$NEUPRINT_DSL_CACHE`` if set, else the platform's user cache directory for
    ``neuprint-dsl`` (platformdirs): on Linux ``$XDG_CACHE_HOME/neuprint-dsl`` if that is set,
    else ``~/.cache/neuprint-dsl``; on macOS ``~/Library/Caches/neuprint-dsl``; on Windows
    ``%LOCALAPPDATA%\\neuprint-dsl\\Cache``.

    Example:
        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"NEUPRINT_DSL_CACHE": "/tmp/npd"}):
        ...     print(cache_dir())
        /tmp/npd
    """
    override = os.environ.get("NEUPRINT_DSL_CACHE")
    if override:
        return Path(override).expanduser()
    import platformdirs  # only when needed: a few milliseconds of every process start

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)).expanduser()


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, so a reader
    sees the old file, no file or the whole new one, never part of it. Makes the directory.

    Raises ``OSError`` if the directory cannot be made or written.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "x.bin"
        >>> write_atomically(target, b"abc")
        >>> target.read_bytes()
        b'abc'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
