"""`archive-ingest review serve` and `archive-ingest users ...`: the review page and its accounts."""

from __future__ import annotations

import sys

import typer

from ingest.settings import Settings

from .cli import _settings, err, out  # flows.cli registers these commands once its helpers exist

review_app = typer.Typer(no_args_is_help=True, help="The review web page.")
users_app = typer.Typer(no_args_is_help=True, help="Accounts of the review page.")


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@review_app.command("serve")
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
          port: int = typer.Option(8000, "--port", help="Port to listen on.")) -> None:
    """Serve the review page (sign in with an account made by `users add`)."""
    from .runtime import Engine, configure_prefect

    settings = _settings()
    configure_prefect(settings.prefect_start_timeout)
    if settings.review_reprocess == "prefect":  # corrections are recomputed by a flow on the local server
        Engine(settings, wait=False)  # launched now, ready long before the first correction
    import uvicorn

    from qa.review.app import create_app

    if not any(u.active for u in _repo(settings).users()):
        err.print("warning: no accounts yet; make one with `archive-ingest users add NAME --role reviewer`",
                  markup=False)
    out.print(f"review page on http://{host}:{port}/ (Ctrl+C to stop)", markup=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False)


def _repo(settings: Settings):
    from storage.review import ReviewRepository

    return ReviewRepository(settings.db_url)


@users_app.command("add")
def add(name: str = typer.Argument(..., help="User name to sign in with."),
        role: str = typer.Option("reviewer", "--role", help="reviewer, staff or admin."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin.")) -> None:
    """Make an account; the password is asked for twice (or read from stdin) and stored argon2-hashed."""
    from qa.review.auth import hash_password
    from storage.review import ROLES

    if role not in ROLES:
        err.print(f"error: --role must be one of {', '.join(ROLES)}", markup=False)
        raise typer.Exit(2)
    if not name.strip() or len(name) > 100:
        err.print("error: the user name must have 1 to 100 characters", markup=False)
        raise typer.Exit(2)
    try:
        hashed = hash_password(_password(password_stdin))
        _repo(_settings()).add_user(name.strip(), role, hashed)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2)
    out.print(f"added {name.strip()} ({role})", markup=False)


@users_app.command("passwd")
def passwd(name: str = typer.Argument(...),
           password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a new password (signs the user out everywhere)."""
    from qa.review.auth import hash_password

    try:
        hashed = hash_password(_password(password_stdin))
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2)
    if not _repo(_settings()).set_password(name, hashed):
        err.print(f"error: no user {name!r}", markup=False)
        raise typer.Exit(2)
    out.print(f"password changed for {name}", markup=False)


@users_app.command("list")
def list_users() -> None:
    """Accounts with their roles."""
    for u in _repo(_settings()).users():
        out.print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}", markup=False)
