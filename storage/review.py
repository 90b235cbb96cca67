"""Reads and writes of the review page: accounts, the flag queue, passage versions and the audit.

The raw OCR (pages, lines, words, passages) is never written here. A reviewer's text is a new row
in `passage_versions`; the text the rest of the system uses for a passage is its latest version,
else the OCR (`effective_passages`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, cast

from rapidfuzz import fuzz
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ingest.paragraphs import join_lines

from .accounts import ROLES, AccountRepository  # noqa: F401  (ROLES: imported from here by callers)
from .models import (
    Alignment,
    AuditEvent,
    Document,
    DocumentStatus,
    Flag,
    FlagStatus,
    Line,
    Page,
    Passage,
    PassageVersion,
    Record,
    Sentence,
    Word,
    utcnow,
)

RESOLVED = ("accepted", "corrected", "translation_problem")
# A version made on one OCR reading still applies after a re-read if the passage text is this close
# (0-100, rapidfuzz ratio); below it the version is kept but shown as detached rather than misapplied.
REATTACH_SIMILARITY = 85.0


@dataclass(frozen=True)
class PassageRef:
    document_id: int
    page_number: int
    passage_number: int


@dataclass
class VersionInfo:
    version: int
    kind: str
    text: str
    author: str
    at: str


@dataclass
class QueueItem:
    flag_id: int
    severity: str
    type: str
    evidence: str
    document_id: int
    filename: str
    collection: str | None
    page_number: int | None
    line_number: int | None
    level: str


@dataclass
class PassageView:
    ref: PassageRef
    document: Document
    page_id: int
    page_size: tuple[int, int]
    image_kind: str | None  # "preprocessed" (boxes match it), "original", None: no scan (a text file)
    raw_text: str
    text: str  # the current text: latest version, else the OCR
    line_texts: list[str]  # the current text line by line, one per OCR line of the passage
    version: int  # 0 = raw OCR
    versions: list[VersionInfo]
    box: tuple[int, int, int, int]  # passage box on the page
    lines: list[dict]  # text, bbox, words [(text, bbox, confidence)]
    flags: list[Flag]
    translation: list[str]  # aligned passages of the translation (effective text)
    translation_document: Document | None
    sentence_pairs: list[tuple[str, str, float, int]] = field(default_factory=list)  # for link flags


@dataclass
class SaveResult:
    ok: bool
    version: int
    conflict: VersionInfo | None = None


def nfc(text: str) -> str:
    """Reviewers type Vietnamese with Telex, VNI or a composed keyboard: store one form. NUL is
    dropped: it carries nothing in a passage and PostgreSQL cannot store it in text."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\x00", "")).strip()


def _info(v: PassageVersion) -> VersionInfo:
    return VersionInfo(v.version, v.kind, v.text, v.author, v.created_at.isoformat(timespec="seconds"))


def current_lines(version: PassageVersion | None, ocr_lines: list[str]) -> list[str]:
    """The passage's text line by line: the version's lines when it kept them and they still match
    the OCR's line count, else the OCR's lines (a version made before line-by-line review, or one
    whose passage was read anew with other lines, has its words spread over the OCR's lines as
    many per line as the OCR read there)."""
    if version is None:
        return list(ocr_lines)
    if version.lines and len(version.lines) == len(ocr_lines):
        return list(version.lines)
    words, out = version.text.split(), []
    for k, line in enumerate(ocr_lines):
        take = len(words) if k == len(ocr_lines) - 1 else len(line.split())
        out.append(" ".join(words[:take]))
        words = words[take:]
    return out or [version.text]


def latest_versions(s: Session, document_id: int) -> dict[tuple[int, int], PassageVersion]:
    """Latest version per (page, passage) key as stored (before re-attachment)."""
    rows = s.scalars(select(PassageVersion).where(PassageVersion.document_id == document_id)
                     .order_by(PassageVersion.version))
    latest: dict[tuple[int, int], PassageVersion] = {}
    for v in rows:
        latest[(v.page_number, v.passage_number)] = v
    return latest


