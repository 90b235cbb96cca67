"""The ingest flows under Prefect's test harness: a good batch, then a bad one beside it."""

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.runtime import configure_prefect
from tests.helpers import BAD_REASONS, EXAMPLES

configure_prefect()
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows.app.jobs import FileJob  # noqa: E402
from flows.ingest import ingest_batch, ingest_document  # noqa: E402
from storage.documents import DocumentRepository  # noqa: E402
from storage.models import Document, LineRow, PageRow  # noqa: E402

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def snapshot(repo: DocumentRepository) -> list[tuple]:
    with repo.sessions() as s:
        pages = s.execute(select(PageRow.document_id, PageRow.number, PageRow.text, PageRow.original_image)).all()
        lines = s.execute(select(LineRow.page_id, LineRow.number, LineRow.text, LineRow.confidence)).all()
        docs = s.execute(select(Document.id, Document.sha256, Document.status)).all()
    return sorted(map(tuple, docs)) + sorted(map(tuple, pages)) + sorted(map(tuple, lines))


@pytest.fixture(params=["sqlite", "postgresql"])
def flow_settings(request, settings, tmp_path):
    if request.param == "sqlite":
        return settings
    from dataclasses import replace

    pg = replace(settings, db_url=request.getfixturevalue("pg_database"))
    _clear(DocumentRepository(pg.db_url))  # the session's database may hold other tests' rows
    return pg


def test_batch_then_bad_inputs_leave_stored_documents_untouched(flow_settings, bad_inputs):
    settings = flow_settings
    good = [FileJob(str(EXAMPLES / "cable-417-vi.tif"), collection="samples", lang="vie",
                    metadata={"record_id": "sample-417", "title": "Cable No. 417"}),
            FileJob(str(EXAMPLES / "cable-417-en.pdf"), collection="samples", lang="eng")]
    report = ingest_batch(good, settings=settings, collection="samples")
    assert [f.state for f in report.files] == ["stored", "stored"]
    repo = DocumentRepository(settings.db_url)
    before = snapshot(repo)
    doc = repo.get_document(report.files[0].document_id, full=True)
    assert doc.record.record_id == "sample-417" and len(doc.pages) == 2
    assert "Bộ Chính trị" in doc.pages[0].text
    pdf = repo.get_document(report.files[1].document_id, full=True)
    assert [p.text_source for p in pdf.pages] == ["text_layer", "ocr"]
    assert all(p.original_image for p in pdf.pages) and pdf.pages[1].preprocessed_image

    names = sorted(bad_inputs)
    jobs = [FileJob(str(bad_inputs[n])) for n in names]
    jobs.append(FileJob("/nowhere/missing.tif", error="file named in manifest m.csv not found"))
    jobs.append(FileJob(str(EXAMPLES / "cable-417-vi.tif")))  # same bytes again
    jobs.append(FileJob(str(EXAMPLES / "cable-418-vi.jpg")))  # a good file in a bad batch
    report2 = ingest_batch(jobs, settings=settings)
    by_path = {f.path: f for f in report2.files}
    for n in names:
        result = by_path[str(bad_inputs[n])]
        assert result.state == "quarantined", n
        assert BAD_REASONS[n] in result.error, (n, result.error)
    assert by_path["/nowhere/missing.tif"].state == "quarantined"
    assert by_path[str(EXAMPLES / "cable-417-vi.tif")].state == "duplicate"
    assert by_path[str(EXAMPLES / "cable-418-vi.jpg")].state == "stored"

    after = snapshot(repo)
    assert set(before) <= set(after)  # nothing stored before was changed or lost
    counts = repo.status_counts()
    assert counts == {"stored": 3, "quarantined": len(names) + 1}
    run = repo.recent_runs(1)[0]
    assert (run.stored, run.duplicates, run.quarantined) == (1, 1, len(names) + 1)
    assert {e["file"] for e in run.errors} >= {str(bad_inputs[n]) for n in names}
    _clear(repo)


def _clear(repo):
    """The PostgreSQL database lives for the whole session: leave it empty for the next test."""
    from sqlalchemy import delete

    from storage.models import IngestRun

    with repo.sessions.begin() as s:
        s.execute(delete(Document))
        s.execute(delete(IngestRun))


