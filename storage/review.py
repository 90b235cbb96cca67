"""Reads and writes of the review page: a flagged passage as the reviewer sees it, a reviewer's
new version of it (all or nothing, with its flags resolved and an audit row), decisions on single
flags, and the audit trail. The raw OCR is never written here (see storage.versions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ingest.paragraphs import join_lines

from .accounts import AccountRepository
from .locate import PassageLocator, PassageRef
from .models import (
    Alignment,
    AuditEvent,
    Document,
    FlagRow,
    FlagStatus,
    PageRow,
    PassageRow,
    PassageVersion,
    SentenceRow,
    VersionKind,
    WordRow,
    utcnow,
)
from .records import RecordRepository
from .versions import (
    PassageText,
    VersionInfo,
    attached_versions,
    clean_text,
    current_lines,
    effective_passages,
    latest_versions,
    version_info,
)


class PassageWord(NamedTuple):
    text: str
    box: tuple[int, int, int, int]
    confidence: float
    number: int  # on its line


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
    lines: list[dict]  # number, text, bbox, confidence, words [PassageWord]
    flags: list[FlagRow]
    translation: list[str]  # aligned passages of the translation (effective text)
    translation_document: Document | None
    sentence_pairs: list[tuple[str, str, float, int]] = field(default_factory=list)  # for link flags


@dataclass
class SaveResult:
    ok: bool
    version: int
    conflict: VersionInfo | None = None


class ReviewRepository(RecordRepository, AccountRepository):
    """The review page's passages, versions, decisions and audit; the record pages from
    RecordRepository, accounts and sessions from AccountRepository."""

    def versions(self, document_id: int) -> dict[tuple[int, int], VersionInfo]:
        """The reviewer's version that applies to each current passage, by (page, passage)."""
        with self.sessions() as s:
            return {k: version_info(v) for k, v in attached_versions(s, document_id)[1].items()}

    # ---- the queue (its passages: storage.review_queue) -----------------------------------------
    def queue_filters(self) -> dict:
        with self.sessions() as s:
            open_docs = select(FlagRow.document_id).where(FlagRow.status == FlagStatus.OPEN)
            return {
                "collections": [c for c in s.scalars(select(Document.collection).distinct()
                                                     .where(Document.id.in_(open_docs))
                                                     .order_by(Document.collection)) if c],
                "documents": s.execute(select(Document.id, Document.filename).where(Document.id.in_(open_docs))
                                       .order_by(Document.id)).all(),
                "types": list(s.scalars(select(FlagRow.type).distinct().where(FlagRow.status == FlagStatus.OPEN)
                                        .order_by(FlagRow.type))),
                "open": int(s.scalar(select(func.count()).select_from(FlagRow)
                                     .where(FlagRow.status == FlagStatus.OPEN)) or 0),
            }

    def flag(self, flag_id: int) -> FlagRow | None:
        with self.sessions() as s:
            return s.get(FlagRow, flag_id)

    # ---- passages -----------------------------------------------------------------------------
    def locate(self, flag: FlagRow) -> PassageRef | None:
        """The passage a flag points into: by its line, or for a link by the link's sentences."""
        with self.sessions() as s:
            return PassageLocator(s).locate(flag)

    def passage_view(self, ref: PassageRef) -> PassageView | None:
        with self.sessions() as s:
            doc = s.scalar(select(Document).where(Document.id == ref.document_id)
                           .options(selectinload(Document.record)))
            page = s.scalar(select(PageRow)
                            .where(PageRow.document_id == ref.document_id, PageRow.number == ref.page_number)
                            .options(selectinload(PageRow.lines), selectinload(PageRow.passages)))
            if doc is None or page is None:
                return None
            passage = next((p for p in page.passages if p.number == ref.passage_number), None)
            if passage is None:
                return None
            all_passages, attached = attached_versions(s, doc.id)
            key = (ref.page_number, ref.passage_number)
            current = attached.get(key)
            home = (current.page_number, current.passage_number) if current else key
            history = [version_info(v) for v in s.scalars(select(PassageVersion).where(
                PassageVersion.document_id == doc.id, PassageVersion.page_number == home[0],
                PassageVersion.passage_number == home[1]).order_by(PassageVersion.version))]
            mine = [ln for ln in page.lines if passage.first_line <= ln.number <= passage.last_line]
            words: dict[int, list[WordRow]] = {}  # one query for the passage's words, not one per line
            for w in s.scalars(select(WordRow).where(WordRow.line_id.in_([ln.id for ln in mine]))
                               .order_by(WordRow.number)):
                words.setdefault(w.line_id, []).append(w)
            lines: list[dict[str, Any]] = [
                {"number": ln.number, "text": ln.text, "bbox": ln.bbox, "confidence": ln.confidence,
                 "words": [PassageWord(w.text, (w.x0, w.y0, w.x1, w.y1), w.confidence, w.number)
                           for w in words.get(ln.id, [])]}
                for ln in mine]
            doc_index = all_passages.index(PassageText(ref.page_number, ref.passage_number, passage.text))
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

    def _passage_flags_and_translation(self, s: Session, doc: Document, page_number: int, passage: PassageRow,
                                       doc_index: int):
        first = passage.number == min(p.number for p in s.scalars(select(PassageRow).where(
            PassageRow.page_id == passage.page_id)))
        on_lines = (FlagRow.line_number >= passage.first_line) & (FlagRow.line_number <= passage.last_line)
        page_flags = list(s.scalars(select(FlagRow).where(
            FlagRow.document_id == doc.id, FlagRow.level != "link", FlagRow.page_number == page_number,
            FlagRow.status != FlagStatus.WITHDRAWN,
            # a page-level flag ("page unreadable") shows on the page's first passage
            (on_lines | FlagRow.line_number.is_(None)) if first else on_lines)
            .order_by(FlagRow.rank.desc(), FlagRow.line_number, FlagRow.word_number)))
        sentences = {x.number: x for x in s.scalars(select(SentenceRow).where(SentenceRow.document_id == doc.id))}
        in_passage = {n for n, x in sentences.items()
                      if x.page_number == page_number and x.passage_number == passage.number}
        link_flags, pairs, translation, tdoc = [], [], [], None
        target_id = s.scalar(select(Alignment.target_document_id).where(
            Alignment.source_document_id == doc.id).order_by(Alignment.id.desc()).limit(1))
        if target_id is not None:
            tdoc = s.get(Document, target_id)
            tsent = {x.number: x for x in s.scalars(select(SentenceRow).where(SentenceRow.document_id == target_id))}
            links = list(s.scalars(select(Alignment).where(
                Alignment.source_document_id == doc.id, Alignment.target_document_id == target_id)
                .order_by(Alignment.level, Alignment.number)))
            mine = [a for a in links if a.level == "sentence" and set(a.source_ids) & in_passage]
            mine_numbers = {a.number for a in mine}
            link_flags = list(s.scalars(select(FlagRow).where(
                FlagRow.document_id == doc.id, FlagRow.level == "link", FlagRow.target_document_id == target_id,
                FlagRow.status != FlagStatus.WITHDRAWN, FlagRow.link_number.in_(mine_numbers))
                .order_by(FlagRow.rank.desc(), FlagRow.link_number)))
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
            lines = [clean_text(x).replace("\n", " ") for x in lines]
            text = join_lines(lines)
        text = clean_text(text)
        try:
            with self.sessions.begin() as s:
                raw = s.scalar(select(PassageRow.text).join(PageRow, PageRow.id == PassageRow.page_id).where(
                    PageRow.document_id == ref.document_id, PageRow.number == ref.page_number,
                    PassageRow.number == ref.passage_number))
                if raw is None:
                    raise LookupError("no such passage")
                current = attached_versions(s, ref.document_id)[1].get((ref.page_number, ref.passage_number))
                # numbered per document, so a version that moved with its passage still compares
                top = s.scalar(select(func.max(PassageVersion.version)).where(
                    PassageVersion.document_id == ref.document_id)) or 0
                current_version = current.version if current else 0
                if current_version != base_version:
                    return SaveResult(False, current_version, version_info(current) if current else None)
                before = current.text if current else raw
                corrected = kind == VersionKind.CORRECTION
                new = PassageVersion(document_id=ref.document_id, page_number=ref.page_number,
                                     passage_number=ref.passage_number, version=top + 1, kind=kind,
                                     text=text if corrected else before, base_text=raw, author=user,
                                     lines=lines if corrected else (current.lines if current else None))
                s.add(new)
                s.flush()
                from .search import index_document  # storage.search reads this module's versions

                index_document(s, ref.document_id)
                self._resolve(s, ref.document_id, flag_ids, flag_status, user)
                s.add(AuditEvent(user=user, action="correct" if corrected else "accept",
                                 document_id=ref.document_id, page_number=ref.page_number,
                                 passage_number=ref.passage_number, version=top + 1, flag_ids=list(flag_ids),
                                 before=before, after=new.text, note=note))
                return SaveResult(True, top + 1)
        except IntegrityError:  # two saves at the same moment: the other one got this version number
            with self.sessions() as s:
                latest = latest_versions(s, ref.document_id).get((ref.page_number, ref.passage_number))
                return SaveResult(False, latest.version if latest else 0, version_info(latest) if latest else None)

    def resolve(self, document_id: int, flag_ids: list[int], status: str, user: str, *, action: str,
                ref: PassageRef | None = None, note: str | None = None) -> int:
        with self.sessions.begin() as s:
            n = self._resolve(s, document_id, flag_ids, status, user)
            s.add(AuditEvent(user=user, action=action, document_id=document_id,
                             page_number=ref.page_number if ref else None,
                             passage_number=ref.passage_number if ref else None, flag_ids=list(flag_ids), note=note))
            return n

    def decide(self, flag_id: int, status: str, user: str) -> FlagRow | None:
        """One flag's decision (accept: not an error here); the passage's text is not touched."""
        with self.sessions.begin() as s:
            flag = s.get(FlagRow, flag_id)
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
        return cast(CursorResult, s.execute(
            update(FlagRow).where(FlagRow.document_id == document_id, FlagRow.id.in_(flag_ids),
                                  FlagRow.status == FlagStatus.OPEN)
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
