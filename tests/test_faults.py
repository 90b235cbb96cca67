"""The fault-and-attack probe of issue 13, ingest side, as tests of the parts themselves (no
Prefect): each reproduces one case that broke and checks what should happen instead."""

from __future__ import annotations

import os
import shutil
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.sources import PageLimits, find_input_files, inspect_document, sniff_media_type
from storage.documents import DocumentRepository
from storage.files import FileStore
from storage.documents import DocumentRepository as Repository
from tests.helpers import EXAMPLES


# ---- 2. a run deletes only what its own killed processes wrote --------------------------------
def test_sweep_removes_only_journaled_files_of_dead_processes(tmp_path):
    store = FileStore(tmp_path / "files")
    mine = store.put_bytes(b"page image of a killed run", "png")
    kept = store.put_bytes(b"page image still referenced", "png")
    # the journal of a process that is gone (pid 2**22 + 1 is above Linux's default pid_max)
    journal = next((tmp_path / "files" / ".journal").glob("*.log"))
    dead = journal.with_name(journal.name.rsplit("-", 1)[0] + f"-{2**22 + 1}.log")
    journal.rename(dead)
    other_db = tmp_path / "files" / "ab" / "cd" / ("abcd" + "0" * 60 + ".png")  # not in any journal
    other_db.parent.mkdir(parents=True)
    other_db.write_bytes(b"another database's image")
    operator = tmp_path / "files" / "ab" / "cd" / "notes.txt"
    operator.write_text("an operator's own file")
    removed = store.sweep({kept}, older_than=time.time() + 10)
    assert removed == 1
    assert not store.exists(mine) and store.exists(kept)
    assert other_db.exists() and operator.exists()  # never written by this store's processes


def test_store_claimed_by_another_database_is_refused(tmp_path):
    from flows.app.faults import StoreUnavailable
    from flows.app.originals import claim_file_store
    from ingest.settings import Settings

    files = tmp_path / "shared-files"
    production = Settings(db_url=f"sqlite:///{tmp_path}/production.db", files_dir=str(files))
    staging = Settings(db_url=f"sqlite:///{tmp_path}/staging.db", files_dir=str(files))
    claim_file_store(production)
    claim_file_store(production)  # its own store: fine, again and again
    with pytest.raises(StoreUnavailable, match="belongs to another database"):
        claim_file_store(staging)


# ---- 6, 8. symlinks are not followed; unreadable folders are reported -------------------------
def test_folder_ingest_does_not_follow_symlinks(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", folder / "scan.jpg")
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "linked").symlink_to(tmp_path)
    found = {f.path.name: f.problem for f in find_input_files([folder])}
    assert found["scan.jpg"] is None
    assert "symbolic link" in found["passwd.txt"] and "symbolic link" in found["linked"]
    followed = {f.path.name for f in find_input_files([folder], follow_symlinks=True) if f.problem is None}
    assert "passwd.txt" in followed


def test_unreadable_subfolder_is_reported():
    """As root every folder is readable, so this runs the search as `nobody` there (see
    tests/test_faults_unprivileged.py, which does the same for the whole command)."""
    import subprocess
    import sys

    import tempfile

    from tests.test_faults_unprivileged import unprivileged

    scans = Path(tempfile.mkdtemp(prefix="archive-unpriv-"))  # pytest's own folders are 0700
    sub = scans / "box-2"
    sub.mkdir()
    shutil.copy(EXAMPLES / "cable-418-vi.jpg", sub / "scan.jpg")
    scans.chmod(0o755)
    sub.chmod(0)
    code = ("import sys; from pathlib import Path; from ingest.sources import find_input_files; "
            "print([f.problem for f in find_input_files([Path(sys.argv[1])])])")
    try:
        found = subprocess.run(unprivileged([sys.executable, "-c", code, str(scans)]), capture_output=True,
                               text=True, cwd=Path(__file__).parents[1], timeout=120)
    finally:
        sub.chmod(0o755)
        shutil.rmtree(scans)
    assert found.stdout.strip() == "['folder cannot be read: Permission denied']", found.stderr


def test_prepare_refuses_a_symlink(settings, tmp_path):
    from flows.app.jobs import FileJob
    from flows.app.steps import prepare_document

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive\n")
    link = tmp_path / "innocent.txt"
    link.symlink_to(secret)
    plan = prepare_document(FileJob(str(link)), settings, None)
    assert plan.state == "quarantined" and "symbolic link" in plan.error


# ---- 7. limits checked before anything is decoded or rendered --------------------------------
@pytest.fixture(scope="module")
def tiny_bombs(tmp_path_factory) -> dict[str, Path]:
    import pikepdf

    d = tmp_path_factory.mktemp("bombs")
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200 * 72, 200 * 72))  # 200 x 200 inches in a few hundred bytes
    pdf.save(d / "huge-page.pdf")
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(612, 792))
    stream = pikepdf.Stream(pdf, zlib.compress(b"q Q\n" * (100 << 20 >> 2), 9))
    stream.Filter = pikepdf.Name.FlateDecode
    page.obj.Contents = stream
    pdf.save(d / "stream-bomb.pdf", stream_decode_level=pikepdf.StreamDecodeLevel.none)
    pdf = pikepdf.new()
    for _ in range(30):
        pdf.add_blank_page()
    pdf.save(d / "many-pages.pdf")
    return {p.stem: p for p in d.iterdir()}