def test_two_batches_at_once_on_postgresql(pg_database, tmp_path):
    """Two batches share a file: it is stored once, and every other file is stored."""
    from concurrent.futures import ThreadPoolExecutor

    from ingest.settings import Settings

    settings = Settings(db_url=pg_database, files_dir=str(tmp_path / "files"), workers=2)
    _clear(DocumentRepository(settings.db_url))
    a = [FileJob(str(EXAMPLES / "cable-417-vi.tif")), FileJob(str(EXAMPLES / "cable-418-vi.jpg"))]
    b = [FileJob(str(EXAMPLES / "cable-417-en.pdf")), FileJob(str(EXAMPLES / "cable-418-vi.jpg"))]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda jobs: ingest_batch(jobs, settings=settings), [a, b]))
    repo = DocumentRepository(settings.db_url)
    assert repo.status_counts() == {"stored": 3}
    states = sorted(f.state for r in reports for f in r.files)
    assert states.count("stored") >= 3 and "quarantined" not in states
    with repo.sessions() as s:
        pages = s.execute(select(PageRow.document_id, PageRow.number)).all()
    assert len(pages) == len(set(pages)) == 5
    _clear(repo)


def test_single_document_flow(settings):
    result = ingest_document(FileJob(str(EXAMPLES / "cable-418-vi.jpg"), lang="vie"), settings=settings)
    assert result.state == "stored" and result.pages == 1
    assert result.mean_confidence is not None and result.mean_confidence > 80


def test_pages_run_on_a_dask_cluster(settings):
    """With a Dask scheduler address in settings, page tasks run on its two worker processes."""
    from dataclasses import replace

    from distributed import LocalCluster

    from flows.ingest import with_runner

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        dask_settings = replace(settings, dask_address=cluster.scheduler_address)
        jobs = [FileJob(str(EXAMPLES / "cable-417-vi.tif")), FileJob(str(EXAMPLES / "cable-417-en.pdf"))]
        report = with_runner(dask_settings)(jobs, settings=dask_settings)
    assert [f.state for f in report.files] == ["stored", "stored"]
    workers = {w for f in report.files for w in f.workers}
    assert workers and all(not w.endswith(f":{os.getpid()}") for w in workers)  # not in this process
    repo = DocumentRepository(settings.db_url)
    with repo.sessions() as s:
        assert s.scalar(select(PageRow.id).where(PageRow.number == 2).limit(1)) is not None
        assert len(s.execute(select(PageRow.id)).all()) == 4


