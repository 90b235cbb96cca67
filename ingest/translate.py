"""Machine translation through deep-translator, for documents with no human translation and as
an alignment signal. Offline by default (provider "none").

Requests are batched (several texts joined by line breaks, within the provider's per-request
limit), retried with exponential backoff on HTTP 429, 5xx, connection errors and timeouts, counted
against a character budget per run, and cached by (provider, languages, text hash). A provider
that stays down yields status "pending", never an exception.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Protocol

PROVIDERS = ("none", "google", "libre", "deepl", "mymemory")
# Characters per request each provider accepts (deep-translator's own checks and the services' docs).
REQUEST_LIMITS = {"google": 4900, "libre": 4900, "deepl": 4900, "mymemory": 490}
RETRYABLE = {"ERR_TOO_MANY_REQUESTS", "ERR_INTERNAL_SERVER_ERROR", "ERR_SERVICE_NOT_AVAIBLE", "API server error"}


@dataclass(frozen=True)
class TranslationConfig:
    provider: str = "none"
    url: str | None = None  # LibreTranslate server
    api_key: str | None = None
    source: str = "vi"
    target: str = "en"
    char_budget: int = 200_000
    timeout: float = 20.0
    max_retries: int = 4
    backoff: float = 1.0  # seconds, doubled on each retry


@dataclass
class TranslationOutcome:
    status: str  # "done" | "pending" (provider down, or none configured) | "budget_exceeded"
    texts: list[str | None]  # one per input; None where not translated
    provider: str = "none"
    error: str | None = None
    machine_made: bool = True
    characters_sent: int = 0


class TranslationCache(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, text: str) -> None: ...


@dataclass
class MemoryCache:
    data: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def put(self, key: str, text: str) -> None:
        self.data[key] = text


class _Unavailable(Exception):
    pass


def cache_key(config: TranslationConfig, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{config.provider}:{config.source}:{config.target}:{digest}"


def _client(config: TranslationConfig):
    import deep_translator as dt

    if config.provider == "libre":
        if not config.url:
            raise ValueError("LibreTranslate needs a URL (translation_url)")
        url = config.url.rstrip("/") + "/"
        # deep-translator insists on a key; servers without keys ignore it
        return dt.LibreTranslator(source=config.source, target=config.target, api_key=config.api_key or "none",
                                  custom_url=url)
    if config.provider == "google":
        return dt.GoogleTranslator(source=config.source, target=config.target)
    if config.provider == "deepl":
        return dt.DeeplTranslator(source=config.source, target=config.target, api_key=config.api_key,
                                  use_free_api=True)
    if config.provider == "mymemory":
        return dt.MyMemoryTranslator(source="vi-VN", target="en-GB")
    raise ValueError(f"unknown translation provider {config.provider!r}; choose one of {', '.join(PROVIDERS)}")


def _classify(exc: BaseException) -> bool:
    """True when the failure is worth a retry."""
    import requests

    if isinstance(exc, (requests.ConnectionError, requests.Timeout, concurrent.futures.TimeoutError,
                        ConnectionError, TimeoutError)):
        return True
    name = type(exc).__name__
    return name in ("ServerException", "RequestError", "TooManyRequests") and (
        str(exc) in RETRYABLE or name != "ServerException")


class Translator:
    def __init__(self, config: TranslationConfig, cache: TranslationCache | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.cache = cache if cache is not None else MemoryCache()
        self.sleep = sleep
        self.sent = 0  # characters sent this run, against the budget
        self._client = None
        # deep-translator's clients take no timeout: each call runs in a worker thread we wait on
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="translate")

    @property
    def enabled(self) -> bool:
        return self.config.provider != "none"

    def translate(self, texts: list[str]) -> TranslationOutcome:
        texts = [unicodedata.normalize("NFC", t) for t in texts]
        out: list[str | None] = [None] * len(texts)
        if not self.enabled:
            return TranslationOutcome("pending", out, "none", error="no translation provider configured")
        todo = []
        for i, t in enumerate(texts):
            if not t.strip():
                out[i] = t
                continue
            hit = self.cache.get(cache_key(self.config, t))
            if hit is not None:
                out[i] = hit
            else:
                todo.append(i)
        batches = self._batches([texts[i] for i in todo], todo)
        while batches:
            batch = batches.pop(0)
            size = sum(len(texts[i]) for i in batch)
            if self.sent + size > self.config.char_budget:
                if len(batch) > 1:  # send what still fits, one text at a time
                    batches = [[i] for i in batch] + batches
                    continue
                return TranslationOutcome("budget_exceeded", out, self.config.provider,
                                          error=f"character budget of {self.config.char_budget} reached",
                                          characters_sent=self.sent)
            try:
                results = self._send([texts[i] for i in batch])
            except _Unavailable as exc:
                return TranslationOutcome("pending", out, self.config.provider, error=str(exc),
                                          characters_sent=self.sent)
            for i, r in zip(batch, results):
                r = unicodedata.normalize("NFC", r)
                out[i] = r
                self.cache.put(cache_key(self.config, texts[i]), r)
        return TranslationOutcome("done", out, self.config.provider, characters_sent=self.sent)

    def _batches(self, texts: list[str], ids: list[int]) -> list[list[int]]:
        limit = REQUEST_LIMITS.get(self.config.provider, 4900)
        batches: list[list[int]] = []
        size = 0
        for t, i in zip(texts, ids):
            if batches and size + len(t) + 1 <= limit and "\n" not in t:
                batches[-1].append(i)
                size += len(t) + 1
            else:
                batches.append([i])
                size = len(t)
            if "\n" in t:  # a text with its own line breaks travels alone
                size = limit
        return batches

    def _send(self, texts: list[str]) -> list[str]:
        joined = "\n".join(texts)
        result = self._call(joined)
        parts = result.split("\n")
        if len(texts) > 1 and len(parts) != len(texts):  # the service merged lines: one by one
            return [self._call(t) for t in texts]
        return parts if len(texts) > 1 else [result]

    def _call(self, text: str) -> str:
        if self._client is None:
            self._client = _client(self.config)
        delay = self.config.backoff
        last = "unknown error"
        for attempt in range(self.config.max_retries + 1):
            self.sent += len(text)
            future = self._pool.submit(self._client.translate, text)
            try:
                return future.result(timeout=self.config.timeout)
            except Exception as exc:  # noqa: BLE001 - classified below
                if not _classify(exc):
                    raise _Unavailable(f"{self.config.provider}: {type(exc).__name__}: {exc}".strip())
                last = "timed out" if isinstance(exc, concurrent.futures.TimeoutError) else f"{type(exc).__name__}: {exc}"
            if attempt < self.config.max_retries:
                self.sleep(delay)
                delay *= 2
        raise _Unavailable(f"{self.config.provider} unavailable after {self.config.max_retries + 1} tries ({last})")
