"""What the review page's routes depend on, as FastAPI dependencies: the store and the recompute
callable (from app.state, set by `create_app`), the signed-in user with a role, a form with a
good CSRF token; and how a page is rendered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from flows.app import accounts
from flows.app.store import Store
from storage.models import User

from .auth import csrf_ok, new_csrf_token
from .inputs import MAX_ID

REVIEWERS = ("reviewer", "admin")
EVERYONE = ("reviewer", "staff", "admin")
ADMINS = ("admin",)
# ids in paths: a number the database's INTEGER holds, else a clean 404 (not an overflow 500)
Id = Annotated[int, PathParam(ge=0, le=MAX_ID)]


class NeedLogin(Exception):
    """No session, or one that ended: the app answers with the sign-in page."""


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_recompute(request: Request) -> Callable[[int], object]:
    """Queue a document to be recomputed after a correction (off the request's path)."""
    return request.app.state.reprocessor.submit


def current_user(roles: tuple[str, ...]) -> Callable[[Request], User]:
    """A dependency: the signed-in user, who must have one of `roles` (else 403)."""

    def signed_in_user(request: Request) -> User:
        # the cookie holds only a random session token; the session itself is a database row that
        # sign-out, a new password, a role change or disabling the user deletes
        user = accounts.signed_in(get_store(request), request.session.get("sid"))
        if user is None:
            request.session.clear()  # unknown, expired, signed out, or the user was changed
            raise NeedLogin()
        request.state.user = user  # for the error page's navigation
        if user.role not in roles:
            raise HTTPException(403, f"this page needs the role {' or '.join(roles)}")
        return user

    return signed_in_user


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's (else 403)."""
    form = await request.form()
    token = form.get("csrf_token")  # a file upload in its place is no token
    if not csrf_ok(request.session.get("csrf"), token if isinstance(token, str) else None):
        raise HTTPException(403, "the form's security token is missing or stale: reload the page and try again")
    return form


StoreDep = Annotated[Store, Depends(get_store)]
Recompute = Annotated[Callable[[int], object], Depends(get_recompute)]
Form = Annotated[FormData, Depends(checked_form)]
Anyone = Annotated[User, Depends(current_user(EVERYONE))]
Reviewer = Annotated[User, Depends(current_user(REVIEWERS))]
Admin = Annotated[User, Depends(current_user(ADMINS))]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = new_csrf_token()
    return token


def render(request: Request, name: str, user: User | None, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, name, {"user": user, "csrf_token": csrf_token(request), **context}, status_code=status_code)


def safe_next(value: str | None, default: str) -> str:
    """Only paths on this site: never an open redirect (a browser drops tabs and newlines, so
    "/\t/evil.example" would be "//evil.example": control characters are refused too)."""
    if (value and value.startswith("/") and not value.startswith("//") and "\\" not in value
            and value.isprintable()):
        return value
    return default


def home_for(user: User) -> str:
    return "/queue" if user.role in REVIEWERS else "/documents"