def test_nightly_ingest_moves_scans_and_reports(settings, tmp_path, monkeypatch):
    import shutil

    from prefect.client.orchestration import get_client

    from flows.nightly import nightly_ingest

    inbox, done, bad = tmp_path / "inbox", tmp_path / "done", tmp_path / "quarantine"
    (inbox / "box-3").mkdir(parents=True)
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", inbox / "box-3" / "cable-418-vi.jpg")
    shutil.copy(EXAMPLES / "cable-417-en.pdf", inbox / "cable-417-en.pdf")
    (inbox / "box-3" / "torn.tif").write_bytes(b"II*\x00garbage")
    (inbox / ".incoming").mkdir()
    (inbox / ".incoming" / ".tmp-half-copied").write_bytes(b"II*")  # a copy still under way
    for key, value in {"DB_URL": settings.db_url, "FILES_DIR": settings.files_dir, "DONE_DIR": str(done),
                       "QUARANTINE_DIR": str(bad), "WORKERS": "2"}.items():
        monkeypatch.setenv(f"ARCHIVE_{key}", value)

    summary = nightly_ingest(str(inbox), "box-3")
    assert (summary["documents"], summary["stored"], summary["failed"], summary["pages"]) == (3, 2, 1, 3)
    assert (done / "box-3" / "cable-418-vi.jpg").exists() and (done / "cable-417-en.pdf").exists()
    assert (bad / "box-3" / "torn.tif").read_bytes() == b"II*\x00garbage"  # never deleted
    reason = (bad / "box-3" / "torn.tif.reason.txt").read_text()
    assert "torn.tif" not in reason and reason.strip()
    assert (inbox / ".incoming" / ".tmp-half-copied").exists()  # not touched
    assert not [p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")]

    run = DocumentRepository(settings.db_url).recent_runs(1)[0]
    assert run.trigger == "nightly" and run.report["pages"] == 3 and run.report["mean_confidence"] > 80
    assert run.report["failures"][0]["file"].endswith("torn.tif")

    import anyio

    async def artifacts():
        async with get_client() as client:
            return await client.read_latest_artifacts()

    keys = {a.key for a in anyio.run(artifacts)}
    assert {"nightly-ingest-report", "nightly-ingest-files"} <= keys

    # the same scan handed in again the next night: a duplicate, moved on, nothing stored twice
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", inbox / "again.jpg")
    second = nightly_ingest(str(inbox), "box-3")
    assert (second["duplicates"], second["stored"]) == (1, 0)
    assert (done / "again.jpg").exists()


def test_translation_paired_by_manifest_is_aligned_and_exported(settings, tmp_path):
    """The manifest's translation_of pairs the English PDF with the Vietnamese scans; alignment
    runs in the ingest flow; an original without translation waits as 'translation pending'."""
    from ingest.manifest import read_manifest
    from storage.alignments import AlignmentRepository
    from storage.export import document_dict

    rows = read_manifest(EXAMPLES / "manifest.csv")
    jobs = [FileJob(str(r.file), lang=r.lang, metadata=r.metadata) for r in rows]
    report = ingest_batch(jobs, settings=settings)
    assert [f.state for f in report.files] == ["stored"] * 3
    ids = {Path(f.path).name: f.document_id for f in report.files}
    links = AlignmentRepository(settings.db_url)
    original, translation = ids["cable-417-vi.tif"], ids["cable-417-en.pdf"]
    rows = links.alignments(original)
    passages = [(a.source_ids, a.target_ids) for a in rows if a.level == "passage"]
    sentences = [a for a in rows if a.level == "sentence"]
    assert passages and all(a.target_document_id == translation for a in rows)
    assert sum(1 for a in sentences if len(a.source_ids) == 1 and a.source_ids == a.target_ids) >= 6
    assert all(0 <= a.score <= 1 and a.method and a.version for a in rows)
    repo = DocumentRepository(settings.db_url)
    assert repo.get_document(original).translation_status == "human"
    assert repo.get_document(ids["cable-418-vi.jpg"]).translation_status == "pending"
    # every sentence points back into its page's passage text
    doc = repo.get_document(original, full=True)
    for sent in links.sentences(original):
        page = next(p for p in doc.pages if p.number == sent.page_number)
        assert page.passages[sent.passage_number].text[sent.start:sent.end] == sent.text
    exported = document_dict(doc, alignments=rows, sentences=links.sentences(original))
    assert exported["alignments"][0]["level"] in ("passage", "sentence") and exported["sentences"]


def test_machine_draft_through_a_local_libretranslate(settings, tmp_path):
    from dataclasses import replace

    from storage.alignments import AlignmentRepository
    from tests.test_translate import FakeLibre

    server = FakeLibre()
    try:
        key = "lt-key-7f3a9c0e5b"
        mt_settings = replace(settings, translation_provider="libre", translation_url=server.url,
                              translation_api_key=key)
        report = ingest_batch([FileJob(str(EXAMPLES / "cable-418-vi.jpg"))], settings=mt_settings)
        doc_id = report.files[0].document_id
        assert DocumentRepository(settings.db_url).get_document(doc_id).translation_status == "machine"
        assert server.requests  # the draft was asked for
        assert all(r.get("api_key") == [key] for r in server.requests)  # with the key
        # ... which Prefect's record of the run does not keep: it holds the settings as parameters
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs()
        stored = [json.dumps(r.parameters) for r in runs if server.url in json.dumps(r.parameters)]
        assert stored and all("translation_api_key" in p and key not in p for p in stored)
        cache = AlignmentRepository(settings.db_url)
        from ingest.translate import TranslationConfig, cache_key

        first = cache.passages(doc_id)[0][2]
        assert cache.get(cache_key(TranslationConfig(provider="libre"), first)).startswith("EN[")
    finally:
        server.close()
    # provider down: the next original waits, it does not fail
    down = replace(settings, translation_provider="libre", translation_url="http://127.0.0.1:9/")
    report = ingest_batch([FileJob(str(EXAMPLES / "cable-417-vi.tif"))], settings=down)
    assert report.files[0].state == "stored"
    assert DocumentRepository(settings.db_url).get_document(report.files[0].document_id).translation_status == "pending"


def test_task_runs_carry_no_settings(settings):
    """Prefect's record of the batch's prepare, page and align task runs names plain inputs, never the
    settings (nor their secrets)."""
    from dataclasses import replace

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.ingest import reprocess_document

    key = "never-in-prefect-5e1d"
    keyed = replace(settings, translation_api_key=key)
    state = ingest_batch([FileJob(str(EXAMPLES / "cable-418-vi.jpg"))], settings=keyed, return_state=True)
    result = state.result().files[0]
    assert result.state in ("stored", "duplicate")
    again = reprocess_document(result.document_id, settings=keyed, return_state=True)  # its page read again
    assert again.result()["pages"] == 1 and not again.result()["failed"]
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id, again.state_details.flow_run_id])))
    names = [r.name for r in runs]
    for start in ("ingest-file", "reprocess page 1 of document", "flag-document",
                  "align-documents"):
        assert any(n.startswith(start) for n in names), (start, names)
    for r in runs:
        assert "settings" not in r.task_inputs, r.name
        assert "options" in r.task_inputs, r.name
        assert key not in r.model_dump_json(), r.name


