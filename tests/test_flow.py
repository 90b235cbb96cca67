"""The ingest flows under Prefect's test harness: a good batch, then a bad one beside it."""

import pytest
from sqlalchemy import select

from flows.runtime import configure_prefect
from tests.conftest import BAD_REASONS, EXAMPLES

configure_prefect()
from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from flows.ingest import ingest_batch, ingest_document  # noqa: E402
from flows.steps import FileJob  # noqa: E402
from storage.models import Document, Line, Page  # noqa: E402
from storage.repository import Repository  # noqa: E402

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module", autouse=True)
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def snapshot(repo: Repository) -> list[tuple]:
    with repo.sessions() as s:
        pages = s.execute(select(Page.document_id, Page.number, Page.text, Page.original_image)).all()
        lines = s.execute(select(Line.page_id, Line.number, Line.text, Line.confidence)).all()
        docs = s.execute(select(Document.id, Document.sha256, Document.status)).all()
    return sorted(map(tuple, docs)) + sorted(map(tuple, pages)) + sorted(map(tuple, lines))


def test_batch_then_bad_inputs_leave_stored_documents_untouched(settings, bad_inputs):
    good = [FileJob(str(EXAMPLES / "cable-417-vi.tif"), collection="samples", lang="vie",
                    metadata={"record_id": "sample-417", "title": "Cable No. 417"}),
            FileJob(str(EXAMPLES / "cable-417-en.pdf"), collection="samples", lang="eng")]
    report = ingest_batch(good, settings=settings, collection="samples")
    assert [f.state for f in report.files] == ["stored", "stored"]
    repo = Repository(settings.db_url)
    before = snapshot(repo)
    doc = repo.get_document(report.files[0].document_id, full=True)
    assert doc.record.record_id == "sample-417" and len(doc.pages) == 2
    assert "Bộ Chính trị" in doc.pages[0].text
    pdf = repo.get_document(report.files[1].document_id, full=True)
    assert [p.text_source for p in pdf.pages] == ["text_layer", "ocr"]
    assert all(p.original_image for p in pdf.pages) and pdf.pages[1].preprocessed_image

    names = sorted(bad_inputs)
    jobs = [FileJob(str(bad_inputs[n])) for n in names]
    jobs.append(FileJob("/nowhere/missing.tif", missing_reason="file named in manifest m.csv not found"))
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


def test_single_document_flow(settings):
    result = ingest_document(FileJob(str(EXAMPLES / "cable-418-vi.jpg"), lang="vie"), settings=settings)
    assert result.state == "stored" and result.pages == 1
    assert result.mean_confidence is not None and result.mean_confidence > 80
