"""The search index: every stored passage (its reviewed text) and every record, with a folded
copy of the text (no tone marks or diacritics, đ -> d, lower case) so "Tran Buu Kiem" finds
"Trần Bửu Kiếm". SQLite: FTS5 over both columns (table search_fts, migration 0009), the exact
column weighted up so the exact spelling ranks first. PostgreSQL: tsvectors of both columns
('simple' configuration: our folding, no stemming), GIN index on the folded one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, insert, select, text
from sqlalchemy.orm import Session

from ingest.align.textprep import strip_marks

from . import db
from .models import Alignment, Document, DocumentStatus, PageRow, PassageRow, PassageVersion, Record
from .versions import PassageText, attach_versions, attached_versions, effective_passages

# Core table (not an ORM model: PostgreSQL adds generated tsvector columns, SQLite an FTS5 twin)
search_entries = Table(
    "search_entries", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # "passage" | "record"
    Column("page", Integer, nullable=False),  # 0 for a record
    Column("passage", Integer, nullable=False),  # on its page; 0 for a record
    Column("doc_passage", Integer),  # 0-based passage index in the document (alignment ids)
    Column("lang", String(20)),
    Column("collection", String(200)),
    Column("text", Text, nullable=False),
    Column("folded", Text, nullable=False),
)

# bm25 weights (SQLite) / rank multiplier (PostgreSQL) of a match on the exact spelling
EXACT_WEIGHT = 4.0
_TOKEN = re.compile(r"\w+")


@functools.cache
def fold_char(c: str) -> str:
    f = strip_marks(c).lower()
    return f if len(f) == 1 else c.lower()[:1] or c


def fold(text: str) -> str:
    """Same length as the NFC text, character for character, so a match in the folded text is a
    match at the same offsets in the text (snippets). Cached per character: indexing 10,000
    passages spent 55% of its time here before (0.9 of 1.7 s for 600 passages)."""
    if text.isascii():
        return text.lower()
    return "".join(map(fold_char, text))


def tokens(query: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFC", query))


@dataclass(frozen=True)
class Entry:
    id: int
    document_id: int
    kind: str
    page: int
    passage: int
    doc_passage: int | None
    lang: str | None
    text: str
    score: float
    title: str = ""  # the record's title, else the file name


# the record fields that are searched: read as plain rows (an ORM Record cost 1.7 ms a document)
_RECORD_COLUMNS = (Record.document_id, Record.record_id, Record.title, Record.date, Record.source_archive,
                   Record.translator, Record.subjects, Record.places)


def _record_text(rec: Any) -> str:
    if rec is None:
        return ""
    parts = [rec.record_id, rec.title, rec.date, rec.source_archive, rec.translator]
    parts += list(rec.subjects or []) + list(rec.places or [])
    return " · ".join(str(p) for p in parts if p)


def _entries(doc: Document, passages: list[PassageText], versions: dict, rec: Any) -> list[dict]:
    """The rows of one stored document: its passages' current text (a reviewer's version, else the
    OCR) in reading order, and its record."""
    rows = []
    for k, (page, number, body) in enumerate(passages):
        v = versions.get((page, number))
        body = unicodedata.normalize("NFC", v.text if v is not None else body)
        if body.strip():
            rows.append({"document_id": doc.id, "kind": "passage", "page": page, "passage": number,
                         "doc_passage": k, "lang": doc.lang, "collection": doc.collection, "text": body,
                         "folded": fold(body)})
    rec_text = unicodedata.normalize("NFC", _record_text(rec))
    if rec_text:
        rows.append({"document_id": doc.id, "kind": "record", "page": 0, "passage": 0, "doc_passage": None,
                     "lang": doc.lang, "collection": doc.collection, "text": rec_text, "folded": fold(rec_text)})
    return rows


def index_document(s: Session, document_id: int) -> int:
    """Replace the document's entries. A document that is not stored has none. Returns the entries
    written."""
    doc = s.get(Document, document_id)
    rows = []
    if doc is not None and doc.status == DocumentStatus.STORED:
        passages, versions = attached_versions(s, document_id)
        rec = s.execute(select(*_RECORD_COLUMNS).where(Record.document_id == document_id)).first()
        rows = _entries(doc, passages, versions, rec)
    if rows:
        _insert(s, rows, replacing=document_id)
        _to_fts(s, document_id)
    else:
        s.execute(delete(search_entries).where(search_entries.c.document_id == document_id))
    return len(rows)


_COLUMNS = ("document_id", "kind", "page", "passage", "doc_passage", "lang", "collection", "text", "folded")
_PG_TYPES = ("int", "varchar", "int", "int", "int", "varchar", "varchar", "text", "text")


COPY_FROM = 500  # rows; fewer go as one INSERT (COPY costs two round trips, an INSERT one)


def _insert(s: Session, rows: list[dict], replacing: int | None = None) -> None:
    """Insert the rows; ``replacing``: first delete that document's entries (on PostgreSQL in the
    same statement: one round trip fewer per stored document).

    PostgreSQL: a document's rows as one INSERT of column arrays, a rebuild's by COPY, in the
    session's transaction, through the driver (SQLAlchemy compiling a multi-row INSERT, or psycopg
    parsing one with 189 placeholders, cost 2 ms of client CPU a document). An executemany sent
    one statement a row (psycopg's pipeline): storing 500 documents of 20 passages indexed 865
    passages/s at load 11, most of it waiting on those round trips. SQLite: executemany (in process, no round trips)."""
    raw = s.connection().connection.driver_connection
    pg = s.get_bind().dialect.name == "postgresql" and raw is not None and hasattr(raw, "pipeline")  # psycopg 3
    if replacing is not None and not (pg and len(rows) < COPY_FROM):
        s.execute(delete(search_entries).where(search_entries.c.document_id == replacing))
    if not pg or raw is None:
        s.execute(insert(search_entries), rows)
        return
    with raw.cursor() as cur:
        if len(rows) < COPY_FROM:  # one array a column: the statement's text never changes (parsed once)
            gone = "" if replacing is None else "WITH gone AS (DELETE FROM search_entries WHERE document_id = %s) "
            cur.execute(f"{gone}INSERT INTO search_entries ({', '.join(_COLUMNS)}) SELECT * FROM unnest("
                        + ", ".join(f"%s::{t}[]" for t in _PG_TYPES) + ")",
                        ([replacing] if replacing is not None else []) + [[r[c] for r in rows] for c in _COLUMNS])
            return
        with cur.copy(f"COPY search_entries ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r[c] for c in _COLUMNS))


def _to_fts(s: Session, document_id: int | None) -> None:
    """SQLite: put the document's new rows (all rows: None) into the FTS5 index."""
    if s.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's tsvectors are generated columns
    where = "" if document_id is None else " WHERE document_id = :d"
    s.execute(text(f"INSERT INTO search_fts(rowid, text, folded) SELECT id, text, folded FROM search_entries{where}"),
              {} if document_id is None else {"d": document_id})


def reindex_all(s: Session) -> int:
    """Rebuild the whole index with a handful of queries (not a few per document): 10,000
    passages in documents of 20 took 26 ms a document the per-document way."""
    s.execute(delete(search_entries))
    docs = s.scalars(select(Document).where(Document.status == DocumentStatus.STORED).order_by(Document.id)).all()
    stored = {d.id for d in docs}
    passages: dict[int, list] = {}
    for doc_id, p, n, t in s.execute(select(PageRow.document_id, PageRow.number, PassageRow.number, PassageRow.text)
                                     .join(PassageRow, PassageRow.page_id == PageRow.id)
                                     .order_by(PageRow.document_id, PageRow.number, PassageRow.number)):
        if doc_id in stored:
            passages.setdefault(doc_id, []).append((p, n, t))
    latest: dict[int, dict] = {}
    for v in s.scalars(select(PassageVersion).order_by(PassageVersion.document_id, PassageVersion.version)):
        latest.setdefault(v.document_id, {})[(v.page_number, v.passage_number)] = v
    recs = {r.document_id: r for r in s.execute(select(*_RECORD_COLUMNS))}
    rows = []
    for d in docs:
        mine = passages.get(d.id, [])
        rows += _entries(d, mine, attach_versions(mine, latest.get(d.id, {})), recs.get(d.id))
    _insert(s, rows)
    _to_fts(s, None)
    return len(rows)


def _quote(t: str) -> str:
    return '"' + t.replace('"', '""') + '"'


class SearchRepository:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)
        self.engine = db.engine(url)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def reader(self, session: Session | None = None) -> Iterator[Session]:
        """A session on an autocommit connection: a lookup is one statement, without the BEGIN
        and ROLLBACK round trips around it (each one a wait for the server under load). Given a
        session, that one: a search and its hits' context share one connection (one checkout
        and pool ping fewer)."""
        if session is not None:
            yield session
            return
        with self.engine.connect() as conn:
            with Session(bind=conn.execution_options(isolation_level="AUTOCOMMIT")) as s:
                yield s

    def index_document(self, document_id: int) -> int:
        with self.sessions.begin() as s:
            return index_document(s, document_id)

    def reindex(self) -> int:
        with self.sessions.begin() as s:
            return reindex_all(s)

    def is_empty(self) -> bool:
        with self.sessions() as s:
            return s.scalar(select(search_entries.c.id).limit(1)) is None

    def search(self, query: str, *, lang: str | None = None, collection: str | None = None,
               limit: int = 20, offset: int = 0, session: Session | None = None) -> tuple[list[Entry], int]:
        """Best entries first, and how many match in all."""
        exact = [t.lower() for t in tokens(query)]
        folded = [fold(t) for t in exact]
        if not folded:
            return [], 0
        filters: list[str] = []
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if lang:
            filters.append("e.lang = :lang")
            params["lang"] = lang
        if collection:
            filters.append("e.collection = :collection")
            params["collection"] = collection
        cols = "e.id, e.document_id, e.kind, e.page, e.passage, e.doc_passage, e.lang, e.text"
        # Rank ids alone, then read the page's rows: ranking and counting carried every match's
        # text before (a common word like "the" matches 3,954 passages of 10,500: the window
        # count spilled to disk, 67 ms; 34 ms ranked by id alone).
        if self.dialect == "postgresql":
            params |= {"fq": " ".join(folded), "eq": " ".join(exact), "w": EXACT_WEIGHT}
            where = " AND ".join(["e.folded_tsv @@ q.f"] + filters)
            matches = (f"SELECT e.id, ts_rank(e.folded_tsv, q.f) + :w * ts_rank(e.exact_tsv, q.x) AS score "
                       f"FROM search_entries e, (SELECT plainto_tsquery('simple', :fq) AS f, "
                       f"plainto_tsquery('simple', :eq) AS x) q WHERE {where}")
        else:
            params["q"] = (f"(folded : ({' '.join(map(_quote, folded))})) OR "
                           f"(text : ({' '.join(map(_quote, exact))}))")
            params["w"] = EXACT_WEIGHT
            where = " AND ".join(["search_fts MATCH :q"] + filters)
            matches = (f"SELECT e.id, -bm25(search_fts, :w, 1.0) AS score FROM search_fts "
                       f"JOIN search_entries e ON e.id = search_fts.rowid WHERE {where}")
        sql = (f"WITH m AS MATERIALIZED ({matches}), "
               f"top AS (SELECT id, score FROM m ORDER BY score DESC, id LIMIT :limit OFFSET :offset) "
               f"SELECT {cols}, top.score, (SELECT count(*) FROM m), COALESCE(r.title, d.filename) FROM top "
               f"JOIN search_entries e ON e.id = top.id JOIN documents d ON d.id = e.document_id "
               f"LEFT JOIN records r ON r.document_id = e.document_id ORDER BY top.score DESC, e.id")
        with self.reader(session) as s:
            rows = s.execute(text(sql), params).all()  # the total comes with the rows
            if rows:
                total = rows[0][9]
            else:  # no hit, or past the last one: count alone
                count = text(f"SELECT count(*) FROM ({matches}) c")
                total = s.execute(count, {k: v for k, v in params.items() if k not in ("limit", "offset")}
                                  ).scalar_one() if offset else 0
        return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], float(r[8]), r[10] or "")
                for r in rows], int(total)

    def context(self, entries: list[Entry], session: Session | None = None) -> dict[int, tuple[str, str, str | None]]:
        """Per entry id: (document title, the aligned passage text of the other language or "",
        that language)."""
        out: dict[int, tuple[str, str, str | None]] = {}
        hit_docs = list({e.document_id for e in entries if e.kind == "passage"})
        if not hit_docs:  # records only (the title came with the hit): no query
            return {e.id: (e.title, "", None) for e in entries}
        with self.reader(session) as s:
            cache: dict = {}
            for d in hit_docs:
                cache[("links", d)] = []
            for a in s.scalars(select(Alignment).where(  # one query for every hit's document
                    Alignment.level == "passage", Alignment.source_document_id.in_(hit_docs)
                    | Alignment.target_document_id.in_(hit_docs)).order_by(Alignment.id.desc())):
                for d in {a.source_document_id, a.target_document_id} & set(hit_docs):
                    cache[("links", d)].append(a)
            for e in entries:
                aligned, other_lang = "", None
                if e.kind == "passage" and e.doc_passage is not None:
                    aligned, other_lang = _aligned(s, e.document_id, e.doc_passage, cache)
                out[e.id] = (e.title, aligned, other_lang)
        return out


def _aligned(s: Session, document_id: int, index: int, cache: dict) -> tuple[str, str | None]:
    """The passage(s) of the other document that the newest passage-level alignment links to."""
    key = ("links", document_id)
    if key not in cache:  # hits come in runs from one document: read its links once
        cache[key] = s.scalars(select(Alignment).where(
            Alignment.level == "passage",
            (Alignment.source_document_id == document_id) | (Alignment.target_document_id == document_id))
            .order_by(Alignment.id.desc())).all()
    links = cache[key]
    if not links:
        return "", None
    newest = links[0].version, links[0].source_document_id, links[0].target_document_id
    for a in links:
        if (a.version, a.source_document_id, a.target_document_id) != newest:
            continue
        mine, theirs, other = ((a.source_ids, a.target_ids, a.target_document_id)
                               if a.source_document_id == document_id
                               else (a.target_ids, a.source_ids, a.source_document_id))
        if index in mine:
            if other not in cache:
                cache[other] = effective_passages(s, other)
            texts = [cache[other][j][2] for j in theirs if j < len(cache[other])]
            if ("lang", other) not in cache:
                cache[("lang", other)] = s.scalar(select(Document.lang).where(Document.id == other))
            return " ".join(texts), cache[("lang", other)]
    return "", None
