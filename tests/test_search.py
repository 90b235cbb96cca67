"""Search on SQLite (FTS5) and PostgreSQL (tsvector): any spelling finds the text, the exact
spelling ranks first, a hit shows the aligned passage of the other language, and the index follows
ingest, corrections, re-reading and --reindex. `search` is read only: it does not start Prefect."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import namedtuple

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from flows.app.search import search, snippet_parts
from flows.app.store import open_store
from ingest.model import Line, PageText, Passage, Word
from ingest.settings import Settings
from storage.alignments import AlignmentRepository
from storage.documents import DocumentRepository
from storage.locate import PassageRef
from storage.models import Document
from storage.review import ReviewRepository
from storage.search import fold

Link = namedtuple("Link", "source target score")

VI = ["Trần Bửu Kiếm gặp đại diện Đảng Lao Động ở Paris",
      "Cuộc tổng tiến công và nổi dậy bắt đầu đêm 30 tháng 1",
      "Đơn vị đang chờ lệnh tại căn cứ",
      "Máy bay Mỹ ném bom cầu Hàm Rồng"]
EN = ["Tran Buu Kiem met the representative of the Workers' Party in Paris",
      "The general offensive and uprising began on the night of January 30",
      "The unit is waiting for orders at the base",
      "American aircraft bombing the Ham Rong bridge"]


def page(texts: list[str], number: int = 1) -> PageText:
    lines, passages = [], []
    for i, text in enumerate(texts):
        box = (100, 100 + 60 * i, 100 + 20 * len(text), 140 + 60 * i)
        words = tuple(Word(w, (box[0] + 80 * k, box[1], box[0] + 80 * k + 70, box[3]), 91.0)
                      for k, w in enumerate(text.split()))
        lines.append(Line(text, box, 91.0, words))
        passages.append(Passage(text, box, i, i))
    return PageText(number, "ocr", tuple(lines), tuple(passages), 2480, 3508, 300, mean_confidence=91.0)


def store_doc(repo: DocumentRepository, digest: str, texts: list[str], lang: str, collection: str, meta: dict) -> int:
    claim = repo.claim(sha256=digest * 64, source_path=f"/scans/{digest}.tif", filename=f"{digest}.tif",
                       size_bytes=1, collection=collection, lang=lang, run_id=None)
    repo.set_record(claim.document_id, meta)
    repo.plan(claim.document_id, media_type="image/tiff", page_count=1)
    repo.save_page(claim.document_id, page(texts), original_image=None, preprocessed_image=None)
    repo.mark_stored(claim.document_id)
    return claim.document_id


@pytest.fixture
def indexed(db_url, tmp_path):
    settings = Settings(db_url=db_url, files_dir=str(tmp_path / "files"))
    repo = DocumentRepository(db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        s.execute(delete(Document))
    vi = store_doc(repo, "a", VI, "vie", "cables", {"record_id": "vn-1", "title": "Điện mật gửi Trung ương Cục"})
    en = store_doc(repo, "b", EN, "eng", "cables", {"record_id": "vn-1-en", "title": "Secret cable",
                                                     "translation_of": "vn-1"})
    other = store_doc(repo, "c", ["Báo cáo của Đảng ủy về tình hình dang dở"], "vie", "reports", {})
    AlignmentRepository(db_url).save_alignment(vi, en, {"passage": [Link([i], [i], 0.9) for i in range(4)]},
                                               method="test", version="1")
    return settings, open_store(settings), vi, en, other


def test_any_spelling_finds_the_text_and_the_exact_spelling_ranks_first(indexed):
    settings, store, vi, en, other = indexed
    hits = search(store, "Tran Buu Kiem", lang="vie").hits
    assert hits[0].document == vi and hits[0].passage == 0
    assert hits[0].snippet.startswith("«Trần» «Bửu» «Kiếm»")
    hits = search(store, "tong tien cong").hits
    assert [(h.document, h.passage) for h in hits] == [(vi, 1)]
    assert "«tổng» «tiến» «công»" in hits[0].snippet
    dang = search(store, "Dang").hits
    assert {(h.document, h.passage) for h in dang} >= {(vi, 0), (vi, 2), (other, 0)}
    assert dang[0].document == other  # "dang" itself is in that passage: the exact spelling first
    exact = search(store, "Đảng").hits
    assert exact[0].document in (vi, other) and "Đảng" in exact[0].snippet
    assert search(store, "ĐẢNG LAO ĐỘNG").hits[0].document == vi  # case folds too, đ/Đ included
    assert search(store, "Dang", collection="reports").total == 1
    assert search(store, "Paris", lang="eng").hits[0].document == en


def test_a_hit_shows_the_aligned_passage_of_the_other_language(indexed):
    settings, store, vi, en, other = indexed
    hit = search(store, "bombing").hits[0]
    assert (hit.document, hit.passage, hit.lang) == (en, 3, "eng")
    assert hit.aligned == VI[3] and hit.aligned_lang == "vie"
    back = search(store, "ném bom").hits[0]
    assert back.document == vi and back.aligned == EN[3]
    rec = [h for h in search(store, "Trung uong Cuc").hits if h.kind == "record"]
    assert rec and rec[0].document == vi and rec[0].page == 0


def test_the_index_follows_corrections_rereading_and_reindex(indexed):
    settings, store, vi, en, other = indexed
    assert search(store, "Huế").total == 0
    saved = ReviewRepository(settings.db_url).save_version(
        PassageRef(vi, 1, 2), base_version=0, kind="correction", text="Đơn vị đang chờ lệnh tại Huế",
        user="alice", flag_ids=[], flag_status="corrected")
    assert saved.ok
    hits = search(store, "Hue").hits
    assert [(h.document, h.passage) for h in hits] == [(vi, 2)]
    assert search(store, "căn cứ").total == 0  # the OCR's words that the reviewer replaced are gone
    repo = DocumentRepository(settings.db_url)
    repo.save_page(other, page(["Một trang đọc lại: Khe Sanh"]), original_image=None, preprocessed_image=None)
    assert search(store, "khe sanh").hits[0].document == other
    assert search(store, "dang do").total == 0
    from storage.search import SearchRepository

    n = SearchRepository(settings.db_url).reindex()
    assert n == 4 + 1 + 4 + 1 + 1  # passages and records
    assert search(store, "Hue").total == 1
    page_two = search(store, "the", lang="eng", limit=2, offset=2)
    assert page_two.offset == 2 and len(page_two.hits) == 2 and page_two.total >= 4
    with repo.sessions.begin() as s:  # a deleted document leaves the index with its rows
        s.execute(delete(Document).where(Document.id == other))
    assert search(store, "khe sanh").total == 0 and search(store, "Hue").total == 1
    if settings.db_url.startswith("sqlite"):
        from sqlalchemy import text

        with repo.sessions.begin() as s:  # FTS5 and its content table agree (raises if not)
            s.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"))


def test_snippets_mark_whole_words_at_the_texts_offsets():
    text = "Ngày 2 tháng 11, Đảng ủy họp; " + "x " * 200 + "cuối cùng Đảng"
    parts = snippet_parts(text, "dang")
    assert parts[0] == ("Ngày 2 tháng 11, ", False) and parts[1] == ("Đảng", True)
    assert parts[-1][0].endswith("…")
    assert fold("Đảng Lao Động") == "dang lao dong" and len(fold("Trần")) == len("Trần")
    assert snippet_parts("Dangerous", "dang") == (("Dangerous", False),)


def test_search_command_prints_json_and_does_not_start_prefect(indexed, monkeypatch):
    settings, store, vi, en, other = indexed
    from flows.cli import app

    monkeypatch.setenv("ARCHIVE_DB_URL", settings.db_url)
    res = CliRunner().invoke(app, ["search", "tong tien cong", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert rows == [{"document": vi, "page": 1, "passage": 1, "lang": "vie",
                     "snippet": rows[0]["snippet"], "score": rows[0]["score"]}]
    assert "«tổng»" in rows[0]["snippet"] and rows[0]["score"] > 0
    res = CliRunner().invoke(app, ["search", "x", "--lang", "fra"])
    assert res.exit_code == 2 and "choose vie or eng" in res.output
    code = ("import sys; from typer.testing import CliRunner; from flows.cli import app; "
            "r = CliRunner().invoke(app, ['search', 'Dang', '--reindex']); "
            "print(r.exit_code, 'prefect' in sys.modules, [m for m in sys.modules if m.startswith('prefect')][:1])")
    env = {"ARCHIVE_DB_URL": settings.db_url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(
        __import__("pathlib").Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.split()[:2] == ["0", "False"], out.stdout + out.stderr


def test_a_large_rebuild_by_copy_and_pages_past_the_end(indexed, monkeypatch):
    """A rebuild of COPY_FROM rows or more goes by COPY on PostgreSQL; a page past the last hit
    still tells the total; a stored document re-indexed replaces its entries, never doubles them."""
    import storage.search as search_module

    settings, store, vi, en, other = indexed
    monkeypatch.setattr(search_module, "COPY_FROM", 2)
    assert search_module.SearchRepository(settings.db_url).reindex() == 11
    assert [h.document for h in search(store, "Tran Buu Kiem", lang="vie").hits] == [vi]
    past = search(store, "the", lang="eng", limit=5, offset=100)
    assert past.hits == [] and past.total == search(store, "the", lang="eng").total > 0
    monkeypatch.setattr(search_module, "COPY_FROM", 500)
    for _ in range(2):
        assert search_module.SearchRepository(settings.db_url).index_document(vi) == 5
    assert search(store, "Tran Buu Kiem", lang="vie").total == 1
