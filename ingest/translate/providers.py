"""deep-translator's client for each provider, and what its failures mean for the run."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import requests

from .config import PROVIDERS, TranslationConfig
from .transport import _Exchange


def _package_version() -> str:
    try:
        return version("deep-translator")
    except PackageNotFoundError:
        return "unknown"


def _one_line(message, limit: int = 240) -> str:
    message = " ".join(str(message).split())
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _build_client(config: TranslationConfig):
    """deep-translator's client for the configured provider; ValueError on a bad configuration."""
    import deep_translator as dt
    from deep_translator import constants

    provider = config.provider
    try:
        if provider == "libre":
            if not config.url:
                raise ValueError("LibreTranslate needs a URL (translation_url)")
            # the client refuses an empty key; a keyless server gets none (the transport drops it)
            return dt.LibreTranslator(source=config.source, target=config.target,
                                      api_key=config.api_key or "-", custom_url=config.url.rstrip("/") + "/")
        if provider == "google":
            return dt.GoogleTranslator(source=config.source, target=config.target)
        if provider == "mymemory":
            codes = constants.MY_MEMORY_LANGUAGES_TO_CODES  # regional codes: vi-VN, en-GB
            return dt.MyMemoryTranslator(source=_regional(config.source, codes),
                                         target=_regional(config.target, codes))
        if provider == "deepl":
            if not config.api_key:
                raise ValueError("DeepL needs an API key (translation_api_key)")
            client = dt.DeeplTranslator(source="en", target="de", api_key=config.api_key,
                                        use_free_api=config.api_key.endswith(":fx"))  # free keys end ":fx"
            # deep-translator's DeepL table predates Vietnamese; DeepL itself judges the codes
            client.source, client.target = config.source.upper(), config.target.upper()
            return client
    except ValueError:
        raise
    except Exception as exc:  # deep-translator's own configuration errors (languages, keys)
        raise ValueError(f"{provider}: {_one_line(exc)}") from exc
    raise ValueError(f"unknown translation provider {provider!r}; choose one of {', '.join(PROVIDERS)}")


def _regional(code: str, table: dict[str, str]) -> str:
    if code in table.values():
        return code
    for value in table.values():
        if value.split("-")[0].lower() == code.lower():
            return value
    return code  # let deep-translator say it does not know it


class _Failure(Exception):
    def __init__(self, message: str, *, retry: bool = False, down: bool = False):
        super().__init__(_one_line(message))
        self.retry = retry  # worth another try
        self.down = down  # stop asking this provider for the rest of the run


def _classify(exc: BaseException | None, exchange: _Exchange, provider: str, timeout: float) -> _Failure:
    status = exchange.status
    if isinstance(exc, requests.Timeout):
        return _Failure(f"{provider}: timed out after {timeout:g} s", retry=True)
    if isinstance(exc, requests.ConnectionError):
        return _Failure(f"{provider}: cannot connect ({type(exc).__name__})", retry=True)
    if status is not None and not 200 <= status < 300:
        if status == 429:
            return _Failure(f"{provider}: HTTP 429 too many requests", retry=True)
        if status >= 500:
            return _Failure(f"{provider}: HTTP {status} server error", retry=True)
        if status in (401, 403):
            return _Failure(f"{provider}: HTTP {status}, refused (check the API key)", down=True)
        return _Failure(f"{provider}: HTTP {status}")
    if isinstance(exc, requests.JSONDecodeError):
        return _Failure(f"{provider}: the answer is not JSON (is the URL right?)", down=True)
    if type(exc).__name__ == "TooManyRequests":
        return _Failure(f"{provider}: too many requests", retry=True)
    return _Failure(f"{provider}: {type(exc).__name__}: {exc}")


