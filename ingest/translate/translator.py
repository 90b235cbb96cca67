"""The Translator: one per run, holding the character budget and the provider's state."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from .config import (
    REQUEST_CHARS,
    REQUEST_URL_BYTES,
    SEPARATOR,
    MachineMark,
    MemoryCache,
    TranslationCache,
    TranslationConfig,
    TranslationOutcome,
    cache_key,
)
from .providers import _build_client, _classify, _Failure, _one_line, _package_version
from .segmentation import _segments
from .transport import _EXCHANGE, _Exchange, _install_transport

log = logging.getLogger(__name__)


def make_translator(config: TranslationConfig, cache: TranslationCache | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> Translator | None:
    """None when no provider is configured: the caller works offline."""
    if config.provider == "none":
        return None
    return Translator(config, cache, sleep=sleep)



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
            for (_, unit, k), answer in zip(batch, answers, strict=False):
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
        assert self._client is not None, "requests are only made when a provider is configured (enabled)"
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
