"""Passwords (argon2id) and the sign-in rate limit of the review page's accounts."""

from __future__ import annotations

import hashlib
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the user name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def limiter_keys(name_key: str, address: str) -> list[str]:
    """What a failed sign-in counts against: this name from this address, and this address.

    Never the name alone: then anyone could lock a colleague out by typing their name five times,
    and a correct password from an address that has not failed always gets through. The pair is
    hashed so that a name of any length (or any characters) makes a short key."""
    pair = hashlib.sha256(f"{name_key}\n{address}".encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return [f"name+addr:{pair}", f"addr:{address[:200]}"]


class LoginLimiter:
    """Failed sign-ins per key (see `limiter_keys`) in a sliding window, counted in the database
    (storage.accounts.AccountRepository): every web process sees the same failures. Past the limit a
    key waits until its oldest counted failure leaves the window: a back-off, no CAPTCHA."""

    def __init__(self, repo, max_failures: int, window: float):
        self.repo, self.max_failures, self.window = repo, max_failures, window

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until these keys may try again; 0 when they may now."""
        now = time.time()
        times: dict[str, list[float]] = {}
        for key, at in self.repo.login_failures(keys, since=now - self.window):
            times.setdefault(key, []).append(at)
        wait = max((self.window - (now - ts[-self.max_failures]) for ts in times.values()
                    if len(ts) >= self.max_failures), default=0.0)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, keys: list[str]) -> None:
        now = time.time()
        self.repo.add_login_failures(keys, now, forget_before=now - self.window)

    def succeeded(self, key: str) -> None:
        self.repo.clear_login_failures(key)
