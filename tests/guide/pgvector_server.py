"""A private PostgreSQL 16 with the pgvector extension, from the ``pgserver`` wheel's binaries.

The shared PostgreSQL (127.0.0.1:5432) has no ``vector`` extension, so the tests and the vector
benchmark start their own server: ``initdb`` into a temporary directory, ``pg_ctl start``
listening only on a unix socket in that directory (no TCP port, so nothing clashes with the
shared server or with another session's private one), then ``pg_ctl stop`` and the directory is
removed.

pgserver's own ``get_server()`` is not used: run as root it adds an OS user (``useradd
pgserver``) and widens the permissions of every parent directory of the data directory and of
the virtualenv. PostgreSQL refuses to run as root, so here, under root, ``initdb`` and
``pg_ctl`` run as the existing ``postgres`` OS user instead (the Debian package's user); as
any other user they run as that user. The package is located without importing it (its import
picks a lock directory under ``XDG_RUNTIME_DIR``).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

__all__ = ["PgServerUnavailable", "bin_dir", "private_pgvector_server"]

DATABASE = "lingxi"


class PgServerUnavailable(RuntimeError):
    """The private server cannot be started here (the message says why)."""


def bin_dir() -> Path:
    """The ``pgserver`` wheel's PostgreSQL ``bin`` directory."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise PgServerUnavailable(
            "the pgserver package is not installed (it is in the [dev] extra: pgserver==0.1.4)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").is_file():
        raise PgServerUnavailable(f"pgserver has no PostgreSQL binary at {path / 'postgres'}")
    return path


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PgServerUnavailable(
            "running as root, PostgreSQL needs an unprivileged OS user and there is no "
            "'postgres' user on this machine"
        ) from None
    return "postgres"


def _run(args: list[str], *, user: str | None) -> None:
    done = subprocess.run(args, user=user, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip() or done.stdout}"
        )


@contextmanager
def private_pgvector_server() -> Iterator[str]:
    """Start the server, yield a SQLAlchemy URL of an empty database ``lingxi``, stop it.

    Raises
    ------
    PgServerUnavailable
        When the package is missing, or under root without a ``postgres`` OS user.
    RuntimeError
        When ``initdb`` or ``pg_ctl`` fail (with their error text).
    """
    binaries = bin_dir()
    user = _run_as()
    # Short: a unix socket path must fit in 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="lingxi-pgv-"))
    data = root / "data"
    started = False
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        root.chmod(0o700)
        _run(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
            + ["--encoding=UTF8", "--no-sync"],
            user=user,
        )
        _run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w"]
            + ["-o", f"-c listen_addresses='' -k {root} -c fsync=off", "start"],
            user=user,
        )
        started = True
        admin = create_engine(
            f"postgresql+psycopg://postgres@/postgres?host={root}", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()
        yield f"postgresql+psycopg://postgres@/{DATABASE}?host={root}"
    finally:
        try:
            if started:
                _run(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"],
                    user=user,
                )
        finally:
            shutil.rmtree(root, ignore_errors=True)
