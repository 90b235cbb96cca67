"""Machine translation through deep-translator: MT drafts for originals with no human translation,
and a similarity signal for the aligner. Offline by default (provider "none").

The story of one `Translator.translate` call:
  NFC → answers from the cache → the rest split into single-line pieces that fit one request →
  pieces packed into newline-joined requests within the provider's limit and the run's character
  budget → each request sent through deep-translator's own client, retried with exponential
  backoff on HTTP 429, 5xx, refused connections and timeouts → answers cut back into pieces,
  reassembled, NFC, cached.

Nothing raises into the caller once the Translator is built: a provider that stays down gives
status "pending" (and the Translator stops asking it for the rest of the run), a spent budget gives
"budget_exceeded"; texts translated before that are kept. A bad configuration (unknown provider,
LibreTranslate without a URL, DeepL without a key) raises ValueError when the Translator is built.

One Translator per run: it holds the character budget and remembers a provider that went down.
It is not thread-safe.
"""

from __future__ import annotations

import contextvars
import email.utils
import hashlib
import importlib
import logging
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol
from urllib.parse import quote_plus

import requests

log = logging.getLogger(__name__)

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


def make_translator(config: TranslationConfig, cache: TranslationCache | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> Translator | None:
    """None when no provider is configured: the caller works offline."""
    if config.provider == "none":
        return None
    return Translator(config, cache, sleep=sleep)


# --- splitting texts into pieces that fit one request -------------------------------------------

_LINE_BREAK = re.compile(r"(\s*\n\s*)")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])(\s+)")
_SPACE = re.compile(r"(\s+)")


def _segments(text: str, fits: Callable[[str], bool]) -> list[str]:
    """[sep, piece, sep, piece, ..., sep]: pieces (odd positions) are stripped, non-empty single
    lines that each fit one request; joining the list gives the text back."""
    out = [""]
    for k, part in enumerate(_LINE_BREAK.split(text)):
        core = part.strip()
        if k % 2 or not core:  # a line break with the spaces around it, or a blank line
            out[-1] += part
            continue
        start = part.index(core)
        out[-1] += part[:start]
        out.extend(_fit(core, fits))
        out.append(part[start + len(core):])
    return out


def _fit(line: str, fits: Callable[[str], bool], level: int = 0) -> list[str]:
    """The line cut at sentence ends, then at spaces, then anywhere: [piece, sep, piece, ...]."""
    if fits(line):
        return [line]
    if level == 2:  # one unbroken word longer than a request: cut it
        out, rest = [], line
        while rest:
            lo, hi = 1, len(rest)  # the longest prefix that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if fits(rest[:mid]) else (lo, mid - 1)
            out += [rest[:lo], ""]
            rest = rest[lo:]
        return out[:-1]
    parts = (_SENTENCE_END, _SPACE)[level].split(line)
    chunks = [parts[0]]
    for sep, token in zip(parts[1::2], parts[2::2]):
        if fits(chunks[-1] + sep + token):
            chunks[-1] += sep + token
        else:
            chunks += [sep, token]
    out = []
    for k, chunk in enumerate(chunks):
        out += [chunk] if k % 2 else _fit(chunk, fits, level + 1)
    return out


# --- the HTTP hook under deep-translator ------------------------------------------------------


@dataclass
class _Exchange:
    """One attempt: what the transport is to add, and what it saw."""

    provider: str
    timeout: float
    deepl_key: str | None = None
    drop_params: tuple[str, ...] = ()
    status: int | None = None
    retry_after: float | None = None


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("translate_exchange", default=None)


class _Transport:
    """Stands in for the `requests` module inside deep-translator's provider modules, because its
    clients take no timeout (a silent server would hang the run) and hide the HTTP status behind
    exception messages. Outside a Translator call it passes everything through unchanged."""

    def __getattr__(self, name):
        return getattr(requests, name)

    def get(self, url, **kwargs):
        return self._send("get", url, kwargs)

    def post(self, url, **kwargs):
        return self._send("post", url, kwargs)

    def _send(self, method: str, url: str, kwargs: dict):
        exchange = _EXCHANGE.get()
        if exchange is None:
            return getattr(requests, method)(url, **kwargs)
        kwargs.setdefault("timeout", exchange.timeout)
        if exchange.drop_params and kwargs.get("params"):
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if k not in exchange.drop_params}
        if exchange.deepl_key is not None:
            method, kwargs = "post", _deepl_request(kwargs, exchange.deepl_key)
        response = getattr(requests, method)(url, **kwargs)
        exchange.status = response.status_code
        exchange.retry_after = _retry_after(response.headers.get("Retry-After"))
        if exchange.provider == "mymemory" and response.ok:
            exchange.status = _mymemory_status(response)
        return response


