"""The review queue filters by title, record id, file name or document id, as the record list
does, and by collection; the filter pages and follows the reviewer from passage to passage
(issue 12: lists that scale)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete
from starlette.testclient import TestClient

from flows.web.auth import hash_password
from ingest.settings import Settings
from qa.flags import Flag as RuleFlag
from storage.documents import DocumentRepository as Repository
from storage.flags import FlagRepository
from storage.models import AuditEvent, Document, LoginFailure, ReviewSession, User
from storage.review import ReviewRepository
from tests.test_review_store import page

PASSWORD = "correct horse battery"
RECORDS = [  # (file, collection, title, record id)
    ("cable.tif", "cables", "Cable No. 417", "VN-III-417"),
    ("report.tif", "cables", "Báo cáo tình hình", "VN-III-52"),
    ("note.tif", "notes", "Ghi chú số 5", "NOTE-5"),
]


@pytest.fixture
def queue_site(db_url, tmp_path):
    from flows.web.app import create_app

    repo = Repository(db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        for table in (Document, ReviewSession, User, AuditEvent, LoginFailure):
            s.execute(delete(table))
    ids = {}
    for n, (filename, collection, title, record_id) in enumerate(RECORDS):
        claim = repo.claim(sha256=f"{n}" * 64, source_path=f"/scans/{filename}", filename=filename, size_bytes=1,
                           collection=collection, lang="vie", run_id=None)
        repo.plan(claim.document_id, media_type="image/tiff", page_count=1)
        repo.save_page(claim.document_id, page(["MẬT ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5"]), original_image=None,
                       preprocessed_image=None)
        repo.set_record(claim.document_id, {"title": title, "record_id": record_id})
        repo.mark_stored(claim.document_id)
        FlagRepository(db_url).replace(claim.document_id, [
            RuleFlag("low_confidence", "high", "word", f"word {line} read with confidence 31", 1, line, 0)
            for line in range(2)], scope="page")
        ids[record_id] = claim.document_id
    ReviewRepository(db_url).add_user("alice", "reviewer", hash_password(PASSWORD))
    app = create_app(Settings(db_url=db_url, files_dir=str(tmp_path / "files"), review_reprocess="off"))
    c = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}).status_code == 303
    yield c, ids
    app.state.reprocessor.shutdown()


def _rows(html: str) -> list[str]:
    """The passage links of the queue's rows, in order."""
    return re.findall(r'<tr class="[^"]*queue-row" tabindex="0" data-href="([^"]+)"', html)


def _documents(html: str) -> set[int]:
    return {int(href.split("/")[2]) for href in _rows(html)}


def test_the_queue_filters_by_title_record_id_file_and_id(queue_site):
    c, ids = queue_site
    everyone = set(ids.values())
    assert _documents(c.get("/queue").text) == everyone and len(_rows(c.get("/queue").text)) == 6
    assert _documents(c.get("/queue", params={"q": "cable no"}).text) == {ids["VN-III-417"]}  # title, any case
    assert _documents(c.get("/queue", params={"q": "tình hình"}).text) == {ids["VN-III-52"]}
    assert _documents(c.get("/queue", params={"q": "VN-III"}).text) == {ids["VN-III-417"], ids["VN-III-52"]}
    assert _documents(c.get("/queue", params={"q": "note.tif"}).text) == {ids["NOTE-5"]}  # file name
    assert _documents(c.get("/queue", params={"q": str(ids["NOTE-5"])}).text) == {ids["NOTE-5"]}  # document id
    assert _documents(c.get("/queue", params={"q": "VN-III", "collection": "notes"}).text) == set()
    assert _documents(c.get("/queue", params={"collection": "notes"}).text) == {ids["NOTE-5"]}
    r = c.get("/queue", params={"q": "nothing like this"})
    assert r.status_code == 200 and _rows(r.text) == [] and "No open flags for this filter" in r.text
    assert 'name="q" value="VN-III"' in c.get("/queue", params={"q": "VN-III"}).text  # the box keeps the text


def test_the_text_filter_pages_and_follows_the_reviewer(queue_site, monkeypatch):
    import flows.app.review

    c, ids = queue_site
    monkeypatch.setattr(flows.app.review, "QUEUE_PAGE", 1)
    first = c.get("/queue", params={"q": "VN-III"}).text
    assert len(_rows(first)) == 1 and 'rel="next" href="/queue?q=VN-III&amp;page=2"' in first
    later = [_rows(c.get("/queue", params={"q": "VN-III", "page": n}).text) for n in (2, 3, 4, 5)]
    assert [len(r) for r in later] == [1, 1, 1, 0]  # two passages of each of the two cables
    seen = _rows(first) + [r[0] for r in later[:3]]
    assert len(set(seen)) == 4 and {int(h.split("/")[2]) for h in seen} == {ids["VN-III-417"], ids["VN-III-52"]}
    assert all(h.endswith("?q=VN-III") for h in seen)  # each passage link carries the filter
    # skipping a passage goes to the next one of the same filter, and keeps the filter
    passage = c.get(seen[0])
    assert passage.status_code == 200 and 'name="q" value="VN-III"' in passage.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', passage.text).group(1)
    r = c.post(seen[0].split("?")[0], data={"action": "skip", "csrf_token": token, "q": "VN-III"})
    assert r.status_code == 303 and r.headers["location"].endswith("?q=VN-III")
    assert int(r.headers["location"].split("/")[2]) in {ids["VN-III-417"], ids["VN-III-52"]}
