"""The review page in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

The server runs in this process (uvicorn in a thread) on a database filled by the real ingest flow;
a correction is recomputed as `review serve` does without a Prefect server: the flow's steps on the
page's worker thread (flows.app.recompute).

Changed on purpose by issue 14: the queue has one row per passage (not per flag), the passage
page edits line by line (one field per OCR line, `#line-N`, instead of one `#text` box), a save
resolves the flags on the lines it changed, and recomputes run without Prefect in the web process.
"""

from __future__ import annotations

import socket
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.runtime import configure_prefect
from tests.conftest import EXAMPLES

configure_prefect()
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows.ingest import ingest_batch  # noqa: E402
from flows.steps import FileJob  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from qa.flags import Flag as RuleFlag  # noqa: E402
from qa.review.auth import hash_password  # noqa: E402
from storage.models import AuditEvent, Flag, Passage, PassageVersion  # noqa: E402
from storage.repository import AlignmentRepository, FlagRepository, Repository  # noqa: E402
from storage.review import PassageRef, ReviewRepository  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.flow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")]
PASSWORD = "correct horse battery"
SCRIPT = "<script>window.__pwned = 1; alert('x')</script>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A stored original (2-page TIFF) aligned with its translation (PDF), a text file holding a
    script tag, three accounts, and the review page serving them."""
    import uvicorn

    from qa.review.app import create_app

    tmp = tmp_path_factory.mktemp("review")
    settings = Settings(db_url=f"sqlite:///{tmp}/archive.db", files_dir=str(tmp / "files"), workers=2,
                        review_reprocess="direct")
    hostile = tmp / "hostile.txt"
    hostile.write_text(f"Báo cáo tình hình {SCRIPT} ở Khu 5.\n\nĐoạn thứ hai.\n", encoding="utf-8")
    with prefect_test_harness(server_startup_timeout=120):
        report = ingest_batch([
            FileJob(str(EXAMPLES / "cable-417-vi.tif"), collection="samples", lang="vie",
                    metadata={"record_id": "sample-417", "title": "Cable No. 417"}),
            FileJob(str(EXAMPLES / "cable-417-en.pdf"), collection="samples", lang="eng",
                    metadata={"record_id": "sample-417-en", "title": "Cable No. 417 (English)",
                              "translation_of": "sample-417"}),
            FileJob(str(hostile), collection="hostile", lang="vie", metadata={"title": "Hostile text"}),
        ], settings=settings, collection="samples")
        assert [f.state for f in report.files] == ["stored"] * 3, report.files
        original, translation, hostile_id = (f.document_id for f in report.files)
        _flag_first_passages(settings, original, hostile_id)
        users = ReviewRepository(settings.db_url)
        for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("sam", "staff")):
            users.add_user(name, role, hash_password(PASSWORD))
        from flows.app.recompute import recompute_callable

        app = create_app(settings, recompute=recompute_callable(settings, environ={})[0])
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 30
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        assert server.started
        yield {"url": f"http://127.0.0.1:{port}", "settings": settings, "app": app, "original": original,
               "translation": translation, "hostile": hostile_id}
        server.should_exit = True
        thread.join(timeout=10)
        app.state.reprocessor.shutdown()


def _flag_first_passages(settings: Settings, original: int, hostile: int) -> None:
    """Deterministic flags on real stored lines (the rules' own output is tested elsewhere)."""
    repo = Repository(settings.db_url)
    flags = FlagRepository(settings.db_url)
    doc = repo.get_document(original, full=True)
    page = doc.pages[0]
    body = max(page.passages, key=lambda p: len(p.text))  # the longest passage: the body of the cable
    line = next(l for l in page.lines if l.number == body.first_line)
    word = line.words[0]
    translation = AlignmentRepository(settings.db_url).alignments(original)[0].target_document_id
    flags.replace(original, [], scope="link", target_document_id=translation)
    flags.replace(translation, [], scope="page")
    flags.replace(original, [
        RuleFlag("low_confidence", "high", "word", f"“{word.text}” read with confidence 31", page.number,
                 line.number, 0, bbox=(word.x0, word.y0, word.x1, word.y1), details={"confidence": 31.0}),
        RuleFlag("invalid_syllable", "medium", "word", "“Khuu” is not a Vietnamese syllable", page.number,
                 line.number, min(1, len(line.words) - 1), bbox=tuple(line.bbox)),
    ], scope="page")
    hdoc = repo.get_document(hostile, full=True)
    hline = hdoc.pages[0].lines[0]
    flags.replace(hostile, [RuleFlag("garbage", "low", "line", f"symbol run in “{hline.text[:60]}”",
                                     1, hline.number, bbox=tuple(hline.bbox))], scope="page")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def login(browser, site, name: str, password: str = PASSWORD):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site["url"] + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return context, page


def press(page, key: str) -> None:
    """A keyboard shortcut that submits the review form; returns once the next page has loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _open_flags(settings, document_id) -> list[Flag]:
    return [f for f in FlagRepository(settings.db_url).flags(document_id) if f.status == "open"]


def test_pages_are_refused_without_login(site, browser):
    context = browser.new_context()
    page = context.new_page()
    for path in ("/queue", "/documents", f"/records/{site['original']}", "/flags/1",
                 f"/passages/{site['original']}/1/0", "/images/pages/1"):
        response = page.goto(site["url"] + path)
        assert page.url.startswith(site["url"] + "/login"), path
        assert response.status == 200 and page.locator("input[name=password]").count() == 1
    r = context.request.post(site["url"] + f"/passages/{site['original']}/1/0",
                             form={"action": "accept", "base_version": "0"}, max_redirects=0)
    assert r.status == 303 and r.headers["location"].startswith("/login")
    context.close()
    # signed in, a form posted without the session's CSRF token is refused
    context, page = login(browser, site, "alice")
    r = context.request.post(site["url"] + f"/passages/{site['original']}/1/0",
                             form={"action": "accept", "base_version": "0"}, max_redirects=0)
    assert r.status == 403
    context.close()
    with ReviewRepository(site["settings"].db_url).sessions() as s:
        assert s.scalar(select(PassageVersion.id)) is None


def test_staff_see_records_but_not_the_review_queue(site, browser):
    context, page = login(browser, site, "sam")
    assert page.url.endswith("/documents")
    assert page.locator("text=Cable No. 417").first.is_visible()
    response = page.goto(site["url"] + "/queue")
    assert response.status == 403
    context.close()


def test_reviewer_corrects_a_passage_and_the_record_follows(site, browser):
    settings, original = site["settings"], site["original"]
    context, page = login(browser, site, "alice")
    assert page.url.endswith("/queue")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2  # one row per passage: the two flags on one line make one row
    assert rows.first.locator("td").nth(1).inner_text() == "high"  # most severe first
    assert "Cable No. 417" in rows.first.inner_text()  # the record's title, not the file name
    page.select_option("select[name=collection]", "samples")
    page.click("form.filters button")
    assert page.locator("table.queue tbody tr").count() == 1
    page.click("#start")
    page.wait_for_url(lambda url: "/passages/" in url)
    assert page.locator(".flags li").count() == 2
    assert page.locator(".strip .box").count() == 2  # the flagged words outlined on the line's strip
    page.wait_for_load_state("load")
    assert page.locator("img.strip-img").first.evaluate("i => i.complete && i.naturalWidth > 0")
    assert page.locator(".english p").count() >= 1  # the aligned English beside it
    review = ReviewRepository(settings.db_url)
    raw_before = review.passage_view(PassageRef(*[int(x) for x in page.url.split("?")[0].split("/")[-3:]])).raw_text
    before = page.input_value("#line-0")
    first_word = before.split()[0]
    # a Vietnamese input method may send decomposed characters: stored NFC all the same
    typed = unicodedata.normalize("NFD", "Đã sửa: ") + before
    page.fill("#line-0", typed)
    press(page, "Alt+s")  # keyboard shortcut: save correction
    before = raw_before
    flags = [f for f in FlagRepository(settings.db_url).flags(original) if f.level != "link"]
    assert sorted((f.type, f.status, f.resolved_by) for f in flags)[:2] == [
        ("invalid_syllable", "corrected", "alice"), ("low_confidence", "corrected", "alice")]
    with review.sessions() as s:
        version = s.scalar(select(PassageVersion))
        assert version.author == "alice" and version.kind == "correction" and version.version == 1
        assert version.text == unicodedata.normalize("NFC", "Đã sửa: " + before.strip())
        raw = s.scalar(select(Passage.text).where(Passage.text == version.base_text))
        assert raw == before and not raw.startswith("Đã sửa")  # the raw OCR is untouched
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "correct"))
        assert event.user == "alice" and event.before == before and event.after == version.text
        assert sorted(event.flag_ids) == sorted(f.id for f in FlagRepository(settings.db_url).flags(original)
                                                if f.resolved_by == "alice")
    # the record page shows the corrected text beside the English
    page.goto(site["url"] + f"/records/{original}")
    assert page.locator("p.passage.corrected").first.inner_text().startswith("Đã sửa:")
    assert page.locator("#corrected-count").inner_text() == "1"
    assert page.locator("td[lang=en] p").count() >= 1
    # sentences, alignment and flags are recomputed by the reprocess_document flow
    deadline = time.time() + 120
    while time.time() < deadline:
        with review.sessions() as s:
            done = s.scalar(select(AuditEvent).where(AuditEvent.action.in_(["recomputed", "recompute_failed"])))
        if done:
            break
        time.sleep(0.5)
    assert done is not None and done.action == "recomputed", done and done.note
    sentences = [x.text for x in AlignmentRepository(settings.db_url).sentences(original)]
    assert any(x.startswith("Đã sửa:") for x in sentences)
    with review.sessions() as s:
        corrected = s.scalar(select(Passage).where(Passage.text == version.base_text))
    reflagged = [f for f in _open_flags(settings, original) if f.level != "link" and f.page_number == 1
                 and f.line_number == corrected.first_line]
    assert not reflagged  # the corrected line is not flagged again
    assert first_word in " ".join(sentences)
    context.close()


def test_script_in_ocr_text_shows_as_text(site, browser):
    context, page = login(browser, site, "alice")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site["url"] + f"/passages/{site['hostile']}/1/0")
    assert SCRIPT in page.input_value("#line-0")
    assert "<script>window.__pwned" in page.locator(".flags li").first.inner_text()  # the evidence too
    page.goto(site["url"] + f"/records/{site['hostile']}")
    assert SCRIPT in page.locator("table.parallel").inner_text()
    assert page.evaluate("() => window.__pwned") is None and not dialogs
    context.close()


def test_skip_and_accept_by_keyboard(site, browser):
    settings, hostile = site["settings"], site["hostile"]
    context, page = login(browser, site, "bob")
    page.goto(site["url"] + f"/queue?document={hostile}")
    page.click("#start")
    page.wait_for_url(lambda url: "/passages/" in url)
    press(page, "Alt+k")  # skip: stays open, the queue moves on
    assert len(_open_flags(settings, hostile)) == 1
    page.goto(site["url"] + f"/passages/{hostile}/1/0")
    press(page, "Alt+a")  # accept as correct
    assert [f.status for f in FlagRepository(settings.db_url).flags(hostile)] == ["accepted"]
    with ReviewRepository(settings.db_url).sessions() as s:
        accepted = s.scalar(select(PassageVersion).where(PassageVersion.document_id == hostile,
                                                         PassageVersion.kind == "accepted"))
        assert accepted.author == "bob" and SCRIPT in accepted.text
    context.close()


def test_translation_problem_on_a_link_flag(site, browser):
    settings, original, translation = site["settings"], site["original"], site["translation"]
    FlagRepository(settings.db_url).replace(original, [
        RuleFlag("anchor_mismatch", "high", "link", "numbers/dates differ: original ['n:417'], translation -",
                 link=0)], scope="link", target_document_id=translation)
    flag = next(f for f in _open_flags(settings, original) if f.type == "anchor_mismatch")
    context, page = login(browser, site, "alice")
    page.goto(site["url"] + f"/flags/{flag.id}")
    assert "anchor_mismatch" in page.locator(".flags").inner_text()
    assert page.locator("table.pairs tr").count() == 1  # the flagged sentence pair, side by side
    page.fill("#note", "the translator left out the cable number")
    press(page, "Alt+t")
    flag = next(f for f in FlagRepository(settings.db_url).flags(original) if f.id == flag.id)
    assert flag.status == "translation_problem" and flag.resolved_by == "alice"
    with ReviewRepository(settings.db_url).sessions() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "translation_problem"))
        assert event.note == "the translator left out the cable number" and event.flag_ids == [flag.id]
    context.close()


def test_two_reviewers_on_one_passage_the_second_gets_the_conflict(site, browser):
    settings, hostile = site["settings"], site["hostile"]
    path = f"/passages/{hostile}/1/1"
    ca, pa = login(browser, site, "alice")
    cb, pb = login(browser, site, "bob")
    pa.goto(site["url"] + path)
    pb.goto(site["url"] + path)
    pa.fill("#line-0", "Đoạn thứ hai, alice sửa.")
    pa.click("#save")
    pa.wait_for_url(lambda url: path not in url)
    pb.fill("#line-0", "Đoạn thứ hai, bob sửa.")
    with pb.expect_response(lambda r: r.request.method == "POST") as posted:
        pb.click("#save")
    assert posted.value.status == 409
    assert pb.locator("#conflict").is_visible()
    assert "alice" in pb.locator("p.error").inner_text()
    assert pb.locator("textarea").input_value() == "Đoạn thứ hai, bob sửa."  # bob's text is not lost
    with ReviewRepository(settings.db_url).sessions() as s:
        versions = list(s.scalars(select(PassageVersion).where(PassageVersion.document_id == hostile,
                                                               PassageVersion.passage_number == 1)))
        assert [(v.author, v.text) for v in versions] == [("alice", "Đoạn thứ hai, alice sửa.")]
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "conflict")).user == "bob"
    ca.close()
    cb.close()


def test_login_attempts_are_rate_limited(site, browser):
    limiter = site["app"].state.limiter
    try:
        context = browser.new_context()
        page = context.new_page()
        statuses = []
        for _ in range(site["settings"].login_max_failures + 1):
            page.goto(site["url"] + "/login")
            page.fill("input[name=username]", "mallory")
            page.fill("input[name=password]", "guess-guess")
            with page.expect_response(lambda r: r.request.method == "POST") as posted:
                page.click("button[type=submit]")
            statuses.append(posted.value.status)
        assert statuses[:-1] == [401] * site["settings"].login_max_failures
        assert statuses[-1] == 429 and "Too many" in page.locator(".error").inner_text()
        context.close()
    finally:
        from sqlalchemy import delete

        from storage.models import LoginFailure

        with limiter.repo.sessions.begin() as s:  # the failures are kept in the database
            s.execute(delete(LoginFailure))


def test_a_flags_suggested_word_goes_into_the_text(site, browser):
    """A flag that suggests a word ("thi" -> "thí") offers it: one click puts it in the editable
    copy at the flagged occurrence (a word read twice: the second), and saving keeps it."""
    import re

    settings, original = site["settings"], site["original"]
    doc = Repository(settings.db_url).get_document(original, full=True)
    found = None
    for page in doc.pages[::-1]:  # the last page: the other tests correct the first
        for ps in page.passages:
            for ln in (l for l in page.lines if ps.first_line <= l.number <= ps.last_line):
                seen = set()  # a word read twice in one line: the flag names the second
                for w in ln.words:
                    if w.text.isalpha() and w.text.islower() and w.text in seen and found is None:
                        found = (page, ps, ln, w)
                    seen.add(w.text)
    assert found, "no line reads a word twice"
    page, ps, ln, w = found
    FlagRepository(settings.db_url).replace(original, [
        RuleFlag("close_alternative", "low", "word", f"“{w.text}” could also read “zzz”", page.number, ln.number,
                 w.number, bbox=(w.x0, w.y0, w.x1, w.y1), details={"suggestion": "zzz", "alternative_confidence": 61.0})],
        scope="page")
    context, browser_page = login(browser, site, "alice")
    browser_page.goto(site["url"] + f"/passages/{original}/{page.number}/{ps.number}")
    field = f"#line-{ln.number - ps.first_line}"
    before = browser_page.input_value(field)
    assert before == ln.text
    browser_page.click("button.suggest")
    edge = r"[\s.,;:!?\"'()]"
    hits = [m.start(1) for m in re.finditer(rf"(?:^|{edge})({re.escape(w.text)})(?={edge}|$)", before)]
    assert len(hits) >= 2  # the flagged word is the second of them
    at = hits[1]
    assert browser_page.input_value(field) == before[:at] + "zzz" + before[at + len(w.text):]
    assert browser_page.locator("button.suggest").is_disabled()
    with browser_page.expect_navigation():
        browser_page.click("#save")
    view = ReviewRepository(settings.db_url).passage_view(PassageRef(original, page.number, ps.number))
    assert view.line_texts[ln.number - ps.first_line] == before[:at] + "zzz" + before[at + len(w.text):]
    context.close()
