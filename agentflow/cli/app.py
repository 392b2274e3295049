"""`agentflow up`, `agentflow db upgrade`, `agentflow version`."""

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
console = Console()

DEFAULT_DATA_DIR = Path.home() / ".agentflow"


@app.command()
def up(
    data_dir: Annotated[Path, typer.Option(help="Where every service keeps its data.")] = DEFAULT_DATA_DIR,
    port: Annotated[int, typer.Option(help="API and web app port.")] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Prefect server (and its UI) port.")] = 4200,
    db_port: Annotated[int, typer.Option(help="Embedded Postgres port (loopback only).")] = 5433,
    host: Annotated[str, typer.Option(help="Interface the API and Prefect listen on.")] = "127.0.0.1",
    api_workers: Annotated[int, typer.Option(min=1, help="uvicorn worker processes for the API.")] = 1,
) -> None:
    """Start the whole stack: Postgres, migrations, Prefect server, a worker and the API."""
    from agentflow.embedded.stack import Stack, StackConfig

    config = StackConfig(
        data_dir=data_dir.expanduser().resolve(),
        host=host,
        api_port=port,
        prefect_port=prefect_port,
        db_port=db_port,
        api_workers=api_workers,
        external_database_url=os.environ.get("AGENTFLOW_DATABASE_URL") or None,
        external_prefect_url=os.environ.get("PREFECT_API_URL") or None,
    )
    raise typer.Exit(Stack(config, console=console).run())


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply database migrations to AGENTFLOW_DATABASE_URL."""
    from agentflow.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    console.print(f"[green]✓[/] Database at revision {revision}")


@app.command()
def version() -> None:
    """Print the AgentFlow version."""
    console.print(agentflow.__version__)


def main() -> None:
    app()
