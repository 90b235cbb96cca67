"""The record list, a record's page and page images: thin routes over flows.app.records."""

from __future__ import annotations

import urllib.parse
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from flows.app import records
from flows.app.errors import Refused

from .deps import Anyone, Id, StoreDep, render
from .inputs import parse_box

router = APIRouter()


@router.get("/documents", response_class=HTMLResponse)
def documents(request: Request, user: Anyone, store: StoreDep, q: str = "", collection: str = "", page: int = 1):
    result = records.list_records(store, q, collection, page)
    query = urllib.parse.urlencode({k: v for k, v in (("q", q), ("collection", collection)) if v})
    return render(request, "documents.html", user, documents=result.rows, total=result.total, page=result.page,
                  pages=result.pages, q=q, collection=collection, collections=result.collections, query=query)


@router.get("/records/{document_id}", response_class=HTMLResponse)
def record(request: Request, document_id: Id, user: Anyone, store: StoreDep):
    screen = records.open_record(store, document_id)
    # exports: (label, url) pairs of this record's downloads, once the exports exist (issue 12)
    return render(request, "record.html", user, view=screen.view, history=screen.history, exports=[])


@router.get("/images/pages/{page_id}")
def page_image(page_id: Id, user: Anyone, store: StoreDep, kind: str = "original", crop: str | None = None,
               width: Annotated[int | None, Query(ge=1, le=records.MAX_IMAGE_WIDTH * 10)] = None):
    box = None
    if crop:
        box = parse_box(crop)
        if box is None:
            raise Refused("crop is x0,y0,x1,y1")
    png = records.page_image(store, page_id, kind, box, width)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
