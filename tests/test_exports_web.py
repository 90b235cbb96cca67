"""Record downloads, the search box and the paginated record list in a real browser (Playwright
driving Debian's Chromium) on SQLite and PostgreSQL. The examples are ingested by the stage
functions (no Prefect); 60 small text records make the lists span pages."""

from __future__ import annotations

import subprocess
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import delete

from flows.web.auth import hash_password
from ingest.model import Line, PageText, Passage
from ingest.settings import Settings
from storage.documents import DocumentRepository
from storage.locate import PassageRef
from storage.models import Document, User
from storage.review import ReviewRepository
from tests.samples import ingest_examples
from tests.test_review_web import CHROMIUM, PASSWORD, _free_port, login

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
EXTRA = 60  # more records than one page of /documents (50) and of search hits (20)


def _text_page(text: str) -> PageText:
    box = (0, 0, 20 * len(text), 40)
    return PageText(1, "text_file", (Line(text, box, 100.0),), (Passage(text, box, 0, 0),), box[2], 40, 0,
                    mean_confidence=100.0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    import uvicorn

    from flows.web.app import create_app

    tmp = tmp_path_factory.mktemp(f"web-{request.param}")
    settings = Settings(db_url=f"sqlite:///{tmp}/archive.db", files_dir=str(tmp / "files"), workers=1)
    if request.param == "postgresql":
        settings = replace(settings, db_url=request.getfixturevalue("pg_database"))
    repo = DocumentRepository(settings.db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        s.execute(delete(Document))
        s.execute(delete(User))
    ids = ingest_examples(settings)
    for i in range(EXTRA):
        claim = repo.claim(sha256=f"{i:064d}", source_path=f"/notes/note-{i}.txt", filename=f"note-{i}.txt",
                           size_bytes=1, collection="notes", lang="vie", run_id=None)
        repo.set_record(claim.document_id, {"title": f"Ghi chú số {i}", "record_id": f"note-{i}"})
        repo.plan(claim.document_id, media_type="text/plain", page_count=1)
        repo.save_page(claim.document_id, _text_page(f"Ghi chú {i} về Khu ủy và tình hình"),
                       original_image=None, preprocessed_image=None)
        repo.mark_stored(claim.document_id)
    review = ReviewRepository(settings.db_url)
    review.add_user("sam", "staff", hash_password(PASSWORD))
    vi = ids["cable-417-vi.tif"]
    with repo.sessions() as s:
        from storage.versions import attached_versions

        passages, _ = attached_versions(s, vi)
    p, n, text = next(x for x in passages if x[2].startswith("1. Bộ Chính trị"))
    assert review.save_version(PassageRef(vi, p, n), base_version=0, kind="correction",
                               text=text.replace("đã nhận được", "đã nhận được và nghiên cứu kỹ"), user="sam",
                               flag_ids=[], flag_status="corrected").ok
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield {"url": f"http://127.0.0.1:{port}", "settings": settings, "ids": ids}
    server.should_exit = True
    thread.join(timeout=10)
    app.state.reprocessor.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def test_downloads_and_search_need_a_login(site, browser):
    context = browser.new_context()
    page = context.new_page()
    vi = site["ids"]["cable-417-vi.tif"]
    for path in (f"/records/{vi}/export/pdf", "/search?q=Dang"):
        page.goto(site["url"] + path)
        assert page.url.startswith(site["url"] + "/login"), path
    r = context.request.get(site["url"] + f"/records/{vi}/export/alto", max_redirects=0)
    assert r.status == 303 and r.headers["location"].startswith("/login")
    context.close()


def test_record_page_downloads(site, browser, tmp_path):
    context, page = login(browser, site, "sam")
    vi = site["ids"]["cable-417-vi.tif"]
    page.goto(site["url"] + f"/records/{vi}")
    corrected = page.locator(".passage.corrected")
    assert corrected.count() == 1 and "nghiên cứu kỹ" in corrected.inner_text()
    assert "✎" in corrected.evaluate("el => getComputedStyle(el, '::before').content")
    with page.expect_download() as info:
        page.click("a.download[data-format=pdf]")
    pdf = tmp_path / "record.pdf"
    info.value.save_as(pdf)
    assert info.value.suggested_filename == f"doc{vi}.pdf"
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        assert "nghiên cứu kỹ" in " ".join(p.extract_text() for p in doc.pages)
    with page.expect_download() as info:
        page.click("a.download[data-format=alto]")
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert sorted(names) == [f"doc{vi}-p1.alto.xml", f"doc{vi}-p2.alto.xml"]
    with page.expect_download() as info:
        page.click("a.download[data-format=tmx]")
    assert Path(info.value.path()).read_bytes().startswith(b"<?xml") and info.value.suggested_filename.endswith(".tmx")
    with page.expect_download() as info:
        page.click("a.download[data-format=txt-raw]")
    raw = zipfile.ZipFile(info.value.path())
    assert "nghiên cứu kỹ" not in " ".join(raw.read(n).decode() for n in raw.namelist())
    r = context.request.get(site["url"] + f"/records/{vi}/export/docx")
    assert r.status == 404
    context.close()


def test_search_box_highlights_and_shows_the_aligned_passage(site, browser):
    context, page = login(browser, site, "sam")
    page.fill("form.search-box input[name=q]", "chinh tri da nhan duoc")
    with page.expect_navigation():
        page.click("form.search-box button")
    assert "/search?q=" in page.url
    first = page.locator("li.hit").first
    assert first.get_attribute("data-document") == str(site["ids"]["cable-417-vi.tif"])
    marks = first.locator("mark").all_inner_texts()
    assert "Chính" in marks and "trị" in marks and "nhận" in marks
    assert "Politburo" in first.locator(".aligned").inner_text()  # the English passage it is aligned with
    page.fill("#search-form input[name=q]", "khu uy")
    with page.expect_navigation():
        page.click("#search-form button")
    assert page.locator("li.hit").count() == 20
    assert "page 1 of" in page.locator(".pager").inner_text()
    with page.expect_navigation():
        page.click(".pager a[rel=next]")
    assert page.locator("li.hit").count() > 0 and "page 2 of" in page.locator(".pager").inner_text()
    context.close()


def test_record_list_paginates_and_filters(site, browser):
    context, page = login(browser, site, "sam")
    page.goto(site["url"] + "/documents")
    assert page.locator("h1").inner_text().startswith(f"Records ({EXTRA + 3}")
    assert page.locator("table.queue tbody tr").count() == 50
    with page.expect_navigation():
        page.click(".pager a[rel=next]")
    assert page.locator("table.queue tbody tr").count() == EXTRA + 3 - 50
    page.fill("#record-filter input[name=q]", "sample-417")
    with page.expect_navigation():
        page.click("#record-filter button")
    assert page.locator("table.queue tbody tr").count() == 2  # the cable and its translation
    page.goto(site["url"] + "/documents?collection=notes&q=S%E1%BB%91%205")  # "Số 5": Ghi chú số 5, 50-59
    assert page.locator("table.queue tbody tr").count() == 11
    context.close()


def test_search_box_language_filter_finds_the_translated_passage(site, browser):
    """"bombing" in English shows the Vietnamese passage it translates; the language filter keeps
    to one language; a query typed without marks finds the marked spelling."""
    context, page = login(browser, site, "sam")
    page.goto(site["url"] + "/search?q=x")
    page.fill("#search-form input[name=q]", "bombing")
    page.select_option("#search-form select[name=lang]", "eng")
    with page.expect_navigation():
        page.click("#search-form button")
    first = page.locator("li.hit").first
    assert first.get_attribute("data-document") == str(site["ids"]["cable-417-en.pdf"])
    assert first.locator("mark").all_inner_texts() == ["bombing"]
    aligned = first.locator(".aligned")
    assert "ném bom" in aligned.inner_text() and aligned.get_attribute("lang") == "vi"
    page.select_option("#search-form select[name=lang]", "vie")
    with page.expect_navigation():
        page.click("#search-form button")
    assert page.locator("li.hit").count() == 0 and page.locator("#search-count").inner_text().startswith("0 hits")
    page.fill("#search-form input[name=q]", "nem bom")
    with page.expect_navigation():
        page.click("#search-form button")
    assert "ném" in page.locator("li.hit").first.locator("mark").all_inner_texts()
    context.close()


def test_born_digital_record_downloads_with_its_own_text_layer(site, browser, tmp_path):
    import pdfplumber

    from tests.helpers import EXAMPLES

    context, page = login(browser, site, "sam")
    en = site["ids"]["cable-417-en.pdf"]
    page.goto(site["url"] + f"/records/{en}")
    with page.expect_download() as info:
        page.click("a.download[data-format=pdf]")
    pdf = tmp_path / "en.pdf"
    info.value.save_as(pdf)
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    with pdfplumber.open(pdf) as got, pdfplumber.open(EXAMPLES / "cable-417-en.pdf") as deposited:
        assert got.pages[0].extract_text() == deposited.pages[0].extract_text()
    context.close()
