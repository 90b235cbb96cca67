"""The one settings object: file < environment, typed values, secrets that do not show."""

import pytest

from ingest.settings import Settings, load_settings, secret


def test_environment_over_file_and_typed_values(tmp_path):
    cfg = tmp_path / "archive-ingest.toml"
    cfg.write_text('workers = 3\nlang = "eng"\ntranslation_api_key = "from-file-1234"\n', encoding="utf-8")
    s = load_settings(cfg, env={"ARCHIVE_WORKERS": "5", "ARCHIVE_LEXICON_PATHS": ""})
    assert (s.workers, s.lang) == (5, "eng")
    assert secret(s.translation_api_key) == "from-file-1234"
    with pytest.raises(ValueError, match="ARCHIVE_WORKERS='many' is not a valid int"):
        load_settings(cfg, env={"ARCHIVE_WORKERS": "many"})
    cfg.write_text("wokers = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown settings: wokers"):
        load_settings(cfg, env={})


def test_secrets_never_show_in_repr_or_serialised_settings():
    from pydantic import TypeAdapter

    s = load_settings(env={"ARCHIVE_TRANSLATION_API_KEY": "dl-9f8e7d:fx", "ARCHIVE_REVIEW_SECRET": "s3cr3t-key"})
    dumped = TypeAdapter(Settings).dump_json(s).decode()  # what Prefect stores of a flow's parameters
    for text in (repr(s), str(s), dumped):
        assert "dl-9f8e7d" not in text and "s3cr3t-key" not in text
    assert (secret(s.translation_api_key), secret(s.review_secret)) == ("dl-9f8e7d:fx", "s3cr3t-key")
    assert secret(Settings().translation_api_key) is None and secret(Settings(review_secret="").review_secret) is None
    # a Settings made in code (tests, the review app) wraps its secrets the same way
    assert "plain" not in repr(Settings(translation_api_key="plain-key"))
