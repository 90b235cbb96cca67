"""Documents as the ingest path writes and reads them: claimed by content, planned, stored page by
page with lines, words and passages, quarantined or stored. The ingest runs come from RunRepository.

Each write is its own short transaction, so a crash between two leaves the database whole:
a document still 'processing' is resumed by the next run, never duplicated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ingest.model import PageText

from .models import Document, DocumentStatus, LineRow, PageRow, PassageRow, Record, WordRow
from .runs import RunRepository, run_active
from .search import index_document

RECORD_FIELDS = (
    "record_id", "title", "date", "source_archive", "translator", "rights", "type", "language",
    "subjects", "places", "donors", "translation_of",
)


class StoredFile(NamedTuple):
    document_id: int
    what: str  # "original", "page 3 image", "page 3 preprocessed"
    key: str  # in the file store


class WordReading(NamedTuple):
    """A stored word as the flag rules read it."""

    text: str
    box: tuple[int, int, int, int]
    confidence: float
    alternative: str | None  # Tesseract's strongest other reading (see ingest.model.Word)
    alternative_confidence: float


class LineWords(NamedTuple):
    text: str
    box: tuple[int, int, int, int]
    words: list[tuple]  # WordReading; typed as qa.flags reads it (a list's item type must match exactly)


class PageWords(NamedTuple):
    number: int
    text_source: str | None  # "ocr" | "text_layer"
    lines: list[tuple[str, tuple, list[tuple]]]  # LineWords; typed as qa.flags reads it


class ClaimState(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"  # these bytes are stored already
    RESUME = "resume"  # an earlier run failed or was killed: read it again
    BUSY = "busy"  # another live run is reading it now
    SAME_RUN = "same-run"  # another file of this run has these bytes


@dataclass(frozen=True)
class Claim:
    document_id: int
    state: ClaimState
    status: str  # the document's status before this claim


class DocumentRepository(RunRepository):
    """The ingest path's documents (and, from RunRepository, its runs): one door for a batch."""

    # ---- the file store's keys ----------------------------------------------------------------
    def referenced_images(self) -> set[str]:
        with self.sessions() as s:
            keys = set(s.scalars(select(PageRow.original_image).where(PageRow.original_image.is_not(None))))
            keys |= set(s.scalars(select(PageRow.preprocessed_image).where(PageRow.preprocessed_image.is_not(None))))
            keys |= set(s.scalars(select(Document.original_file).where(Document.original_file.is_not(None))))
            return {k for k in keys if k is not None}  # the queries exclude NULL already

    def set_original(self, document_id: int, key: str) -> None:
        with self.sessions.begin() as s:
            s.get_one(Document, document_id).original_file = key

    def stored_files(self, document_ids: list[int] | None = None) -> list[StoredFile]:
        """Every original and page image of these documents (None: all), by document."""
        with self.sessions() as s:
            docs = select(Document.id, Document.original_file).where(Document.original_file.is_not(None))
            pages = select(PageRow.document_id, PageRow.number, PageRow.original_image, PageRow.preprocessed_image)
            if document_ids is not None:
                docs = docs.where(Document.id.in_(document_ids))
                pages = pages.where(PageRow.document_id.in_(document_ids))
            out = [StoredFile(doc_id, "original", key) for doc_id, key in s.execute(docs) if key is not None]
            pages = pages.order_by(PageRow.document_id, PageRow.number)
            for doc_id, number, original, preprocessed in s.execute(pages):
                out += [StoredFile(doc_id, f"page {number} image", original)] if original else []
                out += [StoredFile(doc_id, f"page {number} preprocessed", preprocessed)] if preprocessed else []
            return sorted(out, key=lambda r: r.document_id)

    # ---- documents --------------------------------------------------------------------------
    def claim(self, *, sha256: str, source_path: str, filename: str, size_bytes: int, collection: str | None,
              lang: str, run_id: int | None) -> Claim:
        """Register a file by content. The same bytes already stored are a duplicate; bytes seen
        before but not stored (quarantined, or a run that died) are taken up again."""
        for _ in range(3):
            with self.sessions.begin() as s:
                doc = s.scalar(select(Document).where(Document.sha256 == sha256))
                if doc is not None:
                    if doc.status == DocumentStatus.STORED:
                        return Claim(doc.id, ClaimState.DUPLICATE, doc.status)
                    if run_id is not None and doc.run_id == run_id and doc.source_path != source_path:
                        return Claim(doc.id, ClaimState.SAME_RUN, doc.status)
                    if (doc.status in (DocumentStatus.PENDING, DocumentStatus.PROCESSING)
                            and doc.run_id not in (None, run_id) and run_active(s, doc.run_id)):
                        return Claim(doc.id, ClaimState.BUSY, doc.status)
                    before = doc.status
                    doc.source_path, doc.filename, doc.run_id = source_path, filename, run_id
                    doc.collection, doc.lang = collection or doc.collection, lang
                    doc.status, doc.error_reason = DocumentStatus.PENDING, None
                    return Claim(doc.id, ClaimState.RESUME, before)
            try:
                with self.sessions.begin() as s:
                    doc = Document(sha256=sha256, source_path=source_path, filename=filename, size_bytes=size_bytes,
                                   collection=collection, lang=lang, run_id=run_id, status=DocumentStatus.PENDING)
                    s.add(doc)
                    s.flush()
                    return Claim(doc.id, ClaimState.NEW, DocumentStatus.PENDING)
            except IntegrityError:
                continue  # another batch registered the same bytes at the same moment
        raise RuntimeError(f"could not register {source_path}")

    def move_source(self, document_id: int, old: str, new: str) -> bool:
        """The file moved (inbox -> archive folder): its stored source path follows it."""
        with self.sessions.begin() as s:
            doc = s.get(Document, document_id)
            if doc is None or doc.source_path not in (old, new):
                return False  # another copy of the same bytes was stored from elsewhere: keep that path
            doc.source_path = new
            return True

    def stored_id(self, sha256: str) -> int | None:
        """The stored document with these bytes, if any (a duplicate, known before any reading)."""
        with self.sessions() as s:
            return s.scalar(select(Document.id).where(Document.sha256 == sha256,
                                                      Document.status == DocumentStatus.STORED))

    def quarantine_unread(self, *, source_path: str, filename: str, reason: str, collection: str | None,
                          lang: str, run_id: int | None) -> int:
        """A file that could not even be read (missing): one row per path, updated on each try."""
        with self.sessions.begin() as s:
            doc = s.scalar(select(Document).where(Document.sha256.is_(None), Document.source_path == source_path))
            if doc is None:
                doc = Document(source_path=source_path, filename=filename, collection=collection, lang=lang)
                s.add(doc)
            doc.status, doc.error_reason, doc.run_id = DocumentStatus.QUARANTINED, reason, run_id
            s.flush()
            return doc.id

    def plan(self, document_id: int, *, media_type: str, page_count: int) -> set[int]:
        """Mark a document as being read; returns the page numbers already stored (resume)."""
        with self.sessions.begin() as s:
            doc = s.get_one(Document, document_id)
            doc.media_type, doc.page_count, doc.status = media_type, page_count, DocumentStatus.PROCESSING
            s.execute(delete(PageRow).where(PageRow.document_id == document_id, PageRow.number > page_count))
            done = s.scalars(select(PageRow.number).where(PageRow.document_id == document_id)).all()
            return set(done)

    def set_media_type(self, document_id: int, media_type: str | None) -> None:
        with self.sessions.begin() as s:
            s.get_one(Document, document_id).media_type = media_type

    def quarantine(self, document_id: int, reason: str) -> None:
        with self.sessions.begin() as s:
            doc = s.get_one(Document, document_id)
            doc.status, doc.error_reason = DocumentStatus.QUARANTINED, reason
            s.flush()
            index_document(s, document_id)  # out of the index if it was in

    def mark_stored(self, document_id: int) -> None:
        with self.sessions.begin() as s:
            doc = s.get_one(Document, document_id)
            doc.status, doc.error_reason = DocumentStatus.STORED, None
            s.flush()
            index_document(s, document_id)  # searchable from the moment it is stored

    def set_record(self, document_id: int, metadata: dict) -> None:
        values = {k: metadata.get(k) for k in RECORD_FIELDS if metadata.get(k) not in (None, "", [])}
        extra = {k: v for k, v in metadata.items() if k not in RECORD_FIELDS and v not in (None, "")}
        if not values and not extra:
            return
        with self.sessions.begin() as s:
            rec = s.scalar(select(Record).where(Record.document_id == document_id))
            if rec is None:
                rec = Record(document_id=document_id, subjects=[], places=[], donors=[], extra={})
                s.add(rec)
            for k, v in values.items():
                setattr(rec, k, v)
            if extra:
                rec.extra = {**(rec.extra or {}), **extra}
            s.flush()
            index_document(s, document_id)  # a no-op until the document is stored

    # ---- pages ------------------------------------------------------------------------------
    def save_page(self, document_id: int, page: PageText, *, original_image: str | None,
                  preprocessed_image: str | None, seconds: float | None = None) -> int:
        """Store one page with its lines, words and passages, replacing an earlier copy."""
        with self.sessions.begin() as s:
            s.execute(delete(PageRow).where(PageRow.document_id == document_id, PageRow.number == page.number))
            row = PageRow(
                document_id=document_id, number=page.number, original_image=original_image,
                preprocessed_image=preprocessed_image, dpi=page.dpi, width=page.width, height=page.height,
                rotation=page.rotation, skew=page.skew,
                preprocessing=[{"name": st.name, "params": st.params} for st in page.steps],
                ocr_engine=page.engine, ocr_model=page.model, ocr_params=page.params,
                mean_confidence=page.mean_confidence, text_source=page.text_source, text=page.text,
                seconds=round(seconds, 3) if seconds is not None else None,
            )
            for i, ln in enumerate(page.lines):
                line = LineRow(number=i, text=ln.text, x0=ln.bbox[0], y0=ln.bbox[1], x1=ln.bbox[2], y1=ln.bbox[3],
                            confidence=ln.confidence)
                line.words = [
                    WordRow(number=j, text=w.text, x0=w.bbox[0], y0=w.bbox[1], x1=w.bbox[2], y1=w.bbox[3],
                         confidence=w.confidence, alternative=w.alternative,
                         alternative_confidence=w.alternative_confidence)
                    for j, w in enumerate(ln.words)
                ]
                row.lines.append(line)
            for i, p in enumerate(page.passages):
                row.passages.append(PassageRow(number=i, text=p.text, first_line=p.first_line, last_line=p.last_line,
                                            x0=p.bbox[0], y0=p.bbox[1], x1=p.bbox[2], y1=p.bbox[3]))
            s.add(row)
            s.flush()
            index_document(s, document_id)  # a page read again (reprocess) of a stored document
            return row.id

    # ---- reading ----------------------------------------------------------------------------
    def get_document(self, document_id: int, *, full: bool = False) -> Document | None:
        with self.sessions() as s:
            opts = [selectinload(Document.record), selectinload(Document.pages)]
            if full:
                opts.append(selectinload(Document.pages).selectinload(PageRow.lines).selectinload(LineRow.words))
                opts.append(selectinload(Document.pages).selectinload(PageRow.passages))
            return s.scalar(select(Document).where(Document.id == document_id).options(*opts))

    def iter_page_words(self, document_id: int) -> Iterator[PageWords]:
        """The document's words, one page at a time, as plain tuples: a 300-page document never
        sits in memory as ORM objects."""
        with self.sessions() as s:
            pages = s.execute(select(PageRow.id, PageRow.number, PageRow.text_source)
                              .where(PageRow.document_id == document_id).order_by(PageRow.number)).all()
        for page_id, number, source in pages:
            with self.sessions() as s:
                lines = s.execute(select(LineRow.id, LineRow.text, LineRow.x0, LineRow.y0, LineRow.x1, LineRow.y1)
                                  .where(LineRow.page_id == page_id).order_by(LineRow.number)).all()
                words: dict[int, list[tuple]] = {}
                for line_id, text, x0, y0, x1, y1, conf, alt, alt_conf in s.execute(
                        select(WordRow.line_id, WordRow.text, WordRow.x0, WordRow.y0, WordRow.x1, WordRow.y1,
                               WordRow.confidence, WordRow.alternative, WordRow.alternative_confidence)
                        .join(LineRow, LineRow.id == WordRow.line_id).where(LineRow.page_id == page_id)
                        .order_by(LineRow.number, WordRow.number)):
                    words.setdefault(line_id, []).append(
                        WordReading(text, (x0, y0, x1, y1), conf, alt, alt_conf or 0.0))
            yield PageWords(number, source, [LineWords(t, (a, b, c, d), words.get(lid, []))
                                             for lid, t, a, b, c, d in lines])

    def mean_confidence(self, document_id: int) -> float | None:
        """Mean confidence over every stored page of the document (whichever run read it)."""
        with self.sessions() as s:
            value = s.scalar(select(func.avg(PageRow.mean_confidence)).where(
                PageRow.document_id == document_id, PageRow.mean_confidence.is_not(None)))
            return round(float(value), 2) if value is not None else None

    def status_counts(self) -> dict[str, int]:
        with self.sessions() as s:
            rows = s.execute(select(Document.status, func.count()).group_by(Document.status)).all()
            return {status: n for status, n in rows}

    def document_ids(self, *, status: str | None = None, collection: str | None = None) -> list[int]:
        with self.sessions() as s:
            q = select(Document.id).order_by(Document.id)
            if status:
                q = q.where(Document.status == status)
            if collection:
                q = q.where(Document.collection == collection)
            return list(s.scalars(q))

    def iter_documents(self, *, status: str | None = None, collection: str | None = None) -> Iterator[Document]:
        """Fully loaded documents one at a time (export streams; memory stays flat)."""
        for doc_id in self.document_ids(status=status, collection=collection):
            doc = self.get_document(doc_id, full=True)
            if doc is not None:
                yield doc

    def quarantined(self, limit: int = 20) -> list[Document]:
        with self.sessions() as s:
            q = (select(Document).where(Document.status == DocumentStatus.QUARANTINED)
                 .order_by(Document.updated_at.desc()).limit(limit))
            return list(s.scalars(q))
