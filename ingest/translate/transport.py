"""The HTTP hook under deep-translator: timeouts, real statuses, Retry-After, DeepL header auth."""

from __future__ import annotations

import contextvars
import email.utils
import importlib
import threading
import time
from dataclasses import dataclass

import requests


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
                setattr(module, "requests", _Transport())  # noqa: B010 - a module attribute mypy cannot see


