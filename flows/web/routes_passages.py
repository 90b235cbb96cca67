"""A passage to review and a reviewer's decision on it: thin routes over flows.app.review."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from flows.app import review
from flows.app.review import QueueFilter
from storage.locate import PassageRef

from .deps import Form, Id, Recompute, Reviewer, StoreDep, render
from .inputs import clean_text, parse_id, passage_url, queue_filter

router = APIRouter()
PASSAGE = "/passages/{document_id}/{page_number}/{passage_number}"


@router.get(PASSAGE, response_class=HTMLResponse)
def passage(request: Request, document_id: Id, page_number: Id, passage_number: Id, user: Reviewer,
            store: StoreDep):
    f = queue_filter(request.query_params)
    screen = review.open_passage(store, PassageRef(document_id, page_number, passage_number), f)
    return render(request, "passage.html", user, view=screen.view, strips=screen.strips, query=f.query(),
                  open_flags=screen.open_flags, position=screen.position, total=screen.total,
                  suggestions=screen.suggestions, collection=screen.view.document.collection)


@router.post(PASSAGE, response_class=HTMLResponse)
def act(request: Request, document_id: Id, page_number: Id, passage_number: Id, user: Reviewer, form: Form,
        store: StoreDep, recompute: Recompute):
    action = str(form.get("action", ""))
    ref = PassageRef(document_id, page_number, passage_number)
    flag_ids = [i for i in (parse_id(x) for x in form.getlist("flag_id")) if i is not None]
    f = queue_filter(form)
    if action == "skip":
        review.skip(store, request.session["sid"], user.name, ref, flag_ids)
        return _next(request, store, f, ref)
    try:
        base_version: int | None = int(str(form.get("base_version", "")))
    except ValueError:
        base_version = None
    lines = [clean_text(str(x)) for x in form.getlist("line")] if "line" in form else None
    saved = review.decide_passage(store, recompute, user.name, ref, action=action, base_version=base_version,
                                  flag_ids=flag_ids, note=clean_text(str(form.get("note", ""))).strip() or None,
                                  text=clean_text(str(form.get("text", ""))), lines=lines)
    if saved.conflict is not None:
        return render(request, "conflict.html", user, status_code=409, ref=ref, theirs=saved.conflict,
                      mine=saved.text, base_version=base_version, query=f.query())
    return _next(request, store, f, ref)


def _next(request: Request, store, f: QueueFilter, current: PassageRef) -> RedirectResponse:
    ref = review.next_passage(store, request.session.get("sid"), f, current)
    query = f.query()
    if ref is None:
        return RedirectResponse("/queue" + (f"?{query}" if query else ""), status_code=303)
    return RedirectResponse(passage_url(ref, query), status_code=303)
