"""`archive-ingest`: the command digitisation staff and schedulers type.

This module assembles the commands (in the order `--help` lists them) and turns every
infrastructure fault into one line and its exit code; the commands are in `ingest_cli.py`
(ingest, queue, nightly), `records_cli.py` (status, show, fixity, runs), `export_cli.py`,
`align_cli.py`, `server_cli.py` and `review_cli.py`, each a thin adapter over `flows/app/`."""

from __future__ import annotations

import sys

import typer

from .app.faults import EXIT_CODES_HELP, classify, printable
from .cli_common import err
from .ingest_cli import ingest, nightly, queue
from .records_cli import fixity, runs, show, status

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Ingest scanned archive pages and PDFs into OCR'd, structured records.\n\n"
                       + EXIT_CODES_HELP)
for command in (ingest, status, show, queue, fixity, runs, nightly):
    app.command()(command)


def _register_optional_commands() -> None:
    from .export_cli import export_command, search_command
    from .server_cli import server_app

    app.command("export")(export_command)
    app.command("search")(search_command)
    app.add_typer(server_app, name="server")
    try:
        from .align_cli import align_command
    except ImportError:
        return
    app.command("align", help="Align a source text with its translation (JSON or TSV links).")(align_command)
    from .review_cli import review_app, users_app

    app.add_typer(review_app, name="review")
    app.add_typer(users_app, name="users")


_register_optional_commands()


def main() -> None:
    """Every infrastructure fault is one line on stderr and its own exit code (see --help)."""
    try:
        app()  # usage errors and typer.Exit leave as SystemExit with their code
    except Exception as exc:  # noqa: BLE001 - sorted into a fault with its code, or a bug
        fault = classify(exc)
        if fault is None:
            raise
        err.print(f"error: {printable(fault)}", markup=False)
        sys.exit(int(fault.code))


if __name__ == "__main__":
    main()
