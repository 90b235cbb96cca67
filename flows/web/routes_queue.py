"""The review queue (one row per passage), a flag's link and decision, and the "not an error"
decisions an admin lists and undoes: thin routes over flows.app.review and flows.app.flag_decisions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from flows.app import flag_decisions
from flows.app.review import LANGUAGES, flag_passage, queue_options, queue_page

from .deps import Admin, Form, Id, Reviewer, StoreDep, render, safe_next
from .inputs import passage_url, queue_filter

router = APIRouter()


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, user: Reviewer, store: StoreDep):
    f = queue_filter(request.query_params)
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    result = queue_page(store, f, page)
    return render(request, "queue.html", user, items=result.items, total=result.total, filters=f,
                  options=queue_options(store), query=f.query(), languages=LANGUAGES, passage_url=passage_url,
                  page=result.page, more=result.more, first=result.first)


@router.get("/flags/{flag_id}")
def open_flag(request: Request, flag_id: Id, user: Reviewer, store: StoreDep):
    return RedirectResponse(passage_url(flag_passage(store, flag_id), request.url.query), status_code=303)


@router.post("/flags/{flag_id}/decision")
def decide(request: Request, flag_id: int, user: Reviewer, form: Form, store: StoreDep):
    """Answers JSON to the page's script, else goes back to the passage."""
    decision = str(form.get("decision", ""))
    closed = flag_decisions.decide_flag(store, user.name, flag_id, decision)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"flag": flag_id, "decision": decision, "closed": closed})
    return RedirectResponse(safe_next(str(form.get("back", "")), f"/flags/{flag_id}"), status_code=303)


@router.get("/admin/dismissals", response_class=HTMLResponse)
def dismissals(request: Request, user: Admin, store: StoreDep):
    return render(request, "dismissals.html", user, dismissals=flag_decisions.dismissals(store))


@router.post("/admin/dismissals/{dismissal_id}/undo")
def undo_dismissal(dismissal_id: int, user: Admin, form: Form, store: StoreDep):
    flag_decisions.undo_dismissal(store, user.name, dismissal_id)
    return RedirectResponse("/admin/dismissals", status_code=303)
