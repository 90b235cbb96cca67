"""The one settings object: environment variables (``ARCHIVE_*``) over an optional TOML file.

Read once at the edge (CLI, flow entry) and passed down; stage functions take plain values.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pydantic import SecretStr

CONFIG_ENV = "ARCHIVE_CONFIG"
DEFAULT_CONFIG = Path("archive-ingest.toml")


@dataclass(frozen=True)
class Settings:
    db_url: str = "sqlite:///archive.db"  # without its password: that is kept in db_password
    # Prefect stores every flow run's parameters (these settings) in its own database: a password
    # written in ARCHIVE_DB_URL is moved here, a SecretStr, which Prefect stores as "**********".
    db_password: SecretStr | None = None
    files_dir: str = "archive-files"  # content-addressed page image store
    lang: str = "vie"  # default OCR language: any installed Tesseract model or combination (vie, eng, ces, vie+fra)
    dpi: int = 300  # rasterisation and upscaling target
    min_dpi: int = 200  # pages below this are upscaled to `dpi`
    max_pixels: int = 150_000_000  # decompression-bomb guard, per page
    max_pages: int = 2000  # pages per document
    max_stream_bytes: int = 64 << 20  # a PDF page's content stream, decompressed
    min_render_dpi: int = 100  # a PDF page over max_pixels even at this dpi is refused
    max_pixels_per_byte: int = 1000  # over 25 MP, an image this dense for its file size is refused
    follow_symlinks: bool = False  # folder and inbox ingest skip symbolic links unless set
    ocr_timeout: float = 120.0  # seconds per page for Tesseract
    osd_min_confidence: float = 2.0  # Tesseract OSD orientation confidence to trust a rotation
    workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    page_retries: int = 2
    tessdata_dir: str | None = None
    # translation and alignment (issue 4)
    translation_provider: str = "none"
    translation_url: str | None = None
    # Secrets are pydantic SecretStr: Prefect keeps every flow run's parameters (the settings
    # included) in its database and shows them in its UI, and stores a SecretStr as "**********".
    translation_api_key: SecretStr | None = None
    translation_char_budget: int = 200_000
    lexicon_paths: tuple[str, ...] = ()  # FVDP .json / Wiktionary pairs .txt, os.pathsep-separated
    # orchestration
    prefect_start_timeout: int = 120
    prefect_server_idle: int = 3600  # seconds without a request before the local Prefect server stops itself
    dask_address: str | None = None  # a Dask scheduler: page tasks run on its workers
    inbox_dir: str = "inbox"  # staff drop scans here (`archive-ingest queue`); the nightly run reads it
    done_dir: str = "inbox-archive"  # scans moved here once stored (never deleted)
    quarantine_dir: str = "inbox-quarantine"  # scans that failed, each beside a .reason.txt
    chunk_size: int = 20  # documents per chunk in the nightly run
    fixity_sample: int = 50  # stored documents whose files the nightly run re-hashes (a new slice each night)
    # flags (issue 5): data the rules read at run time, none shipped with the project
    confusions_path: str | None = None  # Tesseract confusion list, e.g. VietOCR's vie.DangAmbigs.txt
    attested_paths: tuple[str, ...] = ()  # Vietnamese texts whose syllables count as attested (IWSLT, FVDP, ...)
    # review page (issue 5)
    review_secret: SecretStr | None = None  # session signing key; made once and kept in the database if unset
    review_https_only: bool = False  # send the session cookie over HTTPS only (set behind TLS)
    review_session_hours: int = 12
    # addresses of reverse proxies whose X-Forwarded-For / -Proto to believe ("127.0.0.1", "10.0.0.0/8,
    # 127.0.0.1", "*" for any): without it every client behind a proxy has the proxy's address, and
    # the sign-in limiter would count them all as one
    review_trusted_proxies: str = ""
    review_reprocess: str = "prefect"  # after a correction: "prefect" flow, "direct" (same steps, no Prefect), "off"
    login_max_failures: int = 5  # per user name from one address and per address, within login_window
    login_window: int = 300  # seconds

    def __post_init__(self):
        for name in SECRETS:
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, SecretStr(value) if value else None)
        url, password = split_password(self.db_url)
        if password is not None:
            object.__setattr__(self, "db_url", url)
            object.__setattr__(self, "db_password", SecretStr(password))
        # the engine gets the password from flows.app.store.open_store, the one door to the database

    @property
    def files_path(self) -> Path:
        return Path(self.files_dir)


SECRETS = ("translation_api_key", "review_secret", "db_password")


def split_password(url: str) -> tuple[str, str | None]:
    """The database URL without its password, and the password (None when it has none)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL: the engine reports it when it is used
        return url, None
    if parsed.password is None:
        return url, None
    return parsed._replace(password=None).render_as_string(hide_password=False), str(parsed.password)


def secret(value: SecretStr | str | None) -> str | None:
    """The plain value of a secret setting, for the one call that needs it."""
    if isinstance(value, SecretStr):
        return value.get_secret_value() or None
    return value or None


def _coerce(value: str, kind: type, name: str):
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(value)
    if kind is float:
        return float(value)
    if kind is tuple:
        return tuple(p for p in value.split(os.pathsep) if p)
    return value


def _kind(f) -> type:
    t = str(f.type)
    for name, kind in (("tuple", tuple), ("int", int), ("float", float), ("bool", bool)):
        if t.startswith(name):
            return kind
    return str


def load_settings(config_file: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults < config file (``ARCHIVE_CONFIG`` or ./archive-ingest.toml) < ``ARCHIVE_<FIELD>``."""
    env = dict(os.environ if env is None else env)
    path = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else DEFAULT_CONFIG)
    values: dict = {}
    if path.is_file():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        known = {f.name for f in fields(Settings)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown settings: {', '.join(sorted(unknown))}")
        values.update({k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
    for f in fields(Settings):
        raw = env.get(f"ARCHIVE_{f.name.upper()}")
        if raw is not None and raw != "":
            try:
                values[f.name] = _coerce(raw, _kind(f), f.name)
            except ValueError:
                raise ValueError(f"ARCHIVE_{f.name.upper()}={raw!r} is not a valid {_kind(f).__name__}") from None
    settings = replace(Settings(), **values)
    for name, paths in (("confusions_path", (settings.confusions_path,) if settings.confusions_path else ()),
                        ("attested_paths", settings.attested_paths)):
        missing = [p for p in paths if not Path(p).is_file()]
        if missing:
            raise ValueError(f"{name}: no such file: {missing[0]}")
    if not is_lang_code(settings.lang):
        raise ValueError(f"lang {settings.lang!r}: not a Tesseract language code or combination "
                         "(e.g. vie, ces, dan+deu)")
    return settings


# A Tesseract language: model names joined by '+' (vie, eng, ces, dan+deu, chi_sim). Whether the models
# are installed is checked where the work starts (ingest.ocr.check_languages), not when settings load.
_LANG_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\+[A-Za-z][A-Za-z0-9_]*)*")


def is_lang_code(lang: str) -> bool:
    return bool(_LANG_CODE.fullmatch(lang or ""))
