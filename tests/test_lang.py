"""--lang takes any installed Tesseract model or combination, everywhere a language is chosen, and a
missing model is one clear line naming the installed ones, before any work starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.manifest import ManifestError, read_manifest
from ingest.ocr import available_languages, check_languages
from ingest.settings import load_settings

EXE = Path(sys.executable).with_name("archive-ingest")
NEEDED = {"ces", "dan", "deu", "vie", "eng"}
pytestmark = pytest.mark.skipif(not NEEDED <= available_languages(),
                                reason="needs tesseract-ocr-ces/-dan/-deu (make test installs them)")


def test_installed_models_and_combinations_pass():
    for lang in ("ces", "dan+deu", "vie+eng", "deu"):
        check_languages(lang)


def test_missing_model_names_the_installed_ones():
    with pytest.raises(IngestError) as exc:
        check_languages("dan+xyz")
    message = str(exc.value)
    assert "\n" not in message
    assert "no model for xyz" in message and "tesseract-ocr-xyz" in message
    assert all(m in message for m in NEEDED) and "osd" not in message
    with pytest.raises(IngestError, match="not a Tesseract language code"):
        check_languages("vie eng")


def test_settings_and_manifest_take_any_language_code(tmp_path):
    assert load_settings(env={"ARCHIVE_LANG": "ces+dan"}).lang == "ces+dan"
    with pytest.raises(ValueError, match="not a Tesseract language code"):
        load_settings(env={"ARCHIVE_LANG": "vie, eng"})
    scan = tmp_path / "a.png"
    scan.write_bytes(b"")
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,lang\na.png,dan+deu\na.png,rus\n", encoding="utf-8")
    assert [r.lang for r in read_manifest(manifest)] == ["dan+deu", "rus"]
    manifest.write_text("file,lang\na.png,dan deu\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="line 2: lang 'dan deu' is not a Tesseract language code"):
        read_manifest(manifest)


def _run(args, cwd, env):
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def clean_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVE_", "PREFECT_"))}
    env |= {"HOME": str(tmp_path), "ARCHIVE_DB_URL": f"sqlite:///{tmp_path / 'a.db'}",
            "ARCHIVE_INBOX_DIR": str(tmp_path / "inbox")}
    return env


@pytest.mark.parametrize("args", [["ingest", "page.png", "--lang", "ces+xyz"], ["queue", "page.png", "--lang", "xyz"],
                                  ["nightly", "--lang", "xyz"]])
def test_cli_refuses_a_missing_model_up_front(tmp_path, clean_env, args):
    (tmp_path / "page.png").write_bytes(b"not read")
    done = _run(args, tmp_path, clean_env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no model for xyz" in lines[0] and "installed: ces, dan, deu" in lines[0], done.stderr
    assert not (tmp_path / "inbox").exists() and not (tmp_path / "a.db").exists()  # nothing was started


def test_cli_checks_the_manifest_and_settings_languages(tmp_path, clean_env):
    (tmp_path / "page.png").write_bytes(b"not read")
    (tmp_path / "m.csv").write_text("file,lang\npage.png,xyz\n", encoding="utf-8")
    done = _run(["ingest", "--manifest", "m.csv"], tmp_path, clean_env)
    assert done.returncode == 3 and "no model for xyz" in done.stderr  # ExitCode.MISSING_DEPENDENCY and not (tmp_path / "a.db").exists()
    done = _run(["ingest", "page.png"], tmp_path, clean_env | {"ARCHIVE_LANG": "abc"})
    assert done.returncode == 3 and "no model for abc" in done.stderr and not (tmp_path / "a.db").exists()
