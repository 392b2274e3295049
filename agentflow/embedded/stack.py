"""`agentflow up`: start every service in order, print the URLs, stop them all on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import create_async_engine

from agentflow.config import get_settings
from agentflow.embedded import prefect as embedded_prefect
from agentflow.embedded import prefect_scale
from agentflow.embedded.openbao import EmbeddedOpenBao, scrub_vault_env, write_private
from agentflow.embedded.ports import ensure_free, wait_for_port
from agentflow.embedded.postgres import EmbeddedPostgres
from agentflow.embedded.prefect_database import DATABASE as PREFECT_DATABASE
from agentflow.embedded.prefect_database import PrefectDatabase
from agentflow.embedded.prefect_database import choose as choose_prefect_database
from agentflow.embedded.process import ManagedProcess
from agentflow.errors import AgentFlowError
from agentflow.migrations import upgrade

T = TypeVar("T")


class StackError(AgentFlowError):
    code = "stack_failed"


@dataclass
class StackConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    api_port: int = 8000
    prefect_port: int = 4200
    db_port: int = 5433
    vault_port: int = 8200
    api_workers: int = 1
    # Scale-out on one host: AgentFlow worker processes, and Prefect API processes (more than one needs
    # Redis and Prefect on Postgres; with a Redis URL the Prefect services run in their own process).
    workers: int = 1
    prefect_workers: int = 1
    redis_url: str | None = None
    # Set from AGENTFLOW_DATABASE_URL / PREFECT_API_URL / VAULT_ADDR: use those services instead of
    # embedded ones (an external Vault's credentials come from VAULT_TOKEN or VAULT_ROLE_ID+SECRET_ID).
    external_database_url: str | None = None
    external_prefect_url: str | None = None
    external_vault_addr: str | None = None


@dataclass
class Stack:
    config: StackConfig
    console: Console = field(default_factory=Console)
    processes: list[ManagedProcess] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    running: bool = False
    openbao: EmbeddedOpenBao | None = None
    postgres: EmbeddedPostgres | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.api_port}"

    @property
    def prefect_api_url(self) -> str:
        return self.config.external_prefect_url or f"http://{self.config.host}:{self.config.prefect_port}/api"

    def check_ports(self) -> None:
        c = self.config
        ensure_free(c.host, c.api_port, what="AgentFlow API", flag="--port")
        if not c.external_prefect_url:
            ensure_free(c.host, c.prefect_port, what="Prefect server", flag="--prefect-port")
        if not c.external_database_url:
            ensure_free("127.0.0.1", c.db_port, what="embedded Postgres", flag="--db-port")
        if not c.external_vault_addr:
            ensure_free("127.0.0.1", c.vault_port, what="embedded OpenBao", flag="--vault-port")

    @property
    def vault_addr(self) -> str:
        return self.config.external_vault_addr or f"http://127.0.0.1:{self.config.vault_port}"

    @property
    def prefect_env_file(self) -> Path:
        return self.config.data_dir / "prefect.env"

    def prefect_auth_string(self) -> str | None:
        """The Prefect API's basic-auth credentials: generated once per data dir for the embedded server,
        PREFECT_API_AUTH_STRING for an external one (None if it needs none)."""
        if self.config.external_prefect_url:
            return os.environ.get("PREFECT_API_AUTH_STRING") or None
        path = self.config.data_dir / "secrets" / "prefect_auth"
        if not path.exists():
            write_private(path, embedded_prefect.new_auth_string())
        return path.read_text().strip()

    def write_prefect_env(self) -> None:
        """`<data-dir>/prefect.env`, so an operator can `set -a; . prefect.env` and use Prefect's CLI."""
        lines = [f"PREFECT_API_URL={shlex.quote(self.prefect_api_url)}"]
        auth = self.prefect_auth_string()
        if auth:
            lines.append(f"PREFECT_API_AUTH_STRING={shlex.quote(auth)}")
        write_private(self.prefect_env_file, "\n".join(lines) + "\n")

    def jwt_secret(self) -> str:
        """One signing key per data dir, so access tokens survive a restart."""
        path = self.config.data_dir / "secrets" / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def run(self) -> int:
        """Start everything, block until a signal or a crashed child, then stop everything."""
        c = self.config
        self._install_signal_handlers()
        try:
            prefect_scale.check_shape(
                prefect_workers=c.prefect_workers,
                redis_url=c.redis_url,
                external_prefect=bool(c.external_prefect_url),
            )
            self.check_ports()
            c.data_dir.mkdir(parents=True, exist_ok=True)
            c.data_dir.chmod(0o700)
            database_url = self._step("Postgres", self._start_postgres)
            self._step("Database migrations", lambda: upgrade(database_url))
            if c.external_vault_addr:
                self.console.print(f"[green]✓[/] Vault at {c.external_vault_addr} [dim](external)[/]")
            else:
                self._step("OpenBao", self._start_openbao)
            self._step("Prefect server", self._start_prefect)
            self.write_prefect_env()
            self._step(
                "Work pool 'agentflow'",
                lambda: asyncio.run(
                    embedded_prefect.ensure_work_pool(
                        self.prefect_api_url,
                        auth_string=self.prefect_auth_string(),
                        results_dir=c.data_dir / "results",
                    )
                ),
            )
            app_env = self._app_env(database_url)
            worker_env = self._child_env(app_env, role="worker")
            self._step("Vault block 'agentflow-vault'", lambda: self._register_blocks(worker_env))
            self._step("Agent deployments", lambda: asyncio.run(self._redeploy_missing(database_url)))
            label = "Prefect worker" if c.workers == 1 else f"Prefect workers ({c.workers})"
            self._step(label, lambda: self._start_workers(worker_env))
            self._step("API", lambda: self._start_api(self._child_env(app_env, role="api")))
            self.running = True
            self._print_urls()
            return 1 if self._wait() else 0
        except AgentFlowError as exc:
            self.console.print(f"[bold red]✗[/] {exc.message}")
            return 1
        except KeyboardInterrupt:
            return 130
        finally:
            self.stop()

    def _step(self, label: str, action: Callable[[], T]) -> T:
        started = time.monotonic()
        if self.stopping.is_set():
            raise KeyboardInterrupt
        with self.console.status(f"Starting {label}…"):
            result = action()
        self.console.print(f"[green]✓[/] {label} [dim]({time.monotonic() - started:.1f}s)[/]")
        return result

    def _start_postgres(self) -> str:
        if self.config.external_database_url:
            return self.config.external_database_url
        pg = EmbeddedPostgres(self.config.data_dir, port=self.config.db_port)
        pg.initialize()
        self._launch(pg.process())
        asyncio.run(self._postgres_ready(pg))
        self.postgres = pg
        return pg.url()

    async def _postgres_ready(self, pg: EmbeddedPostgres) -> None:
        await pg.wait_ready()
        await pg.ensure_database()

    def _start_openbao(self) -> None:
        settings = get_settings()
        bao = EmbeddedOpenBao(
            self.config.data_dir,
            port=self.config.vault_port,
            mount=settings.vault_mount,
            prefix=settings.vault_prefix,
            approle_mount=settings.vault_approle_mount,
        )
        process = bao.process()
        self._launch(process)
        bao.bootstrap(process=process)
        self.openbao = bao

    def _child_env(self, app_env: dict[str, str], *, role: Literal["api", "worker"]) -> dict[str, str]:
        """The full environment of the API or worker: embedded Vault credentials replace any VAULT_*."""
        if self.openbao is None:
            return {**os.environ, **app_env}
        return {**scrub_vault_env(os.environ), **app_env, **self.openbao.client_env(role)}

    def _register_blocks(self, env: dict[str, str]) -> None:
        """`python -m blocks.register` (a child process: the domain core never imports blocks/)."""
        try:
            result = subprocess.run(
                # -P: never import from the current directory (it may be another checkout).
                [sys.executable, "-P", "-m", "blocks.register"],
                env=embedded_prefect.prefect_env(self.config.data_dir, self.prefect_api_url, base=env),
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError("Registering the Prefect blocks did not finish within 180s") from exc
        if result.returncode != 0:
            output = (result.stderr or result.stdout)[-2000:]
            raise StackError(f"Registering the Prefect blocks failed:\n{output}")

    def _start_prefect(self) -> None:
        if self.config.external_prefect_url:
            embedded_prefect.wait_healthy(self.prefect_api_url, timeout=30)
            return
        database = asyncio.run(self._prefect_database())
        if database.notice:
            self.console.print(f"[yellow]![/] {database.notice}")
        if self.config.redis_url:
            self._start_prefect_scaled(database.connection_url)
            return
        process = embedded_prefect.server_process(
            self.config.data_dir,
            host=self.config.host,
            port=self.config.prefect_port,
            auth_string=self.prefect_auth_string(),
            database_url=database.connection_url,
        )
        self._launch(process)
        embedded_prefect.wait_healthy(self.prefect_api_url, timeout=120, process=process)

    def _start_prefect_scaled(self, database_url: str | None) -> None:
        """Prefect's API processes and its one background-services process, sharing state through Redis."""
        c = self.config
        assert c.redis_url
        auth = self.prefect_auth_string()
        env = embedded_prefect.server_env(
            c.data_dir, host=c.host, port=c.prefect_port, auth_string=auth, database_url=database_url
        )
        services, webserver = prefect_scale.prepare(
            c.data_dir,
            port=c.prefect_port,
            workers=c.prefect_workers,
            redis_url=c.redis_url,
            env=env,
            host=c.host,
            database_url=database_url,
        )
        self._launch(services)
        self._launch(webserver)
        embedded_prefect.wait_healthy(self.prefect_api_url, timeout=120, process=webserver)

    async def _prefect_database(self) -> PrefectDatabase:
        """The embedded Prefect server's database: `prefect` in the embedded Postgres, or SQLite (asked for,
        deferred while runs are in progress, or with an external AgentFlow database and no embedded one)."""
        if self.postgres is None:
            return PrefectDatabase("sqlite", None)
        await self.postgres.ensure_database(PREFECT_DATABASE)
        return await choose_prefect_database(
            self.config.data_dir,
            agentflow_dsn=self.postgres.url(driver=""),
            prefect_url=self.postgres.url(PREFECT_DATABASE),
        )

    async def _redeploy_missing(self, database_url: str) -> None:
        """Deployments Prefect lacks (a new Prefect database) are re-created from the published agents."""
        from prefect.client.orchestration import PrefectClient

        from agentflow.db import create_sessionmaker
        from agentflow.engine.control.deployments import redeploy_missing
        from agentflow.engine.gateway import PrefectGateway

        engine = create_async_engine(database_url, pool_size=1)
        try:
            auth = self.prefect_auth_string()
            async with PrefectClient(api=self.prefect_api_url, auth_string=auth) as client:
                await redeploy_missing(create_sessionmaker(engine), PrefectGateway(client))
        finally:
            await engine.dispose()

    def _app_env(self, database_url: str) -> dict[str, str]:
        c = self.config
        env = {
            "AGENTFLOW_DATA_DIR": str(c.data_dir),
            "AGENTFLOW_DATABASE_URL": database_url,
            "AGENTFLOW_JWT_SECRET": os.environ.get("AGENTFLOW_JWT_SECRET") or self.jwt_secret(),
            "AGENTFLOW_PUBLIC_URL": os.environ.get("AGENTFLOW_PUBLIC_URL") or self.api_url,
            "PREFECT_API_URL": self.prefect_api_url,
        }
        auth = self.prefect_auth_string()
        if auth:
            env["PREFECT_API_AUTH_STRING"] = auth
        if c.redis_url:  # the API's rate-limit counters then live in the same Redis
            env["AGENTFLOW_REDIS_URL"] = c.redis_url
        return env

    def _start_workers(self, env: dict[str, str]) -> None:
        """agentflow-worker-1 … N, each its own process polling the pool (runs are claimed by one of them)."""
        for index in range(1, self.config.workers + 1):
            worker = embedded_prefect.worker_process(
                self.config.data_dir, api_url=self.prefect_api_url, env=env, name=f"agentflow-worker-{index}"
            )
            self._launch(worker)

    def _start_api(self, env: dict[str, str]) -> None:
        c = self.config
        process = ManagedProcess(
            name="api",
            argv=[
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                c.host,
                "--port",
                str(c.api_port),
                "--workers",
                str(c.api_workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            log_path=c.data_dir / "logs" / "api.log",
            env=env,
        )
        self._launch(process)
        if not wait_for_port(c.host, c.api_port, timeout=60) or not process.alive():
            raise StackError(f"The API did not start:\n{process.tail()}")

    def _launch(self, process: ManagedProcess) -> None:
        process.start()
        self.processes.append(process)

    def _print_urls(self) -> None:
        table = Table(title="AgentFlow is running", show_header=False, title_style="bold green")
        table.add_row("Web app", f"{self.api_url}/")
        table.add_row("API", f"{self.api_url}/api/v1")
        table.add_row("API docs (OpenAPI)", f"{self.api_url}/api/v1/docs")
        prefect_ui = self.prefect_api_url.removesuffix("/api")
        if self.prefect_auth_string():
            prefect_ui += f" (sign in with the password in {self.prefect_env_file})"
        table.add_row("Prefect UI", prefect_ui)
        table.add_row("Prefect CLI", f"set -a; . {self.prefect_env_file}; set +a; prefect flow-run ls")
        table.add_row("Vault", self.vault_addr + ("" if self.config.external_vault_addr else " (OpenBao)"))
        table.add_row("Data", str(self.config.data_dir))
        table.add_row("Logs", str(self.config.data_dir / "logs"))
        self.console.print(table)
        self.console.print("Press [bold]Ctrl-C[/] to stop.")

    def _wait(self) -> bool:
        """Block until asked to stop; a child that dies on its own stops the stack (returns True)."""
        while not self.stopping.wait(0.5):
            for process in self.processes:
                if not process.alive() and process.restartable:
                    # A worker that dies is started again at once; on start it marks the runs it was
                    # executing as crashed, so they can be retried (nothing stays "running" forever).
                    self.console.print(f"[yellow]![/] {process.name} exited; restarting it")
                    process.start()
                    continue
                if not process.alive():
                    self.console.print(
                        f"[bold red]✗[/] {process.name} exited unexpectedly:\n{process.tail()}"
                    )
                    return True
        return False

    def stop(self) -> None:
        """Stop children in reverse start order: API, worker, Prefect, OpenBao, then Postgres last."""
        if not self.processes:
            return
        with self.console.status("Stopping…"):
            for process in reversed(self.processes):
                process.stop()
        self.processes.clear()
        self.console.print("[green]✓[/] Stopped every AgentFlow process.")

    def _install_signal_handlers(self) -> None:
        def handle(signum: int, frame: object) -> None:
            if self.stopping.is_set():
                return
            self.stopping.set()
            # During start-up, interrupt the step in progress; once running, _wait notices the event.
            if not self.running:
                raise KeyboardInterrupt

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)
