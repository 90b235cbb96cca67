"""CSRF tokens for the review page's forms. The password and rate-limit rules are the accounts'
(flows.app.passwords), re-exported here for the callers that know them by this name."""

from __future__ import annotations

import secrets

from flows.app.passwords import (  # noqa: F401
    MIN_PASSWORD_LENGTH,
    LoginLimiter,
    hash_password,
    limiter_keys,
    needs_rehash,
    verify_password,
)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(session_token: str | None, form_token: str | None) -> bool:
    if not (isinstance(session_token, str) and isinstance(form_token, str) and session_token and form_token):
        return False
    # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, an HTTP 500)
    return secrets.compare_digest(session_token.encode("utf-8", "surrogatepass"),
                                  form_token.encode("utf-8", "surrogatepass"))
