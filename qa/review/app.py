"""The review web page: FastAPI with server-rendered Jinja2 pages.

Every page but sign-in needs a session and a role; every form carries a CSRF token; text from OCR
and translations goes through Jinja2's autoescaping only; images are served by page id.
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from ingest.settings import Settings, secret
from storage.files import FileStore
from storage.models import FlagStatus, User
from storage.review import PassageRef, ReviewRepository
from storage.review_queue import ReviewQueue

from .auth import LoginLimiter, csrf_ok, needs_rehash, new_csrf_token, verify_password
from .reprocess import Reprocessor
from .strips import line_strips, suggestions as _suggestions

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
CSP = ("default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class NeedLogin(Exception):
    pass


def create_app(settings: Settings, recompute: Callable[[int], dict] | None = None) -> FastAPI:
    """`recompute(document_id)`: what runs (on a worker thread) after a correction; the command
    that starts the app chooses it (flows.app.recompute); None: corrections are not recomputed."""
    repo = ReviewRepository(settings.db_url)
    queue_repo = ReviewQueue(settings.db_url)
    store = FileStore(settings.files_dir)
    limiter = LoginLimiter(repo, settings.login_max_failures, settings.login_window)
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
        uid = request.session.get("uid")
        user = repo.user_by_id(uid) if isinstance(uid, int) else None
        if user is None or not user.active or request.session.get("pw") != user.password_hash[-16:]:
            request.session.clear()  # unknown, disabled, or the password changed since sign-in
            raise NeedLogin()
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
        # the signed-in user keeps the navigation on error pages (403, 404): a way back to work
        uid = request.session.get("uid") if "session" in request.scope else None
        signed_in = repo.user_by_id(uid) if isinstance(uid, int) else None
        if signed_in is not None and (not signed_in.active or request.session.get("pw") != signed_in.password_hash[-16:]):
            signed_in = None
        return render(request, "error.html", signed_in, status_code=exc.status_code, message=exc.detail,
                      status=exc.status_code)

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
        name = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        nxt = safe_next(str(form.get("next", "")), "")
        client = request.client.host if request.client else "unknown"
        keys = [f"user:{name.lower()}", f"addr:{client}"]
        wait = limiter.retry_after(keys)
        if wait:
            return render(request, "login.html", None, status_code=429, next=nxt,
                          error=f"Too many failed sign-ins. Try again in {wait} s.")
        user = repo.user(name) if name else None
        if not verify_password(user.password_hash if user else None, password) or not user.active:
            limiter.failed(keys)
            return render(request, "login.html", None, status_code=401, next=nxt,
                          error="Unknown user name or wrong password.")
        limiter.succeeded(keys[0])
        if needs_rehash(user.password_hash):
            from .auth import hash_password

            repo.set_password(user.name, hash_password(password))
            user = repo.user(name)
        request.session.clear()  # a fresh session and token on sign-in
        request.session.update({"uid": user.id, "pw": user.password_hash[-16:], "csrf": new_csrf_token(),
                                "skipped": []})
        return RedirectResponse(nxt or home_for(user), status_code=303)

    @app.post("/logout")
    async def logout(request: Request):
        await checked_form(request)
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
                "document_id": int(doc) if str(doc).isdigit() else None,
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
        items = queue_repo.passages(**filters)
        return render(request, "queue.html", user, items=items[:300], total=len(items), filters=filters,
                      options=repo.queue_filters(), query=_query(filters), languages=LANGUAGES,
                      passage_url=_passage_url)

    # ---- passages -----------------------------------------------------------------------------
    @app.get("/flags/{flag_id}")
    def open_flag(request: Request, flag_id: int):
        user_of(request, REVIEWERS)
        flag = repo.flag(flag_id)  # withdrawn and resolved flags keep their row: an old link still lands
        ref = queue_repo.locate(flag) if flag else None
        if ref is None:
            raise HTTPException(404, "no such flag, or its passage is gone")
        return RedirectResponse(_passage_url(ref, request.url.query), status_code=303)

    @app.get("/passages/{document_id}/{page_number}/{passage_number}", response_class=HTMLResponse)
    def passage(request: Request, document_id: int, page_number: int, passage_number: int):
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
    async def act(request: Request, document_id: int, page_number: int, passage_number: int):
        user = user_of(request, REVIEWERS)
        form = await checked_form(request)
        action = str(form.get("action", ""))
        ref = PassageRef(document_id, page_number, passage_number)
        flag_ids = [int(x) for x in form.getlist("flag_id") if str(x).isdigit()]
        filters = _filters(form)
        key = f"{document_id}/{page_number}/{passage_number}"
        if action == "skip":
            skipped = [k for k in request.session.get("skipped", []) if isinstance(k, str)][-500:]
            request.session["skipped"] = skipped + [key]
            repo.audit(user.name, "skip", document_id=document_id, ref=ref, flag_ids=flag_ids)
            return _next(request, filters, key)
        if action not in ACTIONS:
            raise HTTPException(400, f"unknown action {action!r}")
        status, audit_action = ACTIONS[action]
        try:
            base_version = int(form.get("base_version", ""))
        except ValueError:
            raise HTTPException(400, "the form has no base version: reload the page") from None
        note = str(form.get("note", "")).strip() or None
        view = repo.passage_view(ref)
        if view is None:
            raise HTTPException(404, "no such passage")
        if action == "translation":
            links = [f.id for f in view.flags if f.target_document_id is not None and f.id in flag_ids]
            repo.resolve(document_id, links or flag_ids, status, user.name, action=audit_action, ref=ref, note=note)
            return _next(request, filters, key)
        lines = [str(x) for x in form.getlist("line")] if "line" in form else None
        text = str(form.get("text", "")) if lines is None else "\n".join(lines)
        if action == "correct" and not text.strip():
            raise HTTPException(400, "a correction cannot be empty; use 'accept' to keep the text as it is")
        if action == "correct" and lines is not None:
            if len(lines) != len(view.line_texts):
                raise HTTPException(400, "the form's lines do not match the passage's: reload the page")
            # a fix resolves the flags on the lines it changed; the others wait for their own decision
            changed = {ln["number"] for ln, old, new in zip(view.lines, view.line_texts, lines)
                       if old.strip() != new.strip()}
            flag_ids = [f.id for f in view.flags if f.id in flag_ids and f.line_number in changed]
        result = repo.save_version(ref, base_version=base_version, kind="correction" if action == "correct"
                                   else "accepted", text=text, user=user.name, flag_ids=flag_ids,
                                   flag_status=status, note=note, lines=lines)
        if not result.ok:
            repo.audit(user.name, "conflict", document_id=document_id, ref=ref, flag_ids=flag_ids,
                       note=f"saved over version {base_version}; current is {result.version}")
            return render(request, "conflict.html", user, status_code=409, ref=ref, theirs=result.conflict,
                          mine=text, base_version=base_version, query=_query(filters))
        if action == "correct":
            reprocessor.submit(document_id)
        return _next(request, filters, key)

    def _next(request: Request, filters: dict, current: str) -> RedirectResponse:
        skipped = {k for k in request.session.get("skipped", []) if isinstance(k, str)}
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
            closed = [flag_id] if flag.status == FlagStatus.ACCEPTED else []
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
    def documents(request: Request):
        user = user_of(request, EVERYONE)
        return render(request, "documents.html", user, documents=repo.documents())

    @app.get("/records/{document_id}", response_class=HTMLResponse)
    def record(request: Request, document_id: int):
        user = user_of(request, EVERYONE)
        view = repo.record_view(document_id)
        if view is None:
            raise HTTPException(404, "no such record")
        # exports: (label, url) pairs of this record's downloads, once the exports exist (issue 12)
        return render(request, "record.html", user, view=view, history=repo.audit_events(document_id, limit=20),
                      exports=[])

    # ---- images -------------------------------------------------------------------------------
    @app.get("/images/pages/{page_id}")
    def page_image(request: Request, page_id: int, kind: str = "original", crop: str | None = None,
                   width: int | None = None):
        user_of(request, EVERYONE)
        if kind not in ("original", "preprocessed"):
            raise HTTPException(400, "kind is original or preprocessed")
        key, page_w, page_h = repo.page_image_key(page_id, kind)
        if not key or not store.exists(key):
            raise HTTPException(404, "no image for this page")
        from PIL import Image

        img = Image.open(io.BytesIO(store.read_bytes(key)))
        if crop:
            try:
                x0, y0, x1, y1 = (int(v) for v in crop.split(","))
            except ValueError:
                raise HTTPException(400, "crop is x0,y0,x1,y1") from None
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


