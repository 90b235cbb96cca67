"""The review web page: FastAPI with server-rendered Jinja2 pages.

Every page but sign-in needs a session and a role; every form carries a CSRF token; text from OCR
and translations goes through Jinja2's autoescaping only; images are served by page id.

The factory only assembles: the store, the sign-in limiter and the recompute worker go into
app.state (read by the dependencies in `deps.py`), then the security middleware, the error pages
and one router per area (`routes_*.py`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware

from flows.app.errors import NotFound, Refused
from flows.app.passwords import LoginLimiter
from flows.app.store import open_store
from ingest.settings import Settings, secret

from . import routes_auth, routes_exports, routes_passages, routes_queue, routes_records
from .deps import NeedLogin, render
from .inputs import has_nul
from .reprocess import Reprocessor

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings, recompute: Callable[[int], dict] | None = None) -> FastAPI:
    """`recompute(document_id)`: what runs (on a worker thread) after a correction; the command
    that starts the app chooses it (flows.app.recompute); None: corrections are not recomputed."""
    store = open_store(settings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = lambda dt: dt.strftime("%Y-%m-%d %H:%M") if dt else ""

    app = FastAPI(title="archive-ingest review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.templates = templates
    app.state.reprocessor = Reprocessor(store.review, recompute)
    app.state.limiter = LoginLimiter(store.accounts, settings.login_max_failures, settings.login_window)
    app.state.session_seconds = settings.review_session_hours * 3600
    app.add_middleware(SessionMiddleware, secret_key=secret(settings.review_secret) or store.review.secret("session"),
                       session_cookie="archive_review", max_age=settings.review_session_hours * 3600,
                       same_site="strict", https_only=settings.review_https_only)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _add_security(app)
    _add_error_pages(app)
    for area in (routes_auth, routes_queue, routes_passages, routes_records, routes_exports):
        app.include_router(area.router)
    return app


def _add_security(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_nul(request: Request, call_next):
        # PostgreSQL cannot take NUL in a text parameter: refuse it here rather than fail in a query
        # (declared first, so security_headers wraps this answer too)
        if has_nul(request.url.path) or has_nul(request.url.query):
            return Response("the address holds a NUL character", status_code=400, media_type="text/plain")
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.url.path != "/static" and not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin):
        target = "/login?" + urllib.parse.urlencode({"next": request.url.path + (
            "?" + request.url.query if request.url.query else "")})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return render(request, "error.html", getattr(request.state, "user", None), status_code=exc.status_code,
                      message=exc.detail, status=exc.status_code)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return await http_error(request, HTTPException(404, str(exc)))

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return await http_error(request, HTTPException(400, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if errors and all(e.get("loc", ("",))[0] == "path" for e in errors):
            return await http_error(request, HTTPException(404, "no such page"))
        where = ", ".join(str(e.get("loc", ("", "?"))[-1]) for e in errors)
        return await http_error(request, HTTPException(400, f"bad value for {where}"))

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError):
        # a value the database refuses (out of range, bad encoding): the request's fault, not a crash
        return await http_error(request, HTTPException(400, "the request holds a value the database cannot take"))
