"""The review web page: FastAPI with server-rendered Jinja2 pages.

Every page but sign-in needs a session and a role; every form carries a CSRF token; text from OCR
and translations goes through Jinja2's autoescaping only; images are served by page id.
"""

from __future__ import annotations

import io
import urllib.parse
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.middleware.sessions import SessionMiddleware

from flows.app import accounts
from flows.app.store import open_store
from ingest.settings import Settings, secret
from qa.vn_orthography import PUNCTUATION as _EDGE
from storage.files import FileStore
from storage.models import User
from storage.review import PassageRef, ReviewRepository

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
MAX_CROP_WIDTH = 2000
# ids in paths: a number the database's INTEGER holds, else a clean 404 (not an overflow 500)
Id = Annotated[int, PathParam(ge=0, le=MAX_ID)]
PAGE_SIZE = 50  # records per page of /documents
QUEUE_PAGE = 300  # flags per page of /queue
CSP = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class NeedLogin(Exception):
    pass


def create_app(settings: Settings) -> FastAPI:
    repo = ReviewRepository(settings.db_url)
    store = FileStore(settings.files_dir)
    app_store = open_store(settings)
    limiter = LoginLimiter(app_store.accounts, settings.login_max_failures, settings.login_window)
    reprocessor = Reprocessor(settings)
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
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
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
        if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
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

    # ---- the queue ----------------------------------------------------------------------------
    def _filters(params) -> dict:
        doc = params.get("document") or ""
        return {"collection": params.get("collection") or None,
                "document_id": parse_id(doc),
                "type": params.get("type") or None}

    def _query(filters: dict) -> str:
        q = {"collection": filters["collection"], "document": filters["document_id"], "type": filters["type"]}
        return urllib.parse.urlencode({k: v for k, v in q.items() if v})

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request):
        user = user_of(request, REVIEWERS)
        filters = _filters(request.query_params)
        try:
            page = max(int(request.query_params.get("page", "1")), 1)
        except ValueError:
            page = 1
        items = repo.queue(**filters, limit=QUEUE_PAGE + 1, offset=(page - 1) * QUEUE_PAGE)
        more, items = len(items) > QUEUE_PAGE, items[:QUEUE_PAGE]  # one more row says there is a next page
        return render(request, "queue.html", user, items=items, filters=filters, options=repo.queue_filters(),
                      query=_query(filters), page=page, more=more)

    # ---- passages -----------------------------------------------------------------------------
    @app.get("/flags/{flag_id}")
    def open_flag(request: Request, flag_id: Id):
        user_of(request, REVIEWERS)
        flag = repo.flag(flag_id)
        ref = repo.locate(flag) if flag else None
        if ref is None:
            raise HTTPException(404, "no such flag, or its passage is gone")
        query = request.url.query
        return RedirectResponse(f"/passages/{ref.document_id}/{ref.page_number}/{ref.passage_number}"
                                + (f"?{query}" if query else ""), status_code=303)

    @app.get("/passages/{document_id}/{page_number}/{passage_number}", response_class=HTMLResponse)
    def passage(request: Request, document_id: Id, page_number: Id, passage_number: Id):
        user = user_of(request, REVIEWERS)
        view = repo.passage_view(PassageRef(document_id, page_number, passage_number))
        if view is None:
            raise HTTPException(404, "no such passage")
        filters = _filters(request.query_params)
        return render(request, "passage.html", user, view=view, crop=_crop_box(view), query=_query(filters),
                      marks=_word_marks(view), open_flags=[f for f in view.flags if f.status == "open"],
                      suggestions=_suggestions(view))

    @app.post("/passages/{document_id}/{page_number}/{passage_number}", response_class=HTMLResponse)
    async def act(request: Request, document_id: Id, page_number: Id, passage_number: Id):
        user = user_of(request, REVIEWERS)
        form = await checked_form(request)
        action = str(form.get("action", ""))
        ref = PassageRef(document_id, page_number, passage_number)
        flag_ids = [i for i in (parse_id(x) for x in form.getlist("flag_id")) if i is not None]
        filters = _filters(form)
        if action == "skip":
            app_store.accounts.skip(request.session["sid"], flag_ids)  # in the database, not the cookie
            repo.audit(user.name, "skip", document_id=document_id, ref=ref, flag_ids=flag_ids)
            return _next(request, filters)
        if action not in ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        status, audit_action = ACTIONS[action]
        try:
            base_version = int(form.get("base_version", ""))
        except ValueError:
            raise HTTPException(400, "the form has no base version: reload the page") from None
        note = clean_text(str(form.get("note", ""))).strip() or None
        if action == "translation":
            view = repo.passage_view(ref)
            links = [f.id for f in (view.flags if view else []) if f.target_document_id is not None and f.id in flag_ids]
            repo.resolve(document_id, links or flag_ids, status, user.name, action=audit_action, ref=ref, note=note)
            return _next(request, filters)
        text = clean_text(str(form.get("text", "")))
        if action == "correct" and not text.strip():
            raise HTTPException(400, "a correction cannot be empty; use 'accept' to keep the text as it is")
        try:
            result = repo.save_version(ref, base_version=base_version, kind="correction" if action == "correct"
                                       else "accepted", text=text, user=user.name, flag_ids=flag_ids,
                                       flag_status=status, note=note)
        except LookupError:
            raise HTTPException(404, "no such passage") from None
        if not result.ok:
            repo.audit(user.name, "conflict", document_id=document_id, ref=ref, flag_ids=flag_ids,
                       note=f"saved over version {base_version}; current is {result.version}")
            return render(request, "conflict.html", user, status_code=409, ref=ref, theirs=result.conflict,
                          mine=text, base_version=base_version, query=_query(filters))
        if action == "correct":
            reprocessor.submit(document_id)
        return _next(request, filters)

    def _next(request: Request, filters: dict) -> RedirectResponse:
        skipped = app_store.accounts.skipped(request.session.get("sid") or "")
        items = repo.queue(**filters, limit=1, exclude=skipped)
        query = _query(filters)
        if not items:
            return RedirectResponse("/queue" + (f"?{query}" if query else ""), status_code=303)
        return RedirectResponse(f"/flags/{items[0].flag_id}" + (f"?{query}" if query else ""), status_code=303)

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
        return render(request, "record.html", user, view=view, history=repo.audit_events(document_id, limit=20))

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

        img = Image.open(io.BytesIO(store.read_bytes(key)))
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


