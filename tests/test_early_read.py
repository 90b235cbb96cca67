"""The first page read while the local Prefect server starts (flows.app.early): the page task
takes that reading only for the same page of the same, unchanged file."""

from __future__ import annotations

import os
import time

import pytest
from PIL import Image

from flows.app import early
from flows.app.jobs import FileJob


@pytest.fixture
def fake_reads(monkeypatch):
    """read_page counted, without Tesseract: the reading is the page object itself."""
    calls = []

    def read_page(source, options):
        calls.append((source.number, options.lang))
        return ("reading", source.number, options.lang)

    monkeypatch.setattr("ingest.pipeline.read_page", read_page)
    monkeypatch.setattr(early, "_reads", {})
    return calls


def page(tmp_path, name="scan.png"):
    path = tmp_path / name
    Image.new("L", (600, 800), 255).save(path, dpi=(300, 300))
    return path


def wait_read(timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        futures = list(early._reads.values())
        if futures and all(f.done() for f in futures):
            return
        time.sleep(0.02)
    raise AssertionError("the early reading never finished")


def test_the_first_page_is_read_once_and_taken_once(tmp_path, settings, fake_reads):
    path = page(tmp_path)
    early.start([FileJob(str(path), lang="eng")], settings)
    wait_read()
    taken = early.take(str(path), "image/png", 1, "eng", settings)
    assert taken is not None
    source, reading = taken
    assert source.number == 1 and source.image.size == (600, 800)
    assert reading == ("reading", 1, "eng") and fake_reads == [(1, "eng")]
    assert early.take(str(path), "image/png", 1, "eng", settings) is None  # taken: the task reads any repeat


def test_other_page_language_or_changed_file_is_not_taken(tmp_path, settings, fake_reads):
    path = page(tmp_path)
    early.start([FileJob(str(path))], settings)
    wait_read()
    assert early.take(str(path), "image/png", 1, "eng+vie", settings) is None  # other options: not this reading
    assert early.take(str(path), "image/png", 2, settings.lang, settings) is None
    Image.new("L", (600, 800), 0).save(path)  # replaced after it was read
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert early.take(str(path), "image/png", 1, settings.lang, settings) is None


def test_nothing_is_read_for_text_files_symlinks_or_failed_jobs(tmp_path, settings, fake_reads):
    text = tmp_path / "notes.txt"
    text.write_text("typed minutes\n", encoding="utf-8")
    link = tmp_path / "link.png"
    link.symlink_to(page(tmp_path))
    early.start([FileJob(str(tmp_path / "gone.png"), error="file not found"), FileJob(str(text))], settings)
    early.start([FileJob(str(link))], settings)
    time.sleep(0.5)
    assert fake_reads == [] and not any(f.result() for f in early._reads.values())


def test_a_bad_file_is_left_to_the_page_task(tmp_path, settings, fake_reads):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    early.start([FileJob(str(bad))], settings)
    time.sleep(0.5)
    assert early.take(str(bad), "image/png", 1, settings.lang, settings) is None and fake_reads == []
