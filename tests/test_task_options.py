"""Prefect tasks carry plain values (ids, page numbers, paths, RunOptions), never the Settings:
Prefect records what each task is given, and the settings hold secrets."""

from __future__ import annotations

import pickle
import typing

from flows.runtime import configure_prefect

configure_prefect()
from prefect import Task  # noqa: E402

import flows.ingest  # noqa: E402
import flows.nightly  # noqa: E402
from flows.app import store as app_store  # noqa: E402
from ingest.settings import Settings, secret  # noqa: E402

PASSWORD, API_KEY, SESSION_KEY = "pw-7f3a2c", "key-9c1e55", "sess-4b2d81"


def _tasks() -> list[Task]:
    return [v for m in (flows.ingest, flows.nightly) for v in vars(m).values() if isinstance(v, Task)]


def test_no_task_takes_or_returns_settings():
    tasks = _tasks()
    assert {t.name for t in tasks} >= {"ingest-file", "ingest-page", "align-documents", "reprocess-page",
                                       "flag-document"}
    for t in tasks:
        hints = typing.get_type_hints(t.fn, vars(flows.ingest))
        assert "return" in hints and len(hints) > 1, t.name
        for name, kind in hints.items():
            assert "Settings" not in repr(kind), f"task {t.name}: {name} is {kind}"


def _settings(tmp_path, **kw) -> Settings:
    return Settings(db_url=f"postgresql+psycopg://archivist:{PASSWORD}@127.0.0.1:5432/archive",
                    files_dir=str(tmp_path / "files"), translation_api_key=API_KEY, review_secret=SESSION_KEY,
                    dpi=240, lang="ces", **kw)


def test_run_options_hold_no_secret_and_give_the_flow_settings_back(tmp_path):
    settings = _settings(tmp_path)
    options = app_store.run_options(settings)
    carried = repr(options) + pickle.dumps(options).decode("latin-1")
    for value in (PASSWORD, API_KEY, SESSION_KEY):
        assert value not in carried
    assert options.db_url == "postgresql+psycopg://archivist@127.0.0.1:5432/archive"
    assert app_store.settings_of(options) is settings  # the same process: its flow's settings


def test_a_worker_in_another_process_takes_the_options_and_its_own_secrets(tmp_path, monkeypatch):
    options = app_store.run_options(_settings(tmp_path))
    monkeypatch.setattr(app_store, "_REGISTERED", {})  # as in a fresh worker process
    monkeypatch.setenv("ARCHIVE_DB_URL", f"postgresql+psycopg://archivist:{PASSWORD}@127.0.0.1:5432/archive")
    monkeypatch.setenv("ARCHIVE_TRANSLATION_API_KEY", "worker-key")
    monkeypatch.setenv("ARCHIVE_DPI", "300")
    worker = app_store.settings_of(options)
    assert (worker.dpi, worker.lang, worker.files_dir) == (240, "ces", str(tmp_path / "files"))  # the flow's
    assert secret(worker.translation_api_key) == "worker-key" and secret(worker.db_password) == PASSWORD
    monkeypatch.setattr(app_store, "_REGISTERED", {})
    monkeypatch.setenv("ARCHIVE_DB_URL", "postgresql+psycopg://archivist:other@127.0.0.1:5432/elsewhere")
    assert app_store.settings_of(options).db_password is None  # not this database's password
