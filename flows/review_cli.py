"""`archive-ingest review serve` and `archive-ingest users ...`: the review page and its accounts."""

from __future__ import annotations

import sys

import typer

from ingest.settings import Settings

from .cli_common import err, out
from .cli_common import read_settings as _settings

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
    import uvicorn

    from flows.web.app import create_app
    from storage.db import open_to_others

    from .app.recompute import recompute_callable

    settings = _settings()
    try:
        recompute, how = recompute_callable(settings)
    except ValueError:
        err.print("error: ARCHIVE_REVIEW_REPROCESS must be prefect, direct or off", markup=False)
        raise typer.Exit(2) from None
    if (shared := open_to_others(settings.db_url)) is not None:
        err.print(f"warning: {shared} can be read by other users of this machine (it holds the accounts' "
                  f"password hashes): chmod 600 it and its -wal and -shm files", markup=False)
    if not any(u.active for u in _run(lambda store: store.accounts.users())):
        err.print("warning: no accounts yet; make one with `archive-ingest users add NAME --role reviewer`",
                  markup=False)
    out.print(f"review page on http://{host}:{port}/ (Ctrl+C to stop); corrections recomputed by: {how}",
              markup=False)
    uvicorn.run(create_app(settings, recompute=recompute), host=host, port=port, log_level="warning",
                **proxy_options(settings))


def proxy_options(settings: Settings) -> dict:
    """uvicorn's proxy settings: believe X-Forwarded-For only from ARCHIVE_REVIEW_TRUSTED_PROXIES."""
    trusted = ",".join(p.strip() for p in settings.review_trusted_proxies.split(",") if p.strip())
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def _store():
    from flows.app.store import open_store

    return open_store(_settings())


def _run(change, *args):
    """Call an account use case; its refusal, or a database that cannot be reached, is one line
    (never a traceback, which would show the settings and the database password)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return change(_store(), *args)
    except ValueError as exc:  # AccountError, a short password, a name that exists
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        err.print(f"error: database: {type(exc).__name__}: {_hide_password(reason)}", markup=False)
        raise typer.Exit(4) from exc


def _hide_password(text: str) -> str:
    from sqlalchemy.engine import make_url

    url = _settings().db_url
    password = make_url(url).password
    return text.replace(str(password), "***") if password else text


@users_app.command("add")
def add(name: str = typer.Argument(..., help="User name to sign in with (any case: ALICE signs in as alice)."),
        role: str = typer.Option("reviewer", "--role", help="reviewer, staff or admin."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin.")) -> None:
    """Make an account; the password is asked for twice (or read from stdin) and stored argon2-hashed."""
    from flows.app.accounts import add_user
    from storage.accounts import ROLES, clean_name, valid_name

    if role not in ROLES:
        err.print(f"error: --role must be one of {', '.join(ROLES)}", markup=False)
        raise typer.Exit(2)
    if not valid_name(clean_name(name)):
        err.print("error: the user name must have 1 to 100 characters and no control characters", markup=False)
        raise typer.Exit(2)
    user = _run(add_user, name, role, _password(password_stdin))
    out.print(f"added {user.name} ({user.role})", markup=False)


@users_app.command("passwd")
def passwd(name: str = typer.Argument(...),
           password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a new password (signs the user out everywhere)."""
    from flows.app.accounts import change_password

    user = _run(change_password, name, _password(password_stdin))
    out.print(f"password changed for {user.name}", markup=False)


@users_app.command("role")
def role(name: str = typer.Argument(...),
         new_role: str = typer.Argument(..., metavar="ROLE", help="reviewer, staff or admin.")) -> None:
    """Change an account's role (signs the user out everywhere; the new role applies at sign-in)."""
    from flows.app.accounts import set_role

    user = _run(set_role, name, new_role)
    out.print(f"{user.name} is now {user.role}", markup=False)


@users_app.command("disable")
def disable(name: str = typer.Argument(...)) -> None:
    """Stop an account from signing in, and sign it out everywhere now (the account is kept)."""
    from flows.app.accounts import disable as disable_user

    user = _run(disable_user, name)
    out.print(f"disabled {user.name}", markup=False)


@users_app.command("enable")
def enable(name: str = typer.Argument(...)) -> None:
    """Let a disabled account sign in again."""
    from flows.app.accounts import enable as enable_user

    user = _run(enable_user, name)
    out.print(f"enabled {user.name}", markup=False)


@users_app.command("list")
def list_users() -> None:
    """Accounts with their roles."""
    for u in _run(lambda store: store.accounts.users()):
        out.print(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}", markup=False)
