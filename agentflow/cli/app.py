"""`agentflow up`, `agentflow db upgrade`, `agentflow vault setup`, `agentflow version`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

import agentflow
from agentflow.config import get_settings

app = typer.Typer(help="AgentFlow: AI agent workflows on Prefect.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.")
app.add_typer(db_app, name="db")
vault_app = typer.Typer(help="Secret store (Vault / OpenBao) maintenance.")
app.add_typer(vault_app, name="vault")
console = Console()

DEFAULT_DATA_DIR = Path.home() / ".agentflow"


@app.command()
def up(
    data_dir: Annotated[Path, typer.Option(help="Where every service keeps its data.")] = DEFAULT_DATA_DIR,
    port: Annotated[int, typer.Option(help="API and web app port.")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Prefect server (and its UI) port.")] = 4200,
    db_port: Annotated[int, typer.Option(help="Embedded Postgres port (loopback only).")] = 5433,
    vault_port: Annotated[int, typer.Option(help="Embedded OpenBao port (loopback only).")] = 8200,
    host: Annotated[str, typer.Option(help="Interface the API and Prefect listen on.")] = "127.0.0.1",
    api_workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes for the API.")] = 1,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, envvar="AGENTFLOW_WORKERS", help="AgentFlow worker processes running executions."
        ),
    ] = 1,
    prefect_workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=32,
            envvar="AGENTFLOW_PREFECT_WORKERS",
            help="Prefect API processes (more than one needs --redis-url).",
        ),
    ] = 1,
    redis_url: Annotated[
        str | None,
        typer.Option(
            envvar="AGENTFLOW_REDIS_URL",
            show_envvar=True,
            help="Redis shared by the Prefect processes (then run apart from Prefect's services) and the "
            "API's rate limits, e.g. redis://127.0.0.1:6379/0.",
        ),
    ] = None,
) -> None:
    """Start the whole stack: Postgres, migrations, OpenBao, Prefect server, workers and the API."""
    from agentflow.embedded.stack import Stack, StackConfig

    config = StackConfig(
        data_dir=data_dir.expanduser().resolve(),
        host=host,
        api_port=port,
        prefect_port=prefect_port,
        db_port=db_port,
        vault_port=vault_port,
        api_workers=api_workers,
        workers=workers,
        prefect_workers=prefect_workers,
        redis_url=redis_url or None,
        external_database_url=os.environ.get("AGENTFLOW_DATABASE_URL") or None,
        external_prefect_url=os.environ.get("PREFECT_API_URL") or None,
        external_vault_addr=os.environ.get("VAULT_ADDR") or None,
    )
    raise typer.Exit(Stack(config, console=console).run())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations to AGENTFLOW_DATABASE_URL."""
    from agentflow.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    console.print(f"[green]✓[/] Database at revision {revision}")


@vault_app.command("setup")
def vault_setup(
    bound_cidr: Annotated[
        list[str] | None, typer.Option(help="Only allow logins and tokens from these CIDRs (repeatable).")
    ] = None,
) -> None:
    """Prepare an external Vault with an admin VAULT_TOKEN: KV v2, scoped policies, AppRole credentials.

    Prints VAULT_API_ROLE_ID / VAULT_API_SECRET_ID / VAULT_WORKER_ROLE_ID / VAULT_WORKER_SECRET_ID lines
    for a Compose `.env` file. Safe to run again (existing roles are updated, new secret ids issued).
    """
    import hvac

    from agentflow.secrets.provision import provision

    settings = get_settings()
    if not settings.vault_addr or not settings.vault_token:
        console.print("[red]Set VAULT_ADDR and an admin VAULT_TOKEN (e.g. the root token) first.[/]")
        raise typer.Exit(1)
    client = hvac.Client(
        url=settings.vault_addr,
        token=settings.vault_token.get_secret_value(),
        namespace=settings.vault_namespace,
    )
    credentials = provision(
        client,
        mount=settings.vault_mount,
        prefix=settings.vault_prefix,
        approle_mount=settings.vault_approle_mount,
        bound_cidrs=bound_cidr or (),
    )
    for role, creds in credentials.items():
        print(f"VAULT_{role.upper()}_ROLE_ID={creds.role_id}")
        print(f"VAULT_{role.upper()}_SECRET_ID={creds.secret_id}")


@app.command()
def version() -> None:
    """Print the AgentFlow version."""
    console.print(agentflow.__version__)


def main() -> None:
    app()
