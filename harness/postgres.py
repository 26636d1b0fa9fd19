"""A throwaway PostgreSQL cluster for tests and the bench: `initdb` into a temporary folder,
`pg_ctl start` on a free loopback port, databases created on demand, everything removed at stop.

It uses the system's PostgreSQL binaries (Debian's `postgresql` package: `pg_config --bindir`,
else the newest `/usr/lib/postgresql/*/bin`). `initdb` refuses to run as root, so as root every
server command runs as the unprivileged `postgres` user (made by that package) through
`setpriv` (which execs, so the server stays our child: stopping it reaps it, leaving no zombie
behind in a container whose init does not reap); the data folder is handed to that user.

The cluster is created with `--locale=C.UTF-8`: under the `C` locale PostgreSQL treats bytes
over 127 as non-letters, so Japanese and Korean text would drop out of text search and lower().
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "briefbot"
_SERVER_USER = "postgres"
# Settings for a cluster that exists for minutes: durability is traded for speed (a crash
# loses the cluster, which is thrown away anyway) and the server listens on loopback only.
_SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB "
    "-c unix_socket_permissions=0700"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (the message says what to install)."""


def find_bindir() -> Path:
    """The folder of `initdb`, `pg_ctl` and `postgres`, or PostgresUnavailable."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb) found: install Debian's `postgresql` package"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ThrowawayCluster:
    """One PostgreSQL cluster in a temporary folder; `start()`, `create_database()`, `stop()`."""

    bindir: Path = field(default_factory=find_bindir)
    port: int = field(default_factory=_free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="briefbot-pg-")))
    # More server settings (`-c name=value` each), after the defaults: the bench gives its
    # cluster a production-like cache.
    settings: tuple[str, ...] = ()
    _server: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return [
            "setpriv",
            f"--reuid={_SERVER_USER}",
            f"--regid={_SERVER_USER}",
            "--init-groups",
            *argv,
        ]

    def _run(self, argv: list[str]) -> str:
        done = subprocess.run(
            self._as_server_user(argv), capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def start(self) -> ThrowawayCluster:
        """Create and start the cluster; returns self."""
        if os.geteuid() == 0:
            server = pwd.getpwnam(_SERVER_USER)
            os.chown(self.root, server.pw_uid, server.pw_gid)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        log = (self.root / "server.log").open("wb")
        # A test run that is killed (no fixture teardown) must not leave a server behind:
        # the server gets SIGQUIT, its immediate shutdown, when the process that started it dies.
        self._server = subprocess.Popen(
            self._as_server_user(
                [
                    "setpriv",
                    "--pdeathsig",
                    "SIGQUIT",
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    *_SERVER_OPTIONS.split(),
                    *(arg for setting in self.settings for arg in ("-c", setting)),
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready(deadline=time.monotonic() + 60)
        return self

    def _wait_ready(self, deadline: float) -> None:
        assert self._server is not None
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                log = (self.root / "server.log").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"postgres exited at start: {log.strip()[-2000:]}")
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("postgres did not accept connections within 60 s")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through `psql` (unaligned, tuples only) and return what it printed."""
        return self._run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-c",
                sql,
            ]
        )

    def url(self, database: str = "postgres") -> str:
        """The `postgresql://` URL of one database of this cluster."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def server_pid(self) -> int | None:
        """The postmaster's process id while the cluster runs."""
        return None if self._server is None else self._server.pid

    def stop(self) -> None:
        """Stop the server at once and remove every file of the cluster."""
        if self._server is not None:
            # SIGQUIT is PostgreSQL's immediate shutdown: the cluster is thrown away anyway.
            self._server.send_signal(signal.SIGQUIT)
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None
        shutil.rmtree(self.root, ignore_errors=True)
