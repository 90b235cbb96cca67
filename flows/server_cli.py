"""`archive-ingest server status|stop`: the local Prefect server (flows.local_server) and the
ingest worker (flows.worker)."""

from __future__ import annotations

import typer

from .cli_common import out

server_app = typer.Typer(no_args_is_help=True,
                         help="The local Prefect server and ingest worker that ingest commands start on "
                              "first use and reuse.")


@server_app.command("status")
def server_status() -> None:
    """Whether the local Prefect server runs (or which PREFECT_API_URL is used instead)."""
    from . import launcher
    from .local_server import configured_url, running

    if configured_url():
        out.print(f"PREFECT_API_URL is set: flows run on {configured_url()} (no local server is started)",
                  markup=False)
    else:
        info = running()
        out.print(f"local Prefect server running at {info.describe()}" if info
                  else "no local Prefect server running", markup=False)
    worker = launcher.worker_pid(launcher.paths())
    if worker is not None:
        out.print(f"ingest worker running (pid {worker})", markup=False)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server and the ingest worker (the next ingest starts them again)."""
    from . import launcher
    from .local_server import stop

    info = stop()
    out.print(f"stopped the local Prefect server at {info.describe()}" if info
              else "no local Prefect server running", markup=False)
    worker = launcher.stop()
    if worker is not None:
        out.print(f"stopped the ingest worker (pid {worker})", markup=False)


@server_app.command("prepare")
def server_prepare() -> None:
    """Migrate Prefect's database once for this installation (`make setup` runs it): a first
    command on a fresh home then copies it instead of replaying Prefect's migrations (about 4 s)."""
    from .prefect_db import make_template
    from .runtime import configure_prefect

    configure_prefect()
    template = make_template()
    out.print(f"Prefect database template: {template}" if template
              else "cannot write the template here: a fresh home migrates its own database", markup=False)
