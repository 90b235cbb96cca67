"""Record downloads (every export format, streamed) and the search page: thin routes over
flows.app.exports and flows.app.search, with the record page's role check."""

from __future__ import annotations

import urllib.parse

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from flows.app.exports import ExportFormat, NothingToExport, download
from flows.app.search import SearchLang, search
from storage.exports.pdf import PdfExportError

from .deps import Anyone, StoreDep, render

SEARCH_PAGE = 20
CHUNK = 1 << 16

router = APIRouter()


@router.get("/records/{document_id}/export/{fmt}")
def export_record(document_id: int, fmt: str, user: Anyone, store: StoreDep, raw: bool = False):
    try:
        kind = ExportFormat(fmt)
    except ValueError:
        raise HTTPException(404, f"no export format {fmt!r}") from None
    try:
        f = download(store, document_id, kind, raw=raw)
    except (NothingToExport, PdfExportError) as e:
        raise HTTPException(404, str(e)) from None
    name = f.name if not raw else f.name.replace(f"doc{document_id}", f"doc{document_id}-raw", 1)
    data = f.data
    return StreamingResponse((data[i:i + CHUNK] for i in range(0, len(data), CHUNK)), media_type=f.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Content-Length": str(len(data)), "Cache-Control": "private, no-store"})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, user: Anyone, store: StoreDep, q: str = "", lang: str = "", collection: str = "",
                page: int = 1):
    if lang and lang not in {x.value for x in SearchLang}:
        raise HTTPException(400, "lang is vie or eng")
    page = max(page, 1)
    result = search(store, q, lang=lang or None, collection=collection or None, limit=SEARCH_PAGE,
                    offset=(page - 1) * SEARCH_PAGE) if q.strip() else None
    query = urllib.parse.urlencode({k: v for k, v in (("q", q), ("lang", lang), ("collection", collection)) if v})
    return render(request, "search.html", user, q=q, lang=lang, collection=collection, result=result,
                  page=page, pages=max(1, -(-result.total // SEARCH_PAGE)) if result else 1, query=query,
                  collections=store.review.collections())