def _crop_box(view) -> dict:
    """The passage's box with a margin, clipped to the page; flagged boxes in percent of it, to draw."""
    x0, y0, x1, y1 = view.box
    w, h = view.page_size
    m = 40
    box = (max(0, x0 - m), max(0, y0 - m), min(w or x1 + m, x1 + m), min(h or y1 + m, y1 + m))
    bw, bh = max(1, box[2] - box[0]), max(1, box[3] - box[1])
    marks = []
    for f in view.flags:
        if f.bbox and f.status == "open":
            fx0, fy0, fx1, fy1 = f.bbox
            marks.append({"left": 100 * (fx0 - box[0]) / bw, "top": 100 * (fy0 - box[1]) / bh,
                          "width": 100 * (fx1 - fx0) / bw, "height": 100 * (fy1 - fy0) / bh,
                          "severity": f.severity, "title": f.evidence})
    return {"param": ",".join(str(int(v)) for v in box), "marks": marks}


def _suggestions(view) -> dict[int, dict]:
    """flag id -> the replacement a flag suggests for its word ("thi" -> "thí"): the text to find
    in the editable copy, what to put there, and which occurrence of it (0-based) the word is."""
    words = [(ln["number"], w[3], w[0]) for ln in view.lines for w in ln["words"]]
    out = {}
    for f in view.flags:
        suggestion = (f.details or {}).get("suggestion")
        if f.status != "open" or f.level != "word" or not suggestion or f.word_number is None:
            continue
        at = next((k for k, (ln, wn, _) in enumerate(words) if (ln, wn) == (f.line_number, f.word_number)), None)
        if at is None:
            continue
        token = words[at][2]
        core, new = token.strip(_EDGE), suggestion.strip(_EDGE)
        if core.lower() == new.lower() and token != suggestion:
            find, put = token, suggestion  # only the punctuation differs ("tiên," / "tiên.")
        else:
            find, put = core, (new[:1].upper() + new[1:]) if core[:1].isupper() else new
        if not find or find == put:
            continue
        nth = sum(1 for _, _, w in words[:at] if find in _tokens(w))
        out[f.id] = {"find": find, "put": put, "nth": nth}
    return out


def _tokens(word: str) -> set[str]:
    return {word, word.strip(_EDGE)}


def _word_marks(view) -> dict[tuple[int, int], list]:
    """(line, word) -> open flags on that word, to highlight the OCR text."""
    marks: dict[tuple[int, int], list] = {}
    for f in view.flags:
        if f.level != "link" and f.status == "open" and f.line_number is not None:
            marks.setdefault((f.line_number, f.word_number if f.word_number is not None else -1), []).append(f)
    return marks

