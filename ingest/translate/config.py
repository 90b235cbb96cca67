"""What a translation run is configured with and what it gives back; the cache protocol."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

PROVIDERS = ("none", "google", "libre", "deepl", "mymemory")

# Longest text one request may carry, in characters. deep-translator itself refuses len >= 5000 for
# Google and len >= 500 for MyMemory; it checks nothing for LibreTranslate and DeepL, so those get
# Google's figure (a LibreTranslate server may set a lower --char-limit: see request_chars).
REQUEST_CHARS = {"google": 4999, "mymemory": 499, "libre": 4999, "deepl": 4999}
# deep-translator puts the text in the URL query string for all four (LibreTranslate too: a POST
# with params=), and accented Vietnamese grows up to 9 bytes a letter once percent-encoded. Proxies
# commonly refuse request lines over 8 KiB, so the encoded text is held under this.
REQUEST_URL_BYTES = 6000
SEPARATOR = "\n"  # joins the pieces of one request; every piece is a single line


@dataclass(frozen=True)
class TranslationConfig:
    provider: str = "none"  # one of PROVIDERS
    url: str | None = None  # LibreTranslate server
    api_key: str | None = None  # LibreTranslate (optional) or DeepL (required)
    source: str = "vi"
    target: str = "en"
    char_budget: int = 200_000  # source characters sent per run (per Translator)
    timeout: float = 20.0  # seconds per HTTP request
    max_retries: int = 4  # retries after the first try
    backoff: float = 1.0  # first wait in seconds, doubled on each retry
    max_backoff: float = 60.0  # cap on one wait, Retry-After included
    request_chars: int | None = None  # override REQUEST_CHARS for this provider


@dataclass(frozen=True)
class MachineMark:
    """What made a machine translation, stored beside the draft."""

    provider: str
    client: str  # e.g. "deep-translator 1.11.4 LibreTranslator"
    source: str
    target: str
    server: str | None = None  # the LibreTranslate URL; None for the public services
    model: str | None = None  # none of the four services reports its model


@dataclass
class TranslationOutcome:
    status: str  # "done" | "pending" | "budget_exceeded"
    texts: list[str | None]  # one per input, NFC; None where not translated
    error: str | None = None  # one line, when status is not "done"
    provider: str = "none"
    mark: MachineMark | None = None  # None when no provider is configured
    characters: int = 0  # source characters the provider translated in this call
    requests: int = 0  # HTTP attempts in this call, retries included
    cache_hits: int = 0

    @property
    def machine_made(self) -> bool:
        return self.mark is not None


class TranslationCache(Protocol):
    """Keys are "provider:source:target:sha256-of-NFC-text" (see cache_key)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, text: str) -> None: ...


@dataclass
class MemoryCache:
    data: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, text: str) -> None:
        self.data[key] = text


def cache_key(config: TranslationConfig, text: str) -> str:
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()
    return f"{config.provider}:{config.source}:{config.target}:{digest}"