def attach_versions(passages: list[tuple[int, int, str]],
                    latest: dict[tuple[int, int], PassageVersion]) -> dict[tuple[int, int], PassageVersion]:
    """Which version applies to which current passage: same place and same OCR text, else the
    most similar passage on the same page (the page was read again and passages moved)."""
    raw = {(p, n): t for p, n, t in passages}
    out: dict[tuple[int, int], PassageVersion] = {}
    moved = []
    for key, v in latest.items():
        if raw.get(key) == v.base_text:
            out[key] = v
        else:
            moved.append((key, v))
    for key, v in moved:
        candidates = [(fuzz.ratio(v.base_text, t), (p, n)) for (p, n), t in raw.items()
                      if p == key[0] and (p, n) not in out]
        if candidates:
            score, best = max(candidates)
            if score >= REATTACH_SIMILARITY:
                out[best] = v
    return out


def attached_versions(s: Session, document_id: int):
    """The document's passages as (page, number, OCR text) in reading order, and the reviewer's
    version that applies to each, by (page, number)."""
    rows = s.execute(select(Page.number, Passage.number, Passage.text).join(Passage, Passage.page_id == Page.id)
                     .where(Page.document_id == document_id).order_by(Page.number, Passage.number)).all()
    passages = [(page, number, text) for page, number, text in rows]
    return passages, attach_versions(passages, latest_versions(s, document_id))


def effective_passages(s: Session, document_id: int) -> list[tuple[int, int, str]]:
    passages, attached = attached_versions(s, document_id)
    return [(p, n, attached[(p, n)].text if (p, n) in attached else t) for p, n, t in passages]


def reviewed_lines(s: Session, document_id: int) -> dict[int, list[tuple[int, int]]]:
    """Line ranges per page where a reviewer's text replaces the OCR: OCR rules stay quiet there.
    A version kept line by line covers the lines it changed (flags on the others wait for their
    own decision); an "accept all" or a version of one paragraph covers its whole passage."""
    _, attached = attached_versions(s, document_id)
    rows = s.execute(select(Page.id, Page.number, Passage.number, Passage.first_line, Passage.last_line)
                     .join(Passage, Passage.page_id == Page.id).where(Page.document_id == document_id)).all()
    out: dict[int, list[tuple[int, int]]] = {}
    for page_id, p, n, first, last in rows:
        v = attached.get((p, n))
        if v is None:
            continue
        if v.kind == "correction" and v.lines and len(v.lines) == last - first + 1:
            ocr = dict(s.execute(select(Line.number, Line.text).where(
                Line.page_id == page_id, Line.number >= first, Line.number <= last)).all())
            out.setdefault(p, []).extend((first + k, first + k) for k, text in enumerate(v.lines)
                                         if text.strip() != (ocr.get(first + k) or "").strip())
        else:
            out.setdefault(p, []).append((first, last))
    return out


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


