"""Records as staff see them: the list (filtered by title, record id, file name or id, and by
collection, one page at a time), one record with its recent history, and a page's image, cropped
and scaled for the review page."""

from __future__ import annotations

import io
from dataclasses import dataclass

from storage.models import AuditEvent, Document

from .errors import NotFound, Refused
from .store import Store

RECORDS_PAGE = 50  # records per page of the list
MAX_IMAGE_WIDTH = 2000  # px: wider crops are scaled down
IMAGE_KINDS = ("original", "preprocessed")


@dataclass(frozen=True)
class RecordsPage:
    rows: list[tuple[Document, int]]  # a document and its count of open flags
    total: int
    page: int
    pages: int
    collections: list[str]


@dataclass(frozen=True)
class RecordScreen:
    view: dict
    history: list[AuditEvent]


def list_records(store: Store, text: str | None, collection: str | None, page: int) -> RecordsPage:
    page = max(page, 1)
    rows, total = store.review.documents(text=text or None, collection=collection or None, limit=RECORDS_PAGE,
                                         offset=(page - 1) * RECORDS_PAGE)
    return RecordsPage(rows, total, page, max(1, -(-total // RECORDS_PAGE)), store.review.collections())


def open_record(store: Store, document_id: int) -> RecordScreen:
    view = store.review.record_view(document_id)
    if view is None:
        raise NotFound("no such record")
    return RecordScreen(view, store.review.audit_events(document_id, limit=20))


def page_image(store: Store, page_id: int, kind: str = "original", crop: tuple[int, int, int, int] | None = None,
               width: int | None = None) -> bytes:
    """A page's image as PNG: the whole page or a box of it (in the page's coordinates), at most
    `width` (and MAX_IMAGE_WIDTH) pixels wide."""
    if kind not in IMAGE_KINDS:
        raise Refused("kind is original or preprocessed")
    key, page_w, page_h = store.review.page_image_key(page_id, kind)
    if not key or not store.files.exists(key):
        raise NotFound("no image for this page")
    from PIL import Image

    img: Image.Image = Image.open(io.BytesIO(store.files.read_bytes(key)))
    if crop:
        x0, y0, x1, y1 = crop
        # boxes are in the page's coordinates; the stored image may be at another scale
        sx = img.width / page_w if page_w else 1.0
        sy = img.height / page_h if page_h else 1.0
        box = (max(0, int(x0 * sx)), max(0, int(y0 * sy)), min(img.width, int(x1 * sx)),
               min(img.height, int(y1 * sy)))
        if box[2] <= box[0] or box[3] <= box[1]:
            raise Refused("the crop is outside the page")
        img = img.crop(box)
    target = min(width or MAX_IMAGE_WIDTH, MAX_IMAGE_WIDTH)
    if img.width > target:
        img = img.resize((target, max(1, round(img.height * target / img.width))))
    if img.mode not in ("1", "L", "RGB"):
        img = img.convert("RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()