@pytest.mark.parametrize("name, limits, reason", [
    ("huge-page", PageLimits(), "page 1: page too large (200 x 200 in"),
    ("stream-bomb", PageLimits(max_stream_bytes=16 << 20), "content stream inflates past 16 MB"),
    ("many-pages", PageLimits(max_pages=20), "too many pages (30 > 20"),
])
def test_pdf_limits_refuse_before_rendering(tiny_bombs, name, limits, reason):
    import tracemalloc

    tracemalloc.start()
    began = time.perf_counter()
    with pytest.raises(IngestError) as err:
        inspect_document(tiny_bombs[name], limits.max_pixels, limits=limits)
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert reason in str(err.value) and "\n" not in str(err.value)
    assert seconds < 5 and peak < 50 << 20  # refused from the structure, not by rendering


def test_tiny_image_claiming_a_huge_page_is_refused_from_its_header(tmp_path):
    from PIL import Image

    Image.new("1", (12000, 12000), 1).save(tmp_path / "blank.png")  # 144 MP, under max_pixels, ~20 kB
    with pytest.raises(IngestError, match="image too large for its file .*max_pixels_per_byte"):
        inspect_document(tmp_path / "blank.png", 150_000_000)
    Image.new("1", (2480, 3508), 1).save(tmp_path / "a4.png")  # a blank A4 page at 300 dpi is fine
    assert inspect_document(tmp_path / "a4.png", 150_000_000).page_count == 1


def test_page_limits_come_from_settings(tiny_bombs, settings):
    from flows.app.jobs import FileJob
    from flows.app.steps import prepare_document

    plan = prepare_document(FileJob(str(tiny_bombs["many-pages"])), replace(settings, max_pages=10), None)
    assert plan.state == "quarantined" and "the max_pages setting" in plan.error


# ---- 16. an image is sniffed by its signature first --------------------------------------------
def test_png_with_pdf_marker_in_a_text_chunk_is_a_png(tmp_path):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "%PDF-1.4 scanned from a PDF")
    Image.new("L", (50, 50), 255).save(tmp_path / "scan.png", pnginfo=info)
    assert b"%PDF-" in (tmp_path / "scan.png").read_bytes()[:1024]
    assert sniff_media_type(tmp_path / "scan.png") == "image/png"
    assert inspect_document(tmp_path / "scan.png", 10**8).media_type == "image/png"


# ---- 11, 17. untrusted text printed without markup or control characters ---------------------
def test_printable_escapes_control_characters():
    from flows.app.faults import printable

    forged = "a.tif  (document 999)\nstored     evil.tif\x1b[2J\u202e"
    shown = printable(forged)
    assert "\n" not in shown and "\x1b" not in shown and "\u202e" not in shown
    assert "\\n" in shown and "\\x1b" in shown
    assert printable("Bộ Chính trị :x: [bold]") == "Bộ Chính trị :x: [bold]"
    assert printable("line 1\nline 2\x07", keep_lines=True) == "line 1\nline 2\\x07"


# ---- 12, 22. the manifest: warnings, semicolons, multi-line cells, NUL -------------------------
def test_manifest_semicolons_multiline_cells_extra_values_and_nul(tmp_path):
    from ingest.manifest import read_manifest

    (tmp_path / "m.csv").write_text(
        'file;title;title;subjects\n'
        'a.tif;"Điện số 417\nbản dịch";;Ngoại giao, Hòa đàm\n'
        'b.tif;B\x00ad;Second title;x;stray value\n', encoding="utf-8")
    warnings: list[str] = []
    rows = read_manifest(tmp_path / "m.csv", warn=warnings.append)
    assert [r.file.name for r in rows] == ["a.tif", "b.tif"]
    assert rows[0].metadata["title"] == "Điện số 417\nbản dịch"
    assert rows[0].metadata["subjects"] == ["Ngoại giao, Hòa đàm"]
    assert rows[1].metadata["title"] == "Second title"
    assert any("'title' appears 2 times" in w for w in warnings)
    assert any("line 4: 1 value(s) beyond the header ignored" in w for w in warnings)
    assert any("control characters removed from 'title'" in w for w in warnings)
    assert all("\x00" not in str(r.metadata) for r in rows)


