"""The review web page: FastAPI with server-rendered Jinja2 pages.

Every page but sign-in needs a session and a role; every form carries a CSRF token; text from OCR
and translations goes through Jinja2's autoescaping only; images are served by page id.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware

from flows.app import accounts
from flows.app.store import open_store
from ingest.settings import Settings, secret
from qa.review.strips import line_strips
from qa.review.strips import suggestions as _suggestions
from storage.files import FileStore
from storage.models import FlagStatus, User
from storage.review import PassageRef
from storage.review_queue import ReviewQueue

from .auth import LoginLimiter, csrf_ok, new_csrf_token
from .inputs import MAX_ID, clean_text, has_nul, parse_box, parse_id
from .reprocess import Reprocessor
from .routes_exports import add_export_and_search_routes

HERE = Path(__file__).parent
REVIEWERS = ("reviewer", "admin")
EVERYONE = ("reviewer", "staff", "admin")
ACTIONS = {  # form button -> (flag status, audit action)
    "accept": ("accepted", "accept"),
    "correct": ("corrected", "correct"),
    "translation": ("translation_problem", "translation_problem"),
}
LANGUAGES = {"vie": "Vietnamese", "eng": "English"}
MAX_CROP_WIDTH = 2000
# ids in paths: a number the database's INTEGER holds, else a clean 404 (not an overflow 500)
Id = Annotated[int, PathParam(ge=0, le=MAX_ID)]
PAGE_SIZE = 50  # records per page of /documents
QUEUE_PAGE = 100  # passages per page of /queue
CSP = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class NeedLogin(Exception):
    pass


def create_app(settings: Settings, recompute: Callable[[int], dict] | None = None) -> FastAPI:
    """`recompute(document_id)`: what runs (on a worker thread) after a correction; the command
    that starts the app chooses it (flows.app.recompute); None: corrections are not recomputed."""
    repo = open_store(settings).review
    queue_repo = ReviewQueue(settings.db_url)
    store = FileStore(settings.files_dir)
    app_store = open_store(settings)
    limiter = LoginLimiter(app_store.accounts, settings.login_max_failures, settings.login_window)
    reprocessor = Reprocessor(repo, recompute)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = lambda dt: dt.strftime("%Y-%m-%d %H:%M") if dt else ""

    app = FastAPI(title="archive-ingest review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.reprocessor = reprocessor
    app.state.limiter = limiter
    app.add_middleware(SessionMiddleware, secret_key=secret(settings.review_secret) or repo.secret("session"),
                       session_cookie="archive_review", max_age=settings.review_session_hours * 3600,
                       same_site="strict", https_only=settings.review_https_only)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

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

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin):
        target = "/login?" + urllib.parse.urlencode({"next": request.url.path + (
            "?" + request.url.query if request.url.query else "")})
        return RedirectResponse(target, status_code=303)

    # ---- helpers ------------------------------------------------------------------------------
    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = new_csrf_token()
        return token

    def user_of(request: Request, roles: tuple[str, ...]) -> User:
        # the cookie holds only a random session token; the session itself is a database row that
        # sign-out, a new password, a role change or disabling the user deletes
        user = accounts.signed_in(app_store, request.session.get("sid"))
        if user is None:
            request.session.clear()  # unknown, expired, signed out, or the user was changed
            raise NeedLogin()
        request.state.user = user  # for the error page's navigation
        if user.role not in roles:
            raise HTTPException(403, f"this page needs the role {' or '.join(roles)}")
        return user

    async def checked_form(request: Request):
        form = await request.form()
        token = form.get("csrf_token")  # a file upload in its place is no token
        if not csrf_ok(request.session.get("csrf"), token if isinstance(token, str) else None):
            raise HTTPException(403, "the form's security token is missing or stale: reload the page and try again")
        return form

    def render(request: Request, name: str, user: User | None, status_code: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"user": user, "csrf_token": csrf_token(request),
                                                          **context}, status_code=status_code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return render(request, "error.html", getattr(request.state, "user", None), status_code=exc.status_code,
                      message=exc.detail, status=exc.status_code)

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

    def safe_next(value: str | None, default: str) -> str:
        # only paths on this site: never an open redirect
        # (a browser drops tabs and newlines, so "/\t/evil.example" would be "//evil.example")
        if (value and value.startswith("/") and not value.startswith("//") and "\\" not in value
                and value.isprintable()):
            return value
        return default

    def home_for(user: User) -> str:
        return "/queue" if user.role in REVIEWERS else "/documents"

    # ---- sign-in ------------------------------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str | None = None):
        return render(request, "login.html", None, next=safe_next(next, ""), error=None)

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request):
        form = await checked_form(request)
        name = str(form.get("username", ""))
        password = str(form.get("password", ""))
        nxt = safe_next(str(form.get("next", "")), "")
        # the client's address; behind a trusted proxy uvicorn takes it from X-Forwarded-For
        # (ARCHIVE_REVIEW_TRUSTED_PROXIES), else every client would share the proxy's address
        client = request.client.host if request.client else "unknown"
        result = accounts.sign_in(app_store, limiter, name, password, client,
                                  lifetime=settings.review_session_hours * 3600)
        if result.retry_after:
            return render(request, "login.html", None, status_code=429, next=nxt,
                          error=f"Too many failed sign-ins. Try again in {result.retry_after} s.")
        if not result.ok:
            return render(request, "login.html", None, status_code=401, next=nxt,
                          error="Unknown user name or wrong password.")
        accounts.sign_out(app_store, request.session.get("sid"))  # a session open before in this browser
        request.session.clear()  # a fresh session and token on sign-in
        request.session.update({"sid": result.token, "csrf": new_csrf_token()})
        assert result.user is not None, "a session token is only issued to a user"
        return RedirectResponse(nxt or home_for(result.user), status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        await checked_form(request)
        accounts.sign_out(app_store, request.session.get("sid"))  # a copy of the cookie no longer works
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/")
    def index(request: Request):
        return RedirectResponse(home_for(user_of(request, EVERYONE)), status_code=303)

    # ---- the queue: one row per passage ------------------------------------------------------
    def _filters(params) -> dict:
        doc = params.get("document") or ""
        lang = params.get("lang") or ""
        return {"collection": params.get("collection") or None,
                "document_id": parse_id(doc),
                "type": params.get("type") or None, "lang": lang if lang in LANGUAGES else None}

    def _query(filters: dict) -> str:
        q = {"collection": filters["collection"], "document": filters["document_id"], "type": filters["type"],
             "lang": filters.get("lang")}
        return urllib.parse.urlencode({k: v for k, v in q.items() if v})

    def _passage_url(ref: PassageRef, query: str) -> str:
        return f"/passages/{ref.document_id}/{ref.page_number}/{ref.passage_number}" + (f"?{query}" if query else "")

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request):
        user = user_of(request, REVIEWERS)
        filters = _filters(request.query_params)
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        items = queue_repo.passages(**filters)
        shown = items[(page - 1) * QUEUE_PAGE: page * QUEUE_PAGE]
        return render(request, "queue.html", user, items=shown, total=len(items), filters=filters,
                      options=repo.queue_filters(), query=_query(filters), languages=LANGUAGES,
                      passage_url=_passage_url, page=page, more=len(items) > page * QUEUE_PAGE,
                      first=(page - 1) * QUEUE_PAGE)

    # ---- passages -----------------------------------------------------------------------------
    @app.get("/flags/{flag_id}")
    def open_flag(request: Request, flag_id: Id):
        user_of(request, REVIEWERS)
        flag = repo.flag(flag_id)  # withdrawn and resolved flags keep their row: an old link still lands
        ref = queue_repo.locate(flag) if flag else None
        if ref is None:
            raise HTTPException(404, "no such flag, or its passage is gone")
        return RedirectResponse(_passage_url(ref, request.url.query), status_code=303)

    @app.get("/passages/{document_id}/{page_number}/{passage_number}", response_class=HTMLResponse)
    def passage(request: Request, document_id: Id, page_number: Id, passage_number: Id):
        user = user_of(request, REVIEWERS)
        ref = PassageRef(document_id, page_number, passage_number)
        view = repo.passage_view(ref)
        if view is None:
            raise HTTPException(404, "no such passage")
        filters = _filters(request.query_params)
        items = queue_repo.passages(**filters)
        position = next((it.position for it in items if it.ref == ref), None)
        return render(request, "passage.html", user, view=view, strips=line_strips(view), query=_query(filters),
                      open_flags=[f for f in view.flags if f.status == "open"], position=position,
                      total=len(items), suggestions=_suggestions(view), collection=view.document.collection)

    @app.post("/passages/{document_id}/{page_number}/{passage_number}", response_class=HTMLResponse)
    async def act(request: Request, document_id: Id, page_number: Id, passage_number: Id):
        user = user_of(request, REVIEWERS)
        form = await checked_form(request)
        action = str(form.get("action", ""))
        ref = PassageRef(document_id, page_number, passage_number)
        flag_ids = [i for i in (parse_id(x) for x in form.getlist("flag_id")) if i is not None]
        filters = _filters(form)
        key = f"{document_id}/{page_number}/{passage_number}"
        if action == "skip":
            app_store.accounts.skip(request.session["sid"], [key])  # in the database, not the cookie
            repo.audit(user.name, "skip", document_id=document_id, ref=ref, flag_ids=flag_ids)
            return _next(request, filters, key)
        if action not in ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        status, audit_action = ACTIONS[action]
        try:
            base_version = int(form.get("base_version", ""))
        except ValueError:
            raise HTTPException(400, "the form has no base version: reload the page") from None
        note = clean_text(str(form.get("note", ""))).strip() or None
        view = repo.passage_view(ref)
        if view is None:
            raise HTTPException(404, "no such passage")
        if action == "translation":
            links = [f.id for f in view.flags if f.target_document_id is not None and f.id in flag_ids]
            repo.resolve(document_id, links or flag_ids, status, user.name, action=audit_action, ref=ref, note=note)
            return _next(request, filters, key)
        lines = [clean_text(str(x)) for x in form.getlist("line")] if "line" in form else None
        text = clean_text(str(form.get("text", ""))) if lines is None else "\n".join(lines)
        if action == "correct" and not text.strip():
            raise HTTPException(400, "a correction cannot be empty; use 'accept' to keep the text as it is")
        if action == "correct" and lines is not None:
            if len(lines) != len(view.line_texts):
                raise HTTPException(400, "the form's lines do not match the passage's: reload the page")
            # a fix resolves the flags on the lines it changed; the others wait for their own decision
            changed = {ln["number"] for ln, old, new in zip(view.lines, view.line_texts, lines, strict=False)
                       if old.strip() != new.strip()}
            flag_ids = [f.id for f in view.flags if f.id in flag_ids and f.line_number in changed]
        try:
            result = repo.save_version(ref, base_version=base_version, kind="correction" if action == "correct"
                                       else "accepted", text=text, user=user.name, flag_ids=flag_ids,
                                       flag_status=status, note=note, lines=lines)
        except LookupError:
            raise HTTPException(404, "no such passage") from None
        if not result.ok:
            repo.audit(user.name, "conflict", document_id=document_id, ref=ref, flag_ids=flag_ids,
                       note=f"saved over version {base_version}; current is {result.version}")
            return render(request, "conflict.html", user, status_code=409, ref=ref, theirs=result.conflict,
                          mine=text, base_version=base_version, query=_query(filters))
        if action == "correct":
            reprocessor.submit(document_id)
        return _next(request, filters, key)

    def _next(request: Request, filters: dict, current: str) -> RedirectResponse:
        skipped = {k for k in app_store.accounts.skipped(request.session.get("sid") or "") if isinstance(k, str)}
        items = queue_repo.passages(**filters, exclude=skipped | {current})
        query = _query(filters)
        if not items:
            return RedirectResponse("/queue" + (f"?{query}" if query else ""), status_code=303)
        return RedirectResponse(_passage_url(items[0].ref, query), status_code=303)

    # ---- one flag's decision -------------------------------------------------------------------
    @app.post("/flags/{flag_id}/decision")
    async def decide(request: Request, flag_id: int):
        """accept: not an error here; dismiss: not an error for this rule and word anywhere in the
        collection (remembered). Answers JSON to the page's script, else goes back to the passage."""
        user = user_of(request, REVIEWERS)
        form = await checked_form(request)
        decision = str(form.get("decision", ""))
        flag = repo.flag(flag_id)
        if flag is None:
            raise HTTPException(404, "no such flag")
        if decision == "accept":
            flag = repo.decide(flag_id, FlagStatus.ACCEPTED, user.name)
            closed = [flag_id] if flag is not None and flag.status == FlagStatus.ACCEPTED else []
        elif decision == "dismiss":
            dismissal = queue_repo.dismiss(flag_id, user.name)
            if dismissal is None:
                raise HTTPException(400, "only a flag on a word can be dismissed for the collection")
            repo.audit(user.name, "dismiss", document_id=flag.document_id, flag_ids=[flag_id],
                       note=f"{dismissal.type} “{dismissal.word}” in {dismissal.collection or 'no collection'}")
            closed = [flag_id]
        else:
            raise HTTPException(400, "decision is accept or dismiss")
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"flag": flag_id, "decision": decision, "closed": closed})
        back = safe_next(str(form.get("back", "")), f"/flags/{flag_id}")
        return RedirectResponse(back, status_code=303)

    # ---- "not an error" decisions, for admins ------------------------------------------------
    @app.get("/admin/dismissals", response_class=HTMLResponse)
    def dismissals(request: Request):
        user = user_of(request, ("admin",))
        return render(request, "dismissals.html", user, dismissals=queue_repo.dismissals())

    @app.post("/admin/dismissals/{dismissal_id}/undo")
    async def undo_dismissal(request: Request, dismissal_id: int):
        user = user_of(request, ("admin",))
        await checked_form(request)
        gone = queue_repo.undo_dismissal(dismissal_id)
        if gone is None:
            raise HTTPException(404, "no such decision")
        repo.audit(user.name, "undo_dismiss", note=f"{gone.type} “{gone.word}” in {gone.collection or 'no collection'}")
        return RedirectResponse("/admin/dismissals", status_code=303)

    # ---- records ------------------------------------------------------------------------------
    @app.get("/documents", response_class=HTMLResponse)
    def documents(request: Request, q: str = "", collection: str = "", page: int = 1):
        user = user_of(request, EVERYONE)
        page = max(page, 1)
        rows, total = repo.documents(text=q or None, collection=collection or None, limit=PAGE_SIZE,
                                     offset=(page - 1) * PAGE_SIZE)
        query = urllib.parse.urlencode({k: v for k, v in (("q", q), ("collection", collection)) if v})
        return render(request, "documents.html", user, documents=rows, total=total, page=page,
                      pages=max(1, -(-total // PAGE_SIZE)), q=q, collection=collection,
                      collections=repo.collections(), query=query)

    add_export_and_search_routes(app, settings, user_of=user_of, render=render, everyone=EVERYONE)

    @app.get("/records/{document_id}", response_class=HTMLResponse)
    def record(request: Request, document_id: Id):
        user = user_of(request, EVERYONE)
        view = repo.record_view(document_id)
        if view is None:
            raise HTTPException(404, "no such record")
        # exports: (label, url) pairs of this record's downloads, once the exports exist (issue 12)
        return render(request, "record.html", user, view=view, history=repo.audit_events(document_id, limit=20),
                      exports=[])

    # ---- images -------------------------------------------------------------------------------
    @app.get("/images/pages/{page_id}")
    def page_image(request: Request, page_id: Id, kind: str = "original", crop: str | None = None,
                   width: Annotated[int | None, Query(ge=1, le=MAX_CROP_WIDTH * 10)] = None):
        user_of(request, EVERYONE)
        if kind not in ("original", "preprocessed"):
            raise HTTPException(400, "kind is original or preprocessed")
        key, page_w, page_h = repo.page_image_key(page_id, kind)
        if not key or not store.exists(key):
            raise HTTPException(404, "no image for this page")
        from PIL import Image

        img: Image.Image = Image.open(io.BytesIO(store.read_bytes(key)))
        if crop:
            box_in = parse_box(crop)
            if box_in is None:
                raise HTTPException(400, "crop is x0,y0,x1,y1")
            x0, y0, x1, y1 = box_in
            # boxes are in the page's coordinates; the stored image may be at another scale
            sx = img.width / page_w if page_w else 1.0
            sy = img.height / page_h if page_h else 1.0
            box = (max(0, int(x0 * sx)), max(0, int(y0 * sy)), min(img.width, int(x1 * sx)),
                   min(img.height, int(y1 * sy)))
            if box[2] <= box[0] or box[3] <= box[1]:
                raise HTTPException(400, "the crop is outside the page")
            img = img.crop(box)
        target = min(width or MAX_CROP_WIDTH, MAX_CROP_WIDTH)
        if img.width > target:
            img = img.resize((target, max(1, round(img.height * target / img.width))))
        if img.mode not in ("1", "L", "RGB"):
            img = img.convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        return Response(buf.getvalue(), media_type="image/png", headers={"Cache-Control": "private, max-age=300"})

    return app


