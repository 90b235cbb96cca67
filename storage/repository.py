"""All database reads and writes of the ingest path. Nothing else in the project runs SQL.

Each write is its own short transaction, so a crash between two leaves the database whole:
a document still 'processing' is resumed by the next run, never duplicated.
"""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from ingest.model import PageText
from ingest.processes import pid_alive

from . import db
from .models import (
    Alignment,
    Document,
    DocumentStatus,
    Flag,
    FlagDismissal,
    FlagStatus,
    IngestRun,
    Line,
    MachineTranslation,
    Page,
    Passage,
    Record,
    Sentence,
    Word,
    utcnow,
)
from .search import index_document

RECORD_FIELDS = (
    "record_id", "title", "date", "source_archive", "translator", "rights", "type", "language",
    "subjects", "places", "donors", "translation_of",
)
LIST_FIELDS = ("subjects", "places", "donors")


@dataclass(frozen=True)
class Claim:
    document_id: int
    state: str  # "new" | "duplicate" | "resume" (an earlier run failed or was killed) | "busy" | "same-run"
    status: str  # the document's status before this claim


class Repository:
    def __init__(self, url: str):
        self.url = url
        self.sessions: sessionmaker[Session] = db.sessions(url)

    # ---- runs -------------------------------------------------------------------------------
    def start_run(self, *, trigger: str = "cli", collection: str | None = None, files: int = 0) -> int:
        with self.sessions.begin() as s:
            # Runs this host started whose process is gone were killed: say so.
            for old in s.scalars(select(IngestRun).where(IngestRun.status == "running")):
                owner = old.report or {}
                if owner.get("host") == socket.gethostname() and not pid_alive(owner.get("pid")):
                    old.status, old.finished_at = "interrupted", utcnow()
            run = IngestRun(trigger=trigger, collection=collection, files=files, errors=[],
                            report={"host": socket.gethostname(), "pid": os.getpid()})
            s.add(run)
            s.flush()
            return run.id

    def other_active_runs(self, run_id: int) -> int:
        """Runs still going besides this one (killed runs on this host do not count)."""
        with self.sessions() as s:
            n = 0
            for run in s.scalars(select(IngestRun).where(IngestRun.status == "running", IngestRun.id != run_id)):
                owner = run.report or {}
                if owner.get("host") == socket.gethostname() and not pid_alive(owner.get("pid")):
                    continue
                n += 1
            return n

    def referenced_images(self) -> set[str]:
        with self.sessions() as s:
            keys = set(s.scalars(select(Page.original_image).where(Page.original_image.is_not(None))))
            keys |= set(s.scalars(select(Page.preprocessed_image).where(Page.preprocessed_image.is_not(None))))
            keys |= set(s.scalars(select(Document.original_file).where(Document.original_file.is_not(None))))
            return {k for k in keys if k is not None}  # the queries exclude NULL already

    def set_original(self, document_id: int, key: str) -> None:
        with self.sessions.begin() as s:
            s.get_one(Document, document_id).original_file = key

    def stored_files(self, document_ids: list[int] | None = None) -> list[tuple[int, str, str]]:
        """(document id, what, file-store key) of every original and page image, by document."""
        with self.sessions() as s:
            docs = select(Document.id, Document.original_file).where(Document.original_file.is_not(None))
            pages = select(Page.document_id, Page.number, Page.original_image, Page.preprocessed_image)
            if document_ids is not None:
                docs = docs.where(Document.id.in_(document_ids))
                pages = pages.where(Page.document_id.in_(document_ids))
            out = [(doc_id, "original", key) for doc_id, key in s.execute(docs) if key is not None]
            for doc_id, number, original, preprocessed in s.execute(pages.order_by(Page.document_id, Page.number)):
                out += [(doc_id, f"page {number} image", original)] if original else []
                out += [(doc_id, f"page {number} preprocessed", preprocessed)] if preprocessed else []
            return sorted(out, key=lambda r: r[0])

    def finish_run(self, run_id: int, *, stored: int, duplicates: int, quarantined: int, pages: int,
                   errors: list[dict], report: dict | None = None) -> None:
        with self.sessions.begin() as s:
            run = s.get_one(IngestRun, run_id)
            run.finished_at = utcnow()
            run.status = "partial" if quarantined else "completed"  # partial: some files quarantined
            run.stored, run.duplicates, run.quarantined, run.pages = stored, duplicates, quarantined, pages
            run.errors = errors
            run.report = report or {}

    def recent_runs(self, limit: int = 10) -> list[IngestRun]:
        with self.sessions() as s:
            return list(s.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)))

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
                        return Claim(doc.id, "duplicate", doc.status)
                    if run_id is not None and doc.run_id == run_id and doc.source_path != source_path:
                        return Claim(doc.id, "same-run", doc.status)  # another file of this run has these bytes
                    if (doc.status in (DocumentStatus.PENDING, DocumentStatus.PROCESSING)
                            and doc.run_id not in (None, run_id) and _run_active(s, doc.run_id)):
                        return Claim(doc.id, "busy", doc.status)  # another live run has it now
                    before = doc.status
                    doc.source_path, doc.filename, doc.run_id = source_path, filename, run_id
                    doc.collection, doc.lang = collection or doc.collection, lang
                    doc.status, doc.error_reason = DocumentStatus.PENDING, None
                    return Claim(doc.id, "resume", before)
            try:
                with self.sessions.begin() as s:
                    doc = Document(sha256=sha256, source_path=source_path, filename=filename, size_bytes=size_bytes,
                                   collection=collection, lang=lang, run_id=run_id, status=DocumentStatus.PENDING)
                    s.add(doc)
                    s.flush()
                    return Claim(doc.id, "new", DocumentStatus.PENDING)
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
            s.execute(delete(Page).where(Page.document_id == document_id, Page.number > page_count))
            done = s.scalars(select(Page.number).where(Page.document_id == document_id)).all()
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
            s.execute(delete(Page).where(Page.document_id == document_id, Page.number == page.number))
            row = Page(
                document_id=document_id, number=page.number, original_image=original_image,
                preprocessed_image=preprocessed_image, dpi=page.dpi, width=page.width, height=page.height,
                rotation=page.rotation, skew=page.skew,
                preprocessing=[{"name": st.name, "params": st.params} for st in page.steps],
                ocr_engine=page.engine, ocr_model=page.model, ocr_params=page.params,
                mean_confidence=page.mean_confidence, text_source=page.text_source, text=page.text,
                seconds=round(seconds, 3) if seconds is not None else None,
            )
            for i, ln in enumerate(page.lines):
                line = Line(number=i, text=ln.text, x0=ln.bbox[0], y0=ln.bbox[1], x1=ln.bbox[2], y1=ln.bbox[3],
                            confidence=ln.confidence)
                line.words = [
                    Word(number=j, text=w.text, x0=w.bbox[0], y0=w.bbox[1], x1=w.bbox[2], y1=w.bbox[3],
                         confidence=w.confidence, alternative=w.alternative,
                         alternative_confidence=w.alternative_confidence)
                    for j, w in enumerate(ln.words)
                ]
                row.lines.append(line)
            for i, p in enumerate(page.passages):
                row.passages.append(Passage(number=i, text=p.text, first_line=p.first_line, last_line=p.last_line,
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
                opts.append(selectinload(Document.pages).selectinload(Page.lines).selectinload(Line.words))
                opts.append(selectinload(Document.pages).selectinload(Page.passages))
            return s.scalar(select(Document).where(Document.id == document_id).options(*opts))

    def iter_page_words(self, document_id: int) -> Iterator[tuple[int, str | None, list]]:
        """(page number, text source, [(line text, line box, [(word, box, confidence, alternative,
        alternative confidence)])]) one page at a time, as plain tuples: a 300-page document never
        sits in memory as ORM objects."""
        with self.sessions() as s:
            pages = s.execute(select(Page.id, Page.number, Page.text_source).where(Page.document_id == document_id)
                              .order_by(Page.number)).all()
        for page_id, number, source in pages:
            with self.sessions() as s:
                lines = s.execute(select(Line.id, Line.text, Line.x0, Line.y0, Line.x1, Line.y1)
                                  .where(Line.page_id == page_id).order_by(Line.number)).all()
                words: dict[int, list] = {}
                for line_id, text, x0, y0, x1, y1, conf, alt, alt_conf in s.execute(
                        select(Word.line_id, Word.text, Word.x0, Word.y0, Word.x1, Word.y1, Word.confidence,
                               Word.alternative, Word.alternative_confidence)
                        .join(Line, Line.id == Word.line_id).where(Line.page_id == page_id)
                        .order_by(Line.number, Word.number)):
                    words.setdefault(line_id, []).append((text, (x0, y0, x1, y1), conf, alt, alt_conf or 0.0))
            yield number, source, [(t, [a, b, c, d], words.get(lid, [])) for lid, t, a, b, c, d in lines]

    def mean_confidence(self, document_id: int) -> float | None:
        """Mean confidence over every stored page of the document (whichever run read it)."""
        with self.sessions() as s:
            value = s.scalar(select(func.avg(Page.mean_confidence)).where(
                Page.document_id == document_id, Page.mean_confidence.is_not(None)))
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


class AlignmentRepository:
    """Pairs, sentences, alignments and the machine-translation cache."""

    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def passages(self, document_id: int) -> list[tuple[int, int, str]]:
        """(page number, passage number on the page, text) in reading order; a reviewer's latest
        version of a passage stands in for its OCR text."""
        from .review import effective_passages

        with self.sessions() as s:
            return effective_passages(s, document_id)

    def passage_places(self, document_id: int) -> list[tuple[int, int]]:
        """(page number, first line) of each passage in reading order, as `passages` lists them."""
        with self.sessions() as s:
            rows = s.execute(select(Page.number, Passage.first_line).join(Passage, Passage.page_id == Page.id)
                             .where(Page.document_id == document_id).order_by(Page.number, Passage.number)).all()
            return [(number, first_line) for number, first_line in rows]

    def pairs_for(self, document_id: int) -> list[tuple[int, int]]:
        """(original, translation) pairs this stored document takes part in, through record ids."""
        with self.sessions() as s:
            rec = s.scalar(select(Record).where(Record.document_id == document_id))
            if rec is None:
                return []
            stored = (select(Record.document_id).join(Document, Document.id == Record.document_id)
                      .where(Document.status == DocumentStatus.STORED))
            pairs = []
            if rec.translation_of:
                for orig in s.scalars(stored.where(Record.record_id == rec.translation_of)):
                    pairs.append((orig, document_id))
            if rec.record_id:
                for tr in s.scalars(stored.where(Record.translation_of == rec.record_id)):
                    pairs.append((document_id, tr))
            return pairs

    def is_translation(self, document_id: int) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(Record.translation_of).where(Record.document_id == document_id)))

    def save_sentences(self, document_id: int, sentences: list[dict]) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(Sentence).where(Sentence.document_id == document_id))
            s.add_all([Sentence(document_id=document_id, **row) for row in sentences])

    def save_alignment(self, source_id: int, target_id: int, links: dict[str, list], *, method: str, version: str,
                       target_kind: str = "human") -> None:
        """Replace the pair's links (levels 'passage' and 'sentence') in one transaction."""
        with self.sessions.begin() as s:
            s.execute(delete(Alignment).where(Alignment.source_document_id == source_id,
                                              Alignment.target_document_id == target_id))
            for level, items in links.items():
                for n, link in enumerate(items):
                    s.add(Alignment(source_document_id=source_id, target_document_id=target_id, level=level,
                                    number=n, source_ids=list(link.source), target_ids=list(link.target),
                                    score=round(float(link.score), 4), method=method, version=version,
                                    target_kind=target_kind))
            s.get_one(Document, source_id).translation_status = "human"

    def set_translation_status(self, document_id: int, status: str | None) -> None:
        with self.sessions.begin() as s:
            s.get_one(Document, document_id).translation_status = status

    def alignments(self, document_id: int) -> list[Alignment]:
        with self.sessions() as s:
            q = (select(Alignment).where((Alignment.source_document_id == document_id)
                                         | (Alignment.target_document_id == document_id))
                 .order_by(Alignment.target_document_id, Alignment.level, Alignment.number))
            return list(s.scalars(q))

    def sentences(self, document_id: int) -> list[Sentence]:
        with self.sessions() as s:
            return list(s.scalars(select(Sentence).where(Sentence.document_id == document_id)
                                  .order_by(Sentence.number)))

    # the translation cache protocol of ingest.translate, keyed "provider:src:tgt:sha256"
    def get(self, key: str) -> str | None:
        provider, src, tgt, digest = key.split(":", 3)
        with self.sessions() as s:
            return s.scalar(select(MachineTranslation.translation).where(
                MachineTranslation.provider == provider, MachineTranslation.source_lang == src,
                MachineTranslation.target_lang == tgt, MachineTranslation.text_sha256 == digest))

    def put(self, key: str, text: str) -> None:
        provider, src, tgt, digest = key.split(":", 3)
        try:
            with self.sessions.begin() as s:
                s.add(MachineTranslation(provider=provider, source_lang=src, target_lang=tgt, text_sha256=digest,
                                         translation=text))
        except IntegrityError:
            pass  # cached meanwhile by another run


