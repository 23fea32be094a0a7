"""Files under the state directory are the owner's alone (issue 15).

``.lapor/`` holds the reporter key, the session key, the demo admin's password,
the broker's and the store's data (complaints with their reporters), the
models and the logs. The directories are made 0700 and the files 0600:

* the ``lapor`` command sets its umask to 0077 first thing (``lapor.cli``), so
  whatever it or a library it calls (MLflow's SQLite, joblib, faust) creates,
  and every process it starts, is private without each writer knowing;
* the state directory itself is made (or tightened to) 0700 by ``lapor up``, so
  files an older version left readable are out of reach too;
* secrets are created 0600 explicitly (``os.open`` with the mode), whatever
  the umask of the process that writes them (tests, notebooks).

A leaf: imports nothing from the project.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> int:
    """Make everything this process creates from now on owner-only; the old umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` and its missing parents, made 0700 (an existing ``path`` is tightened)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def open_private(path: Path, mode: str = "ab"):  # noqa: ANN201
    """Open ``path`` (a log, a lock) creating it 0600; an existing file is tightened."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, mode)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, 0600 from its first byte."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def read_or_create_secret(path: Path) -> str:
    """The secret in ``path``, created once (random, 0600, its directory 0700) when
    missing: the session and tracking-id keys when no setting gives them. Written
    beside it and linked into place, so a process starting at the same moment
    reads either nothing or the whole key, and all of them the same one."""
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        write_private(tmp, secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process made it first: theirs wins
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