def test_nul_in_metadata_quarantines_with_one_line_not_pending(db_url, tmp_path):
    """PostgreSQL refuses NUL in text: the document is quarantined with a short reason instead of
    staying 'pending' with an SQL dump (SQLite stores it)."""
    from flows.app.jobs import FileJob
    from flows.app.steps import prepare_document
    from ingest.settings import Settings

    settings = Settings(db_url=db_url, files_dir=str(tmp_path / "files"))
    scan = tmp_path / f"nul-{time.time_ns()}.png"
    from PIL import Image

    Image.new("L", (40, 40 + time.time_ns() % 1000), 255).save(scan)
    plan = prepare_document(FileJob(str(scan), metadata={"title": "bad\x00title"}), settings, None)
    doc = DocumentRepository(db_url).get_document(plan.document_id)
    assert doc.status != "pending"
    if db_url.startswith("postgresql"):
        assert plan.state == "quarantined" and doc.status == "quarantined"
        assert "\n" not in doc.error_reason and "INSERT" not in doc.error_reason and len(doc.error_reason) < 300


def test_nul_in_text_file_is_a_bad_file(tmp_path):
    (tmp_path / "t.txt").write_bytes(("a" * 2000).encode() + b"\x00tail\n")
    with pytest.raises(IngestError, match="NUL"):
        inspect_document(tmp_path / "t.txt", 10**8)


# ---- 9. infrastructure faults are one line and their own exit code ----------------------------
def test_faults_are_classified_with_distinct_codes():
    from sqlalchemy import create_engine, text

    from flows.app.faults import ExitCode, classify

    try:
        with create_engine("postgresql+psycopg://postgres@127.0.0.1:1/x").connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        fault = classify(exc)
    assert fault.code == ExitCode.DATABASE_UNAVAILABLE and "\n" not in str(fault)
    import pytesseract

    assert classify(pytesseract.TesseractNotFoundError()).code == ExitCode.MISSING_DEPENDENCY
    assert classify(OSError(28, "No space left on device")).code == ExitCode.STORE_UNAVAILABLE
    assert classify(RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")
                    ).code == ExitCode.WORKFLOW_ENGINE_UNAVAILABLE
    assert classify(KeyError("a bug")) is None
    assert len({c.value for c in ExitCode}) == len(ExitCode)


def test_read_only_sqlite_database_can_be_read(tmp_path, monkeypatch):
    from storage import db

    url = f"sqlite:///{tmp_path}/ro.db"
    DocumentRepository(url).start_run(files=1)
    db.engine(url).dispose()
    db._engine_for.cache_clear()
    monkeypatch.setattr(db, "_read_only", lambda path: True)  # as for a user without write access
    try:
        repo = DocumentRepository(url)
        assert len(repo.recent_runs()) == 1 and repo.status_counts() == {}
        from sqlalchemy.exc import OperationalError

        with pytest.raises(OperationalError, match="readonly"):
            repo.start_run(files=1)
    finally:
        db._engine_for.cache_clear()


# ---- 18. Tesseract's page images of a killed process are swept -------------------------------
def test_ocr_temp_folders_of_dead_processes_are_swept(tmp_path):
    from ingest.ocr import OCR_TEMP_PREFIX, sweep_ocr_temp

    dead = tmp_path / f"{OCR_TEMP_PREFIX}{2**22 + 1}-abc"
    alive = tmp_path / f"{OCR_TEMP_PREFIX}{os.getpid()}-def"
    for d in (dead, alive):
        d.mkdir()
        (d / "page.pgm").write_bytes(b"P5 1 1 255 \x00")
    assert sweep_ocr_temp(str(tmp_path)) == 1
    assert not dead.exists() and alive.exists()


# ---- 23. the database password never reaches Prefect -------------------------------------------
def test_database_password_is_kept_out_of_flow_parameters():
    from prefect.serializers import JSONSerializer

    from ingest.settings import load_settings
    from storage import db

    s = load_settings(env={"ARCHIVE_DB_URL": "postgresql://archivist:s3cret-pw@127.0.0.1/archive"})
    assert s.db_url == "postgresql://archivist@127.0.0.1/archive"
    assert b"s3cret-pw" not in JSONSerializer().dumps(s)  # what Prefect stores for a run
    from flows.app.store import share_password

    share_password(s)  # what open_store does before it opens the database
    assert db.make_engine(s.db_url).url.password == "s3cret-pw"  # the engine still has it


# ---- originals and fixity ----------------------------------------------------------------------
def test_fixity_finds_changed_and_missing_files(settings, tmp_path):
    from flows.app.originals import check_fixity, keep_original
    from flows.app.store import open_store
    from ingest.sources import sha256_file

    store = open_store(settings)
    scan = EXAMPLES / "cable-417-vi.tif"
    doc = store.documents.claim(sha256=sha256_file(scan), source_path=str(scan), filename=scan.name,
                                size_bytes=scan.stat().st_size, collection=None, lang="vie", run_id=None)
    key = keep_original(store, doc.document_id, scan, sha256_file(scan))
    assert store.files.read_bytes(key) == scan.read_bytes()
    assert store.documents.get_document(doc.document_id).original_file == key
    assert check_fixity(store, [doc.document_id]).ok
    path = store.files.path(key)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one bit-rotted byte
    [(doc_id, what, bad, problem)] = check_fixity(store, [doc.document_id]).problems
    assert (doc_id, what, bad) == (doc.document_id, "original", key) and problem.startswith("changed")
    path.unlink()
    assert check_fixity(store).problems[0][3] == "missing"