def _deepl_request(kwargs: dict, key: str) -> dict:
    """deep-translator 1.11.4 sends DeepL a GET with auth_key in the query; DeepL refuses both since
    January 2026. Same fields, sent as a form POST with the key in the Authorization header."""
    kwargs = dict(kwargs)
    form = {k: v for k, v in (kwargs.pop("params", None) or {}).items() if k != "auth_key"}
    for lang in ("source_lang", "target_lang"):
        if lang in form:
            form[lang] = str(form[lang]).upper()
    kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"DeepL-Auth-Key {key}"}
    kwargs["data"] = form
    return kwargs


def _mymemory_status(response) -> int:
    """MyMemory answers 200 even when refusing (quota spent: the warning comes back as the
    'translation'); the real status is in the body."""
    try:
        return int(response.json().get("responseStatus") or response.status_code)
    except (ValueError, AttributeError, TypeError):
        return response.status_code


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_install_lock = threading.Lock()


def _install_transport() -> None:
    with _install_lock:
        for name in ("libre", "google", "deepl", "mymemory"):
            module = importlib.import_module(f"deep_translator.{name}")
            if getattr(module, "requests", None) is requests:
                module.requests = _Transport()


# --- providers -------------------------------------------------------------------------------------


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


# --- the translator ----------------------------------------------------------------------------


@dataclass
class _Unit:
    """One distinct input text still to translate."""

    text: str
    segments: list[str]  # [sep, piece, sep, piece, ..., sep]
    done: dict[int, str] = field(default_factory=dict)  # piece position → translation

    @property
    def pieces(self) -> range:
        return range(1, len(self.segments), 2)

    @property
    def cost(self) -> int:
        return sum(len(self.segments[k]) for k in self.pieces)

    def result(self) -> str | None:
        if len(self.done) < len(self.pieces):
            return None
        return "".join(self.done.get(k, s) for k, s in enumerate(self.segments))


