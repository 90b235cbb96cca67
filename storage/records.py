"""The archive's public face of stored documents: the document list, a record page (metadata, page
images, the corrected original beside its translation) and the citation."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from . import db
from .models import Alignment, Document, DocumentStatus, FlagRow, FlagStatus, PageRow, Record, VersionKind
from .versions import attached_versions, effective_passages


def record_fields(doc: Document, other: Document | None, role: str) -> dict:
    """What a published archive record shows: title, date, summary, archive, citation; on an
    original, the translator and rights of its translation when its own record has none."""
    rec = doc.record
    extra = (rec.extra or {}) if rec else {}
    theirs = other.record if other is not None else None
    title = (rec.title if rec else None) or doc.filename
    fields = {"title": title, "date": rec.date if rec else None, "record_id": rec.record_id if rec else None,
              "summary": extra.get("summary") or extra.get("description"),
              "archive": (rec.source_archive if rec else None) or (theirs.source_archive if theirs else None),
              "translator": rec.translator if rec else None, "rights": rec.rights if rec else None,
              "translation_rights": None}
    if role == "original" and theirs is not None:
        fields["translator"] = fields["translator"] or theirs.translator
        fields["translation_rights"] = theirs.rights if theirs.rights != fields["rights"] else None
    parts = [title, fields["date"], fields["archive"], fields["record_id"] and f"record {fields['record_id']}",
             doc.collection and f"collection {doc.collection}"]
    fields["citation"] = extra.get("citation") or ", ".join(p for p in parts if p) + "."
    return fields


class RecordRepository:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def documents(self, *, text: str | None = None, collection: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[tuple[Document, int]], int]:
        """Stored documents with their count of open flags, one page of them, and how many match in
        all. text: part of the title, record id or file name (any case); or a document id."""
        with self.sessions() as s:
            where = [Document.status == DocumentStatus.STORED]
            if collection:
                where.append(Document.collection == collection)
            if text and text.strip():
                like = f"%{text.strip().lower()}%"
                cond = (func.lower(Record.title).like(like) | func.lower(Record.record_id).like(like)
                        | func.lower(Document.filename).like(like))
                if text.strip().isdigit():
                    cond = cond | (Document.id == int(text.strip()))
                where.append(cond)
            base = select(Document.id).outerjoin(Record, Record.document_id == Document.id).where(*where)
            total = int(s.scalar(select(func.count()).select_from(base.subquery())) or 0)
            open_count = (select(FlagRow.document_id, func.count().label("n")).where(FlagRow.status == FlagStatus.OPEN)
                          .group_by(FlagRow.document_id).subquery())
            rows = s.execute(select(Document, func.coalesce(open_count.c.n, 0))
                             .outerjoin(open_count, open_count.c.document_id == Document.id)
                             .where(Document.id.in_(base))
                             .options(selectinload(Document.record)).order_by(Document.id)
                             .limit(limit).offset(offset)).all()
            return [(d, int(n)) for d, n in rows], total

    def collections(self) -> list[str]:
        with self.sessions() as s:
            return [c for c in s.scalars(select(Document.collection).distinct().where(
                Document.status == DocumentStatus.STORED).order_by(Document.collection)) if c]

    def record_view(self, document_id: int) -> dict | None:
        """A document as an archive's public record page shows it: metadata, page images, and the
        (corrected) original beside its translation, passage by aligned passage."""
        with self.sessions() as s:
            doc = s.scalar(select(Document).where(Document.id == document_id)
                           .options(selectinload(Document.record), selectinload(Document.pages)))
            if doc is None:
                return None
            passages, versions = attached_versions(s, doc.id)
            mine = [(p, n, versions[(p, n)].text if (p, n) in versions else t) for p, n, t in passages]
            counterpart_id, role = None, "original"
            if doc.record is not None and doc.record.translation_of:
                role = "translation"
                counterpart_id = s.scalar(select(Alignment.source_document_id).where(
                    Alignment.target_document_id == doc.id).limit(1))
            else:
                counterpart_id = s.scalar(select(Alignment.target_document_id).where(
                    Alignment.source_document_id == doc.id).order_by(Alignment.id.desc()).limit(1))
            other = s.scalar(select(Document).where(Document.id == counterpart_id)
                             .options(selectinload(Document.record), selectinload(Document.pages))) \
                if counterpart_id else None
            rows = []
            if other is not None:
                theirs = effective_passages(s, other.id)
                src_id, tgt_id = (doc.id, other.id) if role == "original" else (other.id, doc.id)
                links = list(s.scalars(select(Alignment).where(
                    Alignment.source_document_id == src_id, Alignment.target_document_id == tgt_id,
                    Alignment.level == "passage").order_by(Alignment.number)))
                src, tgt = (mine, theirs) if role == "original" else (theirs, mine)
                for a in links:
                    rows.append({"original": [src[i] for i in a.source_ids if i < len(src)],
                                 "translation": [tgt[j] for j in a.target_ids if j < len(tgt)],
                                 "score": a.score})
            else:
                rows = [{"original": [p], "translation": [], "score": None} for p in mine]
            open_flags = int(s.scalar(select(func.count()).select_from(FlagRow).where(
                FlagRow.document_id == doc.id, FlagRow.status == FlagStatus.OPEN)) or 0)
            return {"document": doc, "counterpart": other, "role": role, "rows": rows,
                    "fields": record_fields(doc, other, role),
                    "corrected": sorted({k for k, v in versions.items() if v.kind == VersionKind.CORRECTION}),
                    "open_flags": open_flags,
                    "pages": [(p.id, p.number) for p in doc.pages if p.original_image],
                    "counterpart_pages": [(p.id, p.number) for p in other.pages if p.original_image]
                    if other is not None else []}

    def page_image_key(self, page_id: int, kind: str = "original") -> tuple[str | None, int, int]:
        with self.sessions() as s:
            page = s.get(PageRow, page_id)
            if page is None:
                return None, 0, 0
            key = page.preprocessed_image if kind == "preprocessed" else page.original_image
            return key, page.width or 0, page.height or 0
