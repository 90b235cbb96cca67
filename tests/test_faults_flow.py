"""The fault-and-attack probe of issue 13 through the ingest flow (Prefect's test harness)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from flows.runtime import configure_prefect
from tests.helpers import EXAMPLES

configure_prefect()
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows.app.jobs import FileJob  # noqa: E402
from flows.app.pages import ingest_page  # noqa: E402
from flows.app.steps import prepare_document  # noqa: E402
from flows.ingest import ingest_batch  # noqa: E402
from storage.documents import DocumentRepository  # noqa: E402

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, settings):
    if request.param == "sqlite":
        return settings
    from tests.test_flow import _clear

    pg = replace(settings, db_url=request.getfixturevalue("pg_database"))
    _clear(DocumentRepository(pg.db_url))
    return pg


def test_failing_page_fails_its_document_and_the_batch_goes_on(any_db, tmp_path):
    """An OCR timeout (after its retries) used to crash the batch with an AttributeError, leaving
    every document 'processing' and the run 'running'."""
    text = tmp_path / "translation.txt"
    text.write_text("A typed translation.\n", encoding="utf-8")
    nul = tmp_path / "nul.txt"  # PostgreSQL refused the NUL deep inside the batch
    nul.write_bytes(b"typed text " * 200 + b"\x00" * 3 + b" more\n")  # past the sniffed head
    settings = replace(any_db, ocr_timeout=0.01)
    jobs = [FileJob(str(EXAMPLES / "cable-418-vi.jpg")), FileJob(str(text)), FileJob(str(nul))]
    report = ingest_batch(jobs, settings=settings)
    states = {f.path: (f.state, f.error) for f in report.files}
    assert states[str(text)] == ("stored", None)
    state, reason = states[str(EXAMPLES / "cable-418-vi.jpg")]
    assert state == "quarantined" and reason.startswith("page 1: ") and "\n" not in reason
    assert "AttributeError" not in reason
    assert states[str(nul)][0] == "quarantined" and "NUL" in states[str(nul)][1]
    repo = DocumentRepository(settings.db_url)
    assert repo.status_counts().get("processing", 0) == 0 and repo.status_counts().get("pending", 0) == 0
    assert repo.recent_runs(1)[0].status == "partial"


def test_same_bytes_twice_in_one_batch_are_read_once(any_db, tmp_path):
    settings = any_db
    a = tmp_path / "a.jpg"
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", a)
    copy = tmp_path / "b-copy.jpg"
    shutil.copy(a, copy)
    report = ingest_batch([FileJob(str(a)), FileJob(str(copy))], settings=settings)
    # the prepare steps run in parallel: whichever claimed the bytes first is read, once
    stored, = [f for f in report.files if f.state == "stored"]
    duplicate, = [f for f in report.files if f.state == "duplicate"]
    assert {stored.path, duplicate.path} == {str(a), str(copy)}
    assert stored.pages == 1 and duplicate.error == f"same bytes as {stored.path}"
    assert sum(f.pages for f in report.files if f.state == "stored") == 1


def test_failed_files_with_identical_bytes_each_get_a_record(any_db, tmp_path):
    settings = any_db
    for name in ("one.pdf", "two.pdf"):
        (tmp_path / name).write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    report = ingest_batch([FileJob(str(tmp_path / "one.pdf")), FileJob(str(tmp_path / "two.pdf"))],
                          settings=settings)
    assert [f.state for f in report.files] == ["quarantined", "quarantined"]
    assert report.files[0].document_id != report.files[1].document_id
    bad = {d.filename: d.error_reason for d in DocumentRepository(settings.db_url).quarantined()}
    assert set(bad) == {"one.pdf", "two.pdf"} and bad["one.pdf"] == bad["two.pdf"]


def test_file_another_run_is_reading_is_busy_not_duplicate(any_db):
    settings = any_db
    repo = DocumentRepository(settings.db_url)
    other = repo.start_run(trigger="cli", files=1)  # a live run (this process): it has the file
    scan = EXAMPLES / "cable-418-vi.jpg"
    prepare_document(FileJob(str(scan)), settings, other)
    report = ingest_batch([FileJob(str(scan))], settings=settings)
    assert report.files[0].state == "busy" and "another run" in report.files[0].error


def test_mean_confidence_after_a_resumed_run_covers_every_page(any_db):
    """A killed run stored page 1; the next run reads page 2 and reports the document's mean."""
    settings = any_db
    scan = str(EXAMPLES / "cable-417-vi.tif")
    plan = prepare_document(FileJob(scan), settings, None)
    first = ingest_page(plan.document_id, scan, plan.media_type, 1, "vie", settings)
    report = ingest_batch([FileJob(scan)], settings=settings)
    [result] = report.files
    assert result.state == "stored" and result.pages == 2
    doc = DocumentRepository(settings.db_url).get_document(plan.document_id)
    confs = [p.mean_confidence for p in doc.pages]
    assert first.mean_confidence == confs[0]
    assert result.mean_confidence == round(sum(confs) / 2, 2)


