"""`archive-ingest server status|stop`: the local Prefect server (flows.local_server)."""

from __future__ import annotations

import typer

from .cli_common import out

server_app = typer.Typer(no_args_is_help=True,
                         help="The local Prefect server that ingest commands start on first use and reuse.")


@server_app.command("status")
def server_status() -> None:
    """Whether the local Prefect server runs (or which PREFECT_API_URL is used instead)."""
    from .local_server import configured_url, running

    if configured_url():
        out.print(f"PREFECT_API_URL is set: flows run on {configured_url()} (no local server is started)",
                  markup=False)
        return
    info = running()
    out.print(f"local Prefect server running at {info.describe()}" if info else "no local Prefect server running",
              markup=False)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server (the next ingest starts it again)."""
    from .local_server import stop

    info = stop()
    out.print(f"stopped the local Prefect server at {info.describe()}" if info
              else "no local Prefect server running", markup=False)
