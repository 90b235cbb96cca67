"""Repository and file store on SQLite and on the real PostgreSQL."""

import threading

import numpy as np
import pytest
from sqlalchemy import inspect, text

from ingest.model import Line, PageText, Passage, Step, Word
from storage import db
from storage.documents import DocumentRepository
from storage.files import FileStore


def sample_page(number=1, text="Bộ Chính trị"):
    words = (Word(text, (10, 10, 200, 40), 91.0),)
    line = Line(text, (10, 10, 200, 40), 91.0, words)
    return PageText(number=number, text_source="ocr", lines=(line,),
                    passages=(Passage(text, (10, 10, 200, 40), 0, 0),), width=1000, height=1400, dpi=300,
                    rotation=90, skew=1.25, steps=(Step("deskew", {"measured": 1.25}),), engine="tesseract 5",
                    model="vie", params={"psm": 4}, mean_confidence=91.0)


def test_schema_is_migrated_by_alembic(db_url):
    engine = db.engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"documents", "pages", "lines", "words", "passages", "records", "ingest_runs", "alembic_version"} <= tables
    if db_url.startswith("sqlite"):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_claim_duplicate_and_resume(db_url):
    repo = DocumentRepository(db_url)
    sha = f"{np.random.default_rng().integers(1 << 62):064x}"
    first = repo.claim(sha256=sha, source_path="/a.tif", filename="a.tif", size_bytes=10, collection="c",
                       lang="vie", run_id=None)
    assert first.state == "new"
    # not stored yet (e.g. the run was killed): the same bytes are taken up again
    again = repo.claim(sha256=sha, source_path="/b.tif", filename="b.tif", size_bytes=10, collection="c",
                       lang="vie", run_id=None)
    assert (again.state, again.document_id) == ("resume", first.document_id)
    assert repo.plan(first.document_id, media_type="image/tiff", page_count=2) == set()
    repo.save_page(first.document_id, sample_page(1), original_image=None, preprocessed_image=None)
    assert repo.plan(first.document_id, media_type="image/tiff", page_count=2) == {1}
    repo.save_page(first.document_id, sample_page(1, "Trung ương Cục"), original_image=None, preprocessed_image=None)
    repo.mark_stored(first.document_id)
    dup = repo.claim(sha256=sha, source_path="/c.tif", filename="c.tif", size_bytes=10, collection="c",
                     lang="vie", run_id=None)
    assert (dup.state, dup.document_id) == ("duplicate", first.document_id)
    doc = repo.get_document(first.document_id, full=True)
    assert [p.number for p in doc.pages] == [1]  # the page was replaced, not stored twice
    page = doc.pages[0]
    assert page.lines[0].text == "Trung ương Cục" and page.lines[0].words[0].confidence == 91.0
    assert (page.rotation, page.skew, page.ocr_params) == (90, 1.25, {"psm": 4})
    assert page.preprocessing == [{"name": "deskew", "params": {"measured": 1.25}}]


def test_concurrent_claims_of_same_bytes_make_one_document(db_url):
    repo = DocumentRepository(db_url)
    sha = f"{np.random.default_rng().integers(1 << 62):064x}"
    results = []

    def claim():
        results.append(repo.claim(sha256=sha, source_path="/x", filename="x", size_bytes=1, collection=None,
                                  lang="vie", run_id=None))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.document_id for r in results}) == 1


def test_record_metadata_and_missing_file_rows(db_url):
    repo = DocumentRepository(db_url)
    sha = f"{np.random.default_rng().integers(1 << 62):064x}"
    claim = repo.claim(sha256=sha, source_path="/r.tif", filename="r.tif", size_bytes=1, collection=None,
                       lang="vie", run_id=None)
    repo.set_record(claim.document_id, {"record_id": "114010", "title": "Cable No. 323", "subjects": ["Diplomacy"],
                                        "places": ["Hanoi", "Paris"], "shelfmark": "Phông 1"})
    rec = repo.get_document(claim.document_id).record
    assert (rec.record_id, rec.places, rec.extra) == ("114010", ["Hanoi", "Paris"], {"shelfmark": "Phông 1"})
    a = repo.quarantine_unread(source_path="/gone.tif", filename="gone.tif", reason="file not found",
                               collection=None, lang="vie", run_id=None)
    b = repo.quarantine_unread(source_path="/gone.tif", filename="gone.tif", reason="file not found",
                               collection=None, lang="vie", run_id=None)
    assert a == b


def test_file_store_is_content_addressed_and_atomic(tmp_path):
    store = FileStore(tmp_path)
    img = np.full((50, 80), 255, np.uint8)
    img[10:20, 10:60] = 0
    k1 = store.put_image(img, bilevel=True)
    k2 = store.put_image(img.copy(), bilevel=True)
    assert k1 == k2 and store.exists(k1)
    assert not list(tmp_path.rglob(".tmp-*"))
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_word_alternatives_are_stored_and_survive_the_migration(db_url):
    """Tesseract's other reading of a word is kept beside it; taking migration 0005 down and up
    again keeps every stored word (the alternatives of older pages are simply unknown)."""
    from alembic import command

    repo = DocumentRepository(db_url)
    sha = f"{np.random.default_rng().integers(1 << 62):064x}"
    doc = repo.claim(sha256=sha, source_path="/alt.tif", filename="alt.tif", size_bytes=10, collection="c",
                     lang="vie", run_id=None).document_id
    words = (Word("Bộ", (10, 10, 60, 40), 91.0, "Bổ", 40.5), Word("trị", (70, 10, 120, 40), 96.0))
    page = PageText(number=1, text_source="ocr", lines=(Line("Bộ trị", (10, 10, 120, 40), 93.0, words),),
                    passages=(), width=1000, height=1400, dpi=300, rotation=0, skew=0.0, steps=(),
                    engine="tesseract 5", model="vie", params={}, mean_confidence=93.0)
    repo.save_page(doc, page, original_image=None, preprocessed_image=None)
    [(_, _, lines)] = list(repo.iter_page_words(doc))
    assert [w[3:] for w in lines[0][2]] == [("Bổ", 40.5), (None, 0.0)]

    engine = db.engine(db_url)
    with engine.begin() as conn:
        cfg = db.alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "ab65d2b96aaa")
    assert "alternative" not in {c["name"] for c in inspect(engine).get_columns("words")}
    with engine.begin() as conn:
        cfg = db.alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    [(_, _, lines)] = list(repo.iter_page_words(doc))
    assert [(w[0], w[2], w[3], w[4]) for w in lines[0][2]] == [("Bộ", 91.0, None, 0.0), ("trị", 96.0, None, 0.0)]