def test_original_is_kept_and_passes_fixity(settings):
    from flows.app.originals import check_fixity
    from flows.app.store import open_store

    scan = EXAMPLES / "cable-417-vi.tif"
    report = ingest_batch([FileJob(str(scan))], settings=settings)
    store = open_store(settings)
    doc = store.documents.get_document(report.files[0].document_id)
    assert doc.original_file and store.files.read_bytes(doc.original_file) == scan.read_bytes()
    fixity = check_fixity(store, [doc.id])
    assert fixity.ok and fixity.files == 1 + 2 * 2  # the original, each page's image and its cleaned copy


@pytest.fixture
def small_disk(tmp_path):
    """The image store on its own 4 MB file system (a tmpfs: CI runs as root, as here)."""
    import subprocess

    files = tmp_path / "files"
    files.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(files)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield files
    finally:
        subprocess.run(["umount", "-l", str(files)], check=False)


def test_a_full_disk_in_the_middle_of_a_run_fails_only_its_document(settings, small_disk, tmp_path):
    """The image store fills up while a batch runs: the page that cannot be written fails its
    document with a one-line reason, the batch goes on, what was stored stays intact, and once
    space is freed a rerun completes (it used to crash the batch with an AttributeError). Then the
    store turns read-only, the other store fault the probe met."""
    import os
    import subprocess

    from flows.app.originals import check_fixity
    from flows.app.store import open_store

    settings = replace(settings, files_dir=str(small_disk))
    first = ingest_batch([FileJob(str(EXAMPLES / "cable-417-vi.tif"))], settings=settings)
    assert first.files[0].state == "stored"
    text = tmp_path / "translation.txt"
    text.write_text("A typed translation.\n", encoding="utf-8")
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler = small_disk / "filler"  # leaves room for the scan's original (203 kB), not its page images
    filler.write_bytes(b"\0" * (free - 300_000))
    scan = EXAMPLES / "cable-418-vi.jpg"
    report = ingest_batch([FileJob(str(scan)), FileJob(str(text))], settings=settings)
    states = {f.path: (f.state, f.error) for f in report.files}
    assert states[str(text)] == ("stored", None)  # the batch went on
    state, reason = states[str(scan)]
    assert state == "quarantined" and reason.startswith("page 1: ") and "\n" not in reason, reason
    assert "No space left on device" in reason  # its original was kept; a page image did not fit
    assert "AttributeError" not in reason and len(reason) < 300
    assert not list(small_disk.rglob(".tmp-*"))  # no half-written file
    store = open_store(settings)
    assert check_fixity(store).ok  # every file stored before and during the run is intact
    repo = DocumentRepository(settings.db_url)
    assert repo.status_counts().get("processing", 0) == 0 and repo.recent_runs(1)[0].status == "partial"

    filler.unlink()  # the operator frees space and runs the same batch again
    again = ingest_batch([FileJob(str(scan)), FileJob(str(text))], settings=settings)
    assert {f.path: f.state for f in again.files} == {str(scan): "stored", str(text): "duplicate"}
    assert check_fixity(open_store(settings)).ok

    # the store turns read-only (a remount after disk errors): a new file fails with one line
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    later = tmp_path / "later.txt"
    later.write_text("Another typed page.\n", encoding="utf-8")
    ro = ingest_batch([FileJob(str(later)), FileJob(str(scan))], settings=settings)
    states = {f.path: (f.state, f.error) for f in ro.files}
    assert states[str(scan)] == ("duplicate", states[str(scan)][1])  # what is stored is still read
    state, reason = states[str(later)]
    assert state == "quarantined" and "Read-only file system" in reason and "\n" not in reason, reason
    assert check_fixity(open_store(settings)).ok