class ReviewRepository(AccountRepository):
    """The queue, passages, versions, audit and records; accounts and sessions from AccountRepository."""

    def versions(self, document_id: int) -> dict[tuple[int, int], VersionInfo]:
        """The reviewer's version that applies to each current passage, by (page, passage)."""
        with self.sessions() as s:
            return {k: _info(v) for k, v in attached_versions(s, document_id)[1].items()}

    # ---- the queue ----------------------------------------------------------------------------
    def queue(self, *, collection: str | None = None, document_id: int | None = None, type: str | None = None,
              limit: int = 200, offset: int = 0, exclude: set[int] | frozenset = frozenset()) -> list[QueueItem]:
        """Open flags, most severe first, then in reading order."""
        with self.sessions() as s:
            q = (select(Flag, Document.filename, Document.collection).join(Document, Document.id == Flag.document_id)
                 .where(Flag.status == "open", Document.status == DocumentStatus.STORED))
            if collection:
                q = q.where(Document.collection == collection)
            if document_id:
                q = q.where(Flag.document_id == document_id)
            if type:
                q = q.where(Flag.type == type)
            if exclude:
                q = q.where(Flag.id.not_in(list(exclude)))
            q = q.order_by(Flag.rank.desc(), Flag.document_id, Flag.page_number, Flag.line_number, Flag.word_number,
                           Flag.link_number, Flag.id).limit(limit).offset(offset)
            return [QueueItem(f.id, f.severity, f.type, f.evidence, f.document_id, fn, coll, f.page_number,
                              f.line_number, f.level) for f, fn, coll in s.execute(q).all()]

    def queue_filters(self) -> dict:
        with self.sessions() as s:
            open_docs = select(Flag.document_id).where(Flag.status == "open")
            return {
                "collections": [c for c in s.scalars(select(Document.collection).distinct()
                                                     .where(Document.id.in_(open_docs))
                                                     .order_by(Document.collection)) if c],
                "documents": s.execute(select(Document.id, Document.filename).where(Document.id.in_(open_docs))
                                       .order_by(Document.id)).all(),
                "types": list(s.scalars(select(Flag.type).distinct().where(Flag.status == "open")
                                        .order_by(Flag.type))),
                "open": int(s.scalar(select(func.count()).select_from(Flag).where(Flag.status == "open")) or 0),
            }

    def flag(self, flag_id: int) -> Flag | None:
        with self.sessions() as s:
            return s.get(Flag, flag_id)

    # ---- passages -----------------------------------------------------------------------------
    def locate(self, flag: Flag) -> PassageRef | None:
        """The passage a flag points into: by its line, or for a link by the link's sentences."""
        with self.sessions() as s:
            if flag.level == "link":
                link = s.scalar(select(Alignment).where(
                    Alignment.source_document_id == flag.document_id,
                    Alignment.target_document_id == flag.target_document_id,
                    Alignment.level == "sentence", Alignment.number == flag.link_number))
                if link is None:
                    return None
                sent_ids = link.source_ids
                if not sent_ids:  # added in translation: show where it falls in the original
                    prev = s.scalars(select(Alignment).where(
                        Alignment.source_document_id == flag.document_id,
                        Alignment.target_document_id == flag.target_document_id, Alignment.level == "sentence",
                        Alignment.number < flag.link_number).order_by(Alignment.number.desc())).all()
                    sent_ids = next((a.source_ids for a in prev if a.source_ids), [0])
                sent = s.scalar(select(Sentence).where(Sentence.document_id == flag.document_id,
                                                       Sentence.number == sent_ids[0]))
                return PassageRef(flag.document_id, sent.page_number, sent.passage_number) if sent else None
            page = s.scalar(select(Page).where(Page.document_id == flag.document_id,
                                               Page.number == flag.page_number))
            if page is None:
                return None
            line = flag.line_number or 0
            passages = list(s.scalars(select(Passage).where(Passage.page_id == page.id).order_by(Passage.number)))
            hit = next((p for p in passages if p.first_line <= line <= p.last_line), None)
            hit = hit or (passages[0] if passages else None)
            return PassageRef(flag.document_id, page.number, hit.number) if hit else None

    def passage_view(self, ref: PassageRef) -> PassageView | None:
        with self.sessions() as s:
            doc = s.scalar(select(Document).where(Document.id == ref.document_id)
                           .options(selectinload(Document.record)))
            page = s.scalar(select(Page).where(Page.document_id == ref.document_id, Page.number == ref.page_number)
                            .options(selectinload(Page.lines), selectinload(Page.passages)))
            if doc is None or page is None:
                return None
            passage = next((p for p in page.passages if p.number == ref.passage_number), None)
            if passage is None:
                return None
            all_passages, attached = attached_versions(s, doc.id)
            key = (ref.page_number, ref.passage_number)
            current = attached.get(key)
            home = (current.page_number, current.passage_number) if current else key
            history = [_info(v) for v in s.scalars(select(PassageVersion).where(
                PassageVersion.document_id == doc.id, PassageVersion.page_number == home[0],
                PassageVersion.passage_number == home[1]).order_by(PassageVersion.version))]
            mine = [ln for ln in page.lines if passage.first_line <= ln.number <= passage.last_line]
            words: dict[int, list[Word]] = {}  # one query for the passage's words, not one per line
            for w in s.scalars(select(Word).where(Word.line_id.in_([ln.id for ln in mine])).order_by(Word.number)):
                words.setdefault(w.line_id, []).append(w)
            lines: list[dict[str, Any]] = [
                {"number": ln.number, "text": ln.text, "bbox": ln.bbox, "confidence": ln.confidence,
                 "words": [(w.text, (w.x0, w.y0, w.x1, w.y1), w.confidence, w.number) for w in words.get(ln.id, [])]}
                for ln in mine]
            doc_index = all_passages.index((ref.page_number, ref.passage_number, passage.text))
            flags, translation, tdoc, pairs = self._passage_flags_and_translation(
                s, doc, page.number, passage, doc_index)
            return PassageView(
                ref=ref, document=doc, page_id=page.id, page_size=(page.width or 0, page.height or 0),
                image_kind="preprocessed" if page.preprocessed_image else "original" if page.original_image else None,
                raw_text=passage.text, text=current.text if current else passage.text,
                line_texts=current_lines(current, [ln["text"] for ln in lines]),
                version=current.version if current else 0, versions=history,
                box=(passage.x0, passage.y0, passage.x1, passage.y1), lines=lines, flags=flags,
                translation=translation, translation_document=tdoc, sentence_pairs=pairs)

    def _passage_flags_and_translation(self, s: Session, doc: Document, page_number: int, passage: Passage,
                                       doc_index: int):
        first = passage.number == min(p.number for p in s.scalars(select(Passage).where(
            Passage.page_id == passage.page_id)))
        on_lines = (Flag.line_number >= passage.first_line) & (Flag.line_number <= passage.last_line)
        page_flags = list(s.scalars(select(Flag).where(
            Flag.document_id == doc.id, Flag.level != "link", Flag.page_number == page_number,
            Flag.status != FlagStatus.WITHDRAWN,
            # a page-level flag ("page unreadable") shows on the page's first passage
            (on_lines | Flag.line_number.is_(None)) if first else on_lines)
            .order_by(Flag.rank.desc(), Flag.line_number, Flag.word_number)))
        sentences = {x.number: x for x in s.scalars(select(Sentence).where(Sentence.document_id == doc.id))}
        in_passage = {n for n, x in sentences.items()
                      if x.page_number == page_number and x.passage_number == passage.number}
        link_flags, pairs, translation, tdoc = [], [], [], None
        target_id = s.scalar(select(Alignment.target_document_id).where(
            Alignment.source_document_id == doc.id).order_by(Alignment.id.desc()).limit(1))
        if target_id is not None:
            tdoc = s.get(Document, target_id)
            tsent = {x.number: x for x in s.scalars(select(Sentence).where(Sentence.document_id == target_id))}
            links = list(s.scalars(select(Alignment).where(
                Alignment.source_document_id == doc.id, Alignment.target_document_id == target_id)
                .order_by(Alignment.level, Alignment.number)))
            mine = [a for a in links if a.level == "sentence" and set(a.source_ids) & in_passage]
            mine_numbers = {a.number for a in mine}
            link_flags = list(s.scalars(select(Flag).where(
                Flag.document_id == doc.id, Flag.level == "link", Flag.target_document_id == target_id,
                Flag.status != FlagStatus.WITHDRAWN, Flag.link_number.in_(mine_numbers))
                .order_by(Flag.rank.desc(), Flag.link_number)))
            flagged = {f.link_number for f in link_flags}
            pairs = [(" ".join(sentences[i].text for i in a.source_ids if i in sentences),
                      " ".join(tsent[j].text for j in a.target_ids if j in tsent), a.score, a.number)
                     for a in mine if a.number in flagged]
            tpass = effective_passages(s, target_id)
            for a in links:
                if a.level == "passage" and doc_index in a.source_ids:
                    translation += [tpass[j][2] for j in a.target_ids if j < len(tpass)]
        return page_flags + link_flags, translation, tdoc, pairs

    def save_version(self, ref: PassageRef, *, base_version: int, kind: str, text: str, user: str,
                     flag_ids: list[int], flag_status: str, note: str | None = None,
                     lines: list[str] | None = None) -> SaveResult:
        """Store a reviewer's version unless someone else stored one since `base_version` was read;
        resolve the given flags; audit it. All or nothing. `lines`: the text line by line (one
        per OCR line); the version's text is then those lines joined as passages are."""
        if lines is not None:
            lines = [nfc(x).replace("\n", " ") for x in lines]
            text = join_lines(lines)
        text = nfc(text)
        try:
            with self.sessions.begin() as s:
                raw = s.scalar(select(Passage.text).join(Page, Page.id == Passage.page_id).where(
                    Page.document_id == ref.document_id, Page.number == ref.page_number,
                    Passage.number == ref.passage_number))
                if raw is None:
                    raise LookupError("no such passage")
                current = attached_versions(s, ref.document_id)[1].get((ref.page_number, ref.passage_number))
                # numbered per document, so a version that moved with its passage still compares
                top = s.scalar(select(func.max(PassageVersion.version)).where(
                    PassageVersion.document_id == ref.document_id)) or 0
                current_version = current.version if current else 0
                if current_version != base_version:
                    return SaveResult(False, current_version, _info(current) if current else None)
                before = current.text if current else raw
                new = PassageVersion(document_id=ref.document_id, page_number=ref.page_number,
                                     passage_number=ref.passage_number, version=top + 1, kind=kind,
                                     text=text if kind == "correction" else before, base_text=raw, author=user,
                                     lines=lines if kind == "correction" else (current.lines if current else None))
                s.add(new)
                s.flush()
                from .search import index_document  # storage.search reads this module's versions

                index_document(s, ref.document_id)
                self._resolve(s, ref.document_id, flag_ids, flag_status, user)
                s.add(AuditEvent(user=user, action="correct" if kind == "correction" else "accept",
                                 document_id=ref.document_id, page_number=ref.page_number,
                                 passage_number=ref.passage_number, version=top + 1, flag_ids=list(flag_ids),
                                 before=before, after=new.text, note=note))
                return SaveResult(True, top + 1)
        except IntegrityError:  # two saves at the same moment: the other one got this version number
            with self.sessions() as s:
                latest = latest_versions(s, ref.document_id).get((ref.page_number, ref.passage_number))
                return SaveResult(False, latest.version if latest else 0, _info(latest) if latest else None)

    def resolve(self, document_id: int, flag_ids: list[int], status: str, user: str, *, action: str,
                ref: PassageRef | None = None, note: str | None = None) -> int:
        with self.sessions.begin() as s:
            n = self._resolve(s, document_id, flag_ids, status, user)
            s.add(AuditEvent(user=user, action=action, document_id=document_id,
                             page_number=ref.page_number if ref else None,
                             passage_number=ref.passage_number if ref else None, flag_ids=list(flag_ids), note=note))
            return n

    def decide(self, flag_id: int, status: str, user: str) -> Flag | None:
        """One flag's decision (accept: not an error here); the passage's text is not touched."""
        with self.sessions.begin() as s:
            flag = s.get(Flag, flag_id)
            if flag is None or flag.status != FlagStatus.OPEN:
                return flag
            flag.status, flag.resolved_by, flag.resolved_at = status, user, utcnow()
            s.add(AuditEvent(user=user, action=str(status), document_id=flag.document_id,
                             page_number=flag.page_number, flag_ids=[flag.id], note=flag.evidence[:200]))
            s.flush()
            return flag

    @staticmethod
    def _resolve(s: Session, document_id: int, flag_ids: list[int], status: str, user: str) -> int:
        if not flag_ids:
            return 0
        # an UPDATE gives a CursorResult (which has rowcount); Session.execute is typed as the general Result
        return cast(CursorResult, s.execute(update(Flag).where(Flag.document_id == document_id, Flag.id.in_(flag_ids),
                                                               Flag.status == "open")
                                            .values(status=status, resolved_by=user, resolved_at=utcnow()))).rowcount

    def audit(self, user: str, action: str, *, document_id: int | None = None, note: str | None = None,
              ref: PassageRef | None = None, flag_ids: list[int] | None = None) -> None:
        with self.sessions.begin() as s:
            s.add(AuditEvent(user=user, action=action, document_id=document_id, flag_ids=flag_ids or [],
                             page_number=ref.page_number if ref else None,
                             passage_number=ref.passage_number if ref else None, note=note))

    def audit_events(self, document_id: int | None = None, limit: int = 50) -> list[AuditEvent]:
        with self.sessions() as s:
            q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
            if document_id is not None:
                q = q.where(AuditEvent.document_id == document_id)
            return list(s.scalars(q))

    # ---- records ------------------------------------------------------------------------------
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
            open_count = (select(Flag.document_id, func.count().label("n")).where(Flag.status == "open")
                          .group_by(Flag.document_id).subquery())
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
            open_flags = int(s.scalar(select(func.count()).select_from(Flag).where(
                Flag.document_id == doc.id, Flag.status == "open")) or 0)
            return {"document": doc, "counterpart": other, "role": role, "rows": rows,
                    "fields": record_fields(doc, other, role),
                    "corrected": sorted({k for k, v in versions.items() if v.kind == "correction"}),
                    "open_flags": open_flags,
                    "pages": [(p.id, p.number) for p in doc.pages if p.original_image],
                    "counterpart_pages": [(p.id, p.number) for p in other.pages if p.original_image]
                    if other is not None else []}

    def page_image_key(self, page_id: int, kind: str = "original") -> tuple[str | None, int, int]:
        with self.sessions() as s:
            page = s.get(Page, page_id)
            if page is None:
                return None, 0, 0
            key = page.preprocessed_image if kind == "preprocessed" else page.original_image
            return key, page.width or 0, page.height or 0