def test_a_one_page_file_is_read_in_one_task_run(settings, tmp_path):
    """A one-page scan is planned and read in one task run (the Prefect server's CPU is per task run);
    a document of several pages still gets a task run per page."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows import progress

    jpg, pdf = tmp_path / "one.jpg", tmp_path / "two.pdf"  # bytes of their own: no earlier test stored them
    jpg.write_bytes((EXAMPLES / "cable-418-vi.jpg").read_bytes() + b"\0one task run")
    copy = tmp_path / "copy.jpg"  # the same bytes: read once, reported as a duplicate
    copy.write_bytes(jpg.read_bytes())
    pdf.write_bytes((EXAMPLES / "cable-417-en.pdf").read_bytes() + b"\n% two pages\n")

    calls: list[tuple] = []

    class Recorder:
        def planned(self, path: str, pages: int) -> None:
            calls.append(("planned", path, pages))

        def page_done(self, path: str, number: int, ok: bool) -> None:
            calls.append(("done", path, number))

    progress.set_reporter(Recorder())
    try:
        state = ingest_batch([FileJob(str(jpg)), FileJob(str(pdf)), FileJob(str(copy))], settings=settings,
                             return_state=True)
    finally:
        progress.set_reporter(None)
    one, two, again = state.result().files
    one, again = (one, again) if one.state == "stored" else (again, one)  # whichever claimed first is read
    assert (one.state, two.state, again.state) == ("stored", "stored", "duplicate")
    assert again.error == f"same bytes as {one.path}"
    # the progress bar: a page a file from the start, then each file's real count as it is planned
    assert calls[:3] == [("planned", str(jpg), 1), ("planned", str(pdf), 1), ("planned", str(copy), 1)]
    assert sum(c[2] for c in calls if c[0] == "planned") == 3 == len([c for c in calls if c[0] == "done"])
    repo = DocumentRepository(settings.db_url)
    page = repo.get_document(one.document_id, full=True).pages[0]
    assert page.text_source == "ocr" and page.text.strip() and page.preprocessed_image
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(
            any_=[state.state_details.flow_run_id])))
    names = [r.name for r in runs]
    assert sum(n.startswith("ingest-file") for n in names) == 3, names
    assert sorted(n for n in names if n.startswith("page ")) == [
        f"page 1 of document {two.document_id}", f"page 2 of document {two.document_id}"], names