class FlagRepository:
    """Flags as rules raise them; a new computation replaces the open flags of the same scope."""

    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    def replace(self, document_id: int, flags: list, *, scope: str, target_document_id: int | None = None) -> int:
        """scope 'page' (OCR rules) or 'link' (alignment rules against one translation). A flag
        raised again (same rule, place and evidence) keeps its row and id, so links to it stay
        good; one no longer raised is withdrawn, not deleted (its link still finds the passage);
        one a reviewer already resolved, or dismissed for the collection, is not raised again."""
        with self.sessions.begin() as s:
            doc = s.get(Document, document_id)
            dismissed = {(d.type, d.word) for d in s.scalars(select(FlagDismissal).where(
                FlagDismissal.collection == ((doc.collection if doc else None) or "")))}
            q = select(Flag).where(Flag.document_id == document_id)
            # page rules leave target_document_id empty; alignment rules name the translation
            q = q.where(Flag.target_document_id.is_(None)) if scope == "page" else q.where(
                Flag.target_document_id == target_document_id)
            current: dict[tuple, Flag] = {}
            resolved = set()
            for row in s.scalars(q.order_by(Flag.id)):
                key = _flag_key(row.type, row.level, row.page_number, row.line_number, row.word_number, row.evidence)
                if row.status in (FlagStatus.OPEN, FlagStatus.WITHDRAWN):
                    current.setdefault(key, row)
                else:
                    resolved.add(key)
            kept = 0
            seen = set()
            for f in flags:
                key = _flag_key(f.type, f.level, f.page, f.line_number, f.word, f.evidence)
                if key in resolved or key in seen or (f.type, flag_word(f.evidence, f.details)) in dismissed:
                    continue
                seen.add(key)
                values = dict(severity=f.severity, rank=SEVERITY_RANK.get(f.severity, 1), link_number=f.link,
                              bbox=list(f.bbox) if f.bbox else None, details=f.details, status=FlagStatus.OPEN)
                existing = current.pop(key, None)
                if existing is None:
                    s.add(Flag(document_id=document_id, type=f.type, level=f.level, page_number=f.page,
                               line_number=f.line_number, word_number=f.word, target_document_id=target_document_id,
                               evidence=f.evidence, **values))
                else:
                    for name, value in values.items():
                        setattr(existing, name, value)
                kept += 1
            for row in current.values():
                if row.status == FlagStatus.OPEN:
                    row.status, row.resolved_by, row.resolved_at = FlagStatus.WITHDRAWN, "system", utcnow()
            return kept

    def flags(self, document_id: int, *, withdrawn: bool = False) -> list[Flag]:
        """The document's flags, open and resolved (and those no longer raised if `withdrawn`)."""
        with self.sessions() as s:
            q = select(Flag).where(Flag.document_id == document_id)
            if not withdrawn:
                q = q.where(Flag.status != FlagStatus.WITHDRAWN)
            return list(s.scalars(q
                                  .order_by(Flag.rank.desc(), Flag.page_number, Flag.line_number, Flag.id)))

    def count(self, document_ids: list[int] | None = None) -> int:
        with self.sessions() as s:
            q = select(func.count()).select_from(Flag).where(Flag.status == "open")
            if document_ids is not None:
                q = q.where(Flag.document_id.in_(document_ids))
            return int(s.scalar(q) or 0)


# rank orders the queue; a severity another rule set adds (e.g. "critical") sorts above "high"
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
_QUOTED = re.compile(r"“([^”]+)”")


def flag_word(evidence: str, details: dict | None = None) -> str | None:
    """The word a flag is about: its details' "word", else the first quoted word of its evidence."""
    if details and details.get("word"):
        return unicodedata.normalize("NFC", str(details["word"]))
    m = _QUOTED.search(evidence or "")
    return unicodedata.normalize("NFC", m.group(1)) if m else None


def _flag_key(type_, level, page, line, word, evidence) -> tuple:
    # links are renumbered on every alignment: their evidence (the text) identifies them
    return (type_, level, evidence) if level == "link" else (type_, level, page, line, word, evidence)


def _run_active(s: Session, run_id: int) -> bool:
    run = s.get(IngestRun, run_id)
    if run is None or run.status != "running":
        return False
    owner = run.report or {}
    if owner.get("host") == socket.gethostname():
        return pid_alive(owner.get("pid"))
    return True




def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None
