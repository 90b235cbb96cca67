"""Sign-in, sign-out, and the home page (the queue for reviewers, the records for staff)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from flows.app import accounts

from .auth import new_csrf_token
from .deps import Anyone, Form, StoreDep, home_for, render, safe_next

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None):
    return render(request, "login.html", None, next=safe_next(next, ""), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, form: Form, store: StoreDep):
    name = str(form.get("username", ""))
    password = str(form.get("password", ""))
    nxt = safe_next(str(form.get("next", "")), "")
    # the client's address; behind a trusted proxy uvicorn takes it from X-Forwarded-For
    # (ARCHIVE_REVIEW_TRUSTED_PROXIES), else every client would share the proxy's address
    client = request.client.host if request.client else "unknown"
    result = accounts.sign_in(store, request.app.state.limiter, name, password, client,
                              lifetime=request.app.state.session_seconds)
    if result.retry_after:
        return render(request, "login.html", None, status_code=429, next=nxt,
                      error=f"Too many failed sign-ins. Try again in {result.retry_after} s.")
    if not result.ok:
        return render(request, "login.html", None, status_code=401, next=nxt,
                      error="Unknown user name or wrong password.")
    accounts.sign_out(store, request.session.get("sid"))  # a session open before in this browser
    request.session.clear()  # a fresh session and token on sign-in
    request.session.update({"sid": result.token, "csrf": new_csrf_token()})
    assert result.user is not None, "a session token is only issued to a user"
    return RedirectResponse(nxt or home_for(result.user), status_code=303)


@router.post("/logout")
def logout(request: Request, form: Form, store: StoreDep):
    accounts.sign_out(store, request.session.get("sid"))  # a copy of the cookie no longer works
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def index(user: Anyone):
    return RedirectResponse(home_for(user), status_code=303)