class Translator:
    def __init__(self, config: TranslationConfig, cache: TranslationCache | None = None, *,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.cache = cache if cache is not None else MemoryCache()
        self.sleep = sleep
        self.used = 0  # source characters the provider translated this run
        self.down: str | None = None  # why the provider was given up on, for the rest of the run
        self.mark: MachineMark | None = None
        self._client = None
        if config.provider == "none":
            return
        self._client = _build_client(config)
        _install_transport()
        self.mark = MachineMark(provider=config.provider,
                                client=f"deep-translator {_package_version()} {type(self._client).__name__}",
                                source=config.source, target=config.target,
                                server=config.url if config.provider == "libre" else None)

    @property
    def enabled(self) -> bool:
        return self._client is not None

    @property
    def remaining(self) -> int:
        return max(0, self.config.char_budget - self.used)

    def translate(self, texts: list[str]) -> TranslationOutcome:
        cfg = self.config
        texts = [unicodedata.normalize("NFC", t) for t in texts]
        if not self.enabled:
            return TranslationOutcome("pending", [None] * len(texts), "no translation provider configured")
        outcome = TranslationOutcome("done", [None] * len(texts), provider=cfg.provider, mark=self.mark)
        known: dict[str, str] = {}
        units: dict[str, _Unit] = {}
        for text in texts:
            if text in known or text in units:
                continue
            if not text.strip():
                known[text] = text  # nothing to translate
                continue
            hit = self._cache_get(text)
            if hit is not None:
                known[text] = hit
                outcome.cache_hits += 1
            else:
                units[text] = _Unit(text, _segments(text, self._fits))

        # the budget is taken in input order; the first text that does not fit stops the run there
        todo, room = [], self.remaining
        for unit in units.values():
            if unit.cost > room:
                outcome.status = "budget_exceeded"
                outcome.error = f"character budget of {cfg.char_budget} reached ({self.used} used)"
                break
            todo.append(unit)
            room -= unit.cost
        failed = self.down if todo else None
        if not failed:
            failed = self._run(todo, outcome)
        for unit in todo:
            result = unit.result()
            if result is not None:
                result = unicodedata.normalize("NFC", result)
                known[unit.text] = result
                self._cache_put(unit.text, result)
        outcome.texts = [known.get(t) for t in texts]
        if failed:  # a provider problem outranks the budget: the caller should try again later
            outcome.error = failed if outcome.status == "done" else f"{failed}; {outcome.error}"
            outcome.status = "pending"
        return outcome

    @property
    def _limit(self) -> int:
        return self.config.request_chars or REQUEST_CHARS.get(self.config.provider, 4999)

    def _fits(self, piece: str) -> bool:
        return len(piece) <= self._limit and len(quote_plus(piece)) <= REQUEST_URL_BYTES

    def _run(self, units: list[_Unit], outcome: TranslationOutcome) -> str | None:
        """Send the pieces of `units` in packed requests; the first error, if any, as one line."""
        queue = deque((u.segments[k], u, k) for u in units for k in u.pieces)
        limit, first_error = self._limit, None
        while queue:
            batch = [queue.popleft()]
            size, url = len(batch[0][0]), len(quote_plus(batch[0][0]))
            while queue:
                piece = queue[0][0]
                size, url = size + 1 + len(piece), url + 3 + len(quote_plus(piece))  # "\n" is "%0A"
                if size > limit or url > REQUEST_URL_BYTES:
                    break
                batch.append(queue.popleft())
            try:
                answers = self._send([piece for piece, _, _ in batch], outcome)
            except _Failure as failure:
                first_error = first_error or str(failure)
                if failure.down:
                    self.down = str(failure)
                    return first_error
                continue  # this request's texts stay untranslated; the others go on
            for (_, unit, k), answer in zip(batch, answers):
                unit.done[k] = answer
        return first_error

    def _send(self, pieces: list[str], outcome: TranslationOutcome) -> list[str]:
        lines = self._request(SEPARATOR.join(pieces), outcome).split(SEPARATOR)
        if len(lines) == len(pieces):
            return [line.strip() for line in lines]
        # the service merged or split lines: the pieces one by one (each counted again)
        log.info("%s returned %d lines for %d; sending them one by one", self.config.provider, len(lines), len(pieces))
        return [" ".join(self._request(p, outcome).split(SEPARATOR)).strip() for p in pieces]

    def _request(self, payload: str, outcome: TranslationOutcome) -> str:
        """One request through deep-translator, retried; raises _Failure."""
        cfg = self.config
        delay = cfg.backoff
        for attempt in range(cfg.max_retries + 1):
            exchange = _Exchange(cfg.provider, cfg.timeout,
                                 deepl_key=cfg.api_key if cfg.provider == "deepl" else None,
                                 drop_params=("api_key",) if cfg.provider == "libre" and not cfg.api_key else ())
            token = _EXCHANGE.set(exchange)
            outcome.requests += 1
            answer, error = None, None
            try:
                answer = self._client.translate(payload)
            except Exception as exc:  # noqa: BLE001 - every failure is classified; none escapes
                error = exc
            finally:
                _EXCHANGE.reset(token)
            if error is None and (exchange.status is None or 200 <= exchange.status < 300):
                characters = len(payload) - payload.count(SEPARATOR)
                self.used += characters
                outcome.characters += characters
                # Google's client returns None when the "translation" is the text itself
                return unicodedata.normalize("NFC", payload if answer is None else str(answer))
            failure = _classify(error, exchange, cfg.provider, cfg.timeout)
            if not failure.retry:
                raise failure
            if attempt == cfg.max_retries:
                raise _Failure(f"{failure} (gave up after {attempt + 1} tries)", down=True)
            wait = min(cfg.max_backoff, max(delay, exchange.retry_after or 0.0))
            log.warning("%s; retry %d/%d in %.1f s", failure, attempt + 1, cfg.max_retries, wait)
            self.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")

    def _cache_get(self, text: str) -> str | None:
        try:
            return self.cache.get(cache_key(self.config, text))
        except Exception as exc:  # noqa: BLE001 - a broken cache costs requests, not the run
            log.warning("translation cache read failed: %s", _one_line(exc))
            return None

    def _cache_put(self, text: str, translation: str) -> None:
        try:
            self.cache.put(cache_key(self.config, text), translation)
        except Exception as exc:  # noqa: BLE001
            log.warning("translation cache write failed: %s", _one_line(exc))
