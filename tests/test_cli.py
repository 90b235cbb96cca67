"""`archive-ingest` end to end, as a user runs it: a real process, the embedded Prefect server."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, stop_local_server

EXE = Path(sys.executable).with_name("archive-ingest")


def run(args, cwd, env):
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    for f in EXAMPLES.glob("cable-*"):
        shutil.copy(f, d / f.name)
    shutil.copy(EXAMPLES / "manifest.csv", d / "manifest.csv")
    with (d / "manifest.csv").open("a", encoding="utf-8") as fh:
        fh.write("lost-cable.tif,sample-999,A cable that is not there,,,,,,,,,,,vie\n")
    (d / "broken.png").write_text("not a scan")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env["HOME"] = str(d)  # Prefect keeps its own state under ~/.prefect
    yield d, env
    stop_local_server(env, d)


def test_ingest_export_status_show(workdir):
    d, env = workdir
    first = run(["ingest", "--manifest", "manifest.csv", "--collection", "samples"], d, env)
    assert first.returncode == 2, first.stderr
    failed = [l for l in first.stderr.splitlines() if l.startswith("FAILED")]
    assert failed == ["FAILED lost-cable.tif: file named in manifest manifest.csv not found"]
    assert first.stdout.count("stored ") == 3
    assert "Traceback" not in first.stderr and "telemetry" not in first.stderr.lower()
    assert (d / "archive.db").exists()  # the default database, in the working directory

    second = run(["ingest", "cable-417-vi.tif", "broken.png", "--lang", "vie"], d, env)
    assert second.returncode == 2
    assert "duplicate  cable-417-vi.tif  (already ingested as document" in second.stdout
    assert [l for l in second.stderr.splitlines() if l.startswith("FAILED")] == [
        "FAILED broken.png: not a PNG, JPEG, TIFF or PDF file (content does not match its name .png)"]

    exported = run(["export", "--format", "jsonl", "--out", "records.jsonl"], d, env)
    assert exported.returncode == 0, exported.stderr
    docs = [json.loads(l) for l in (d / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(docs) == 3
    for doc in docs:
        assert {"id", "sha256", "source", "metadata", "pages"} <= set(doc)
        for page in doc["pages"]:
            assert {"number", "text_source", "text", "mean_confidence", "rotation", "skew", "lines"} <= set(page)
            for line in page["lines"]:
                assert set(line) >= {"text", "bbox", "confidence"} and len(line["bbox"]) == 4
    en = next(doc for doc in docs if doc["metadata"].get("record_id") == "sample-417-en")
    assert en["metadata"]["translation_of"] == "sample-417"
    assert [p["text_source"] for p in en["pages"]] == ["text_layer", "ocr"]
    vi = next(doc for doc in docs if doc["metadata"].get("record_id") == "sample-417")
    assert vi["metadata"]["places"] == ["Hanoi", "Saigon", "Paris"]
    assert "Trung ương Cục" in vi["pages"][0]["text"]

    status = run(["status"], d, env)
    assert status.returncode == 0
    assert "stored" in status.stdout and "quarantined" in status.stdout and "broken.png" in status.stdout

    shown = run(["show", str(vi["id"])], d, env)
    assert shown.returncode == 0 and "title: Politburo Cable No. 417 to COSVN" in shown.stdout
    missing = run(["show", "9999"], d, env)
    assert missing.returncode == 2 and missing.stderr.strip() == "error: no document 9999"


def test_ingest_with_translation_pairs_and_aligns(tmp_path):
    from texts import CABLE_417_EN, CABLE_417_VI

    (tmp_path / "cable-vi.txt").write_text(CABLE_417_VI.replace("\f", ""), encoding="utf-8")
    (tmp_path / "cable-en.txt").write_text(CABLE_417_EN.replace("\f", ""), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env["HOME"] = str(tmp_path)
    try:
        proc = run(["ingest", "cable-vi.txt", "--translation", "cable-en.txt"], tmp_path, env)
    finally:
        stop_local_server(env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    exported = run(["export"], tmp_path, env)
    docs = [json.loads(l) for l in exported.stdout.splitlines()]
    original = next(d for d in docs if d["metadata"]["record_id"] == "cable-vi")
    translation = next(d for d in docs if d["filename"] == "cable-en.txt")
    assert f"aligned    document {original['id']} with its translation {translation['id']}" in proc.stdout
    assert original["translation_status"] == "human"
    assert translation["metadata"]["translation_of"] == "cable-vi"
    sentence_links = [a for a in original["alignments"] if a["level"] == "sentence"]
    assert all(a["target_kind"] == "human" for a in sentence_links)
    # header block, 4 numbered paragraphs of 1-2 sentences, signature: 8 sentences a side, all 1-1
    assert [(a["source"], a["target"]) for a in sentence_links] == [([i], [i]) for i in range(8)]
