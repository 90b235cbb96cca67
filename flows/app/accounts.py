"""Accounts of the review page: make and change them (the `users` commands), sign in and out (the
web page). Every change that takes rights away ends the user's sessions at once."""

from __future__ import annotations

from dataclasses import dataclass

from storage.accounts import ROLES, clean_name, name_key, valid_name
from storage.models import User

from .passwords import LoginLimiter, hash_password, limiter_keys, needs_rehash, verify_password
from .store import Store

# Longer passwords are refused unhashed: argon2 would hash a megabyte, but no one types one.
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """A one-line reason a `users` command could not do what it was asked."""


@dataclass(frozen=True)
class SignIn:
    user: User | None = None
    token: str | None = None  # for the cookie; None when refused
    retry_after: int = 0  # seconds to wait before trying again (too many failures)

    @property
    def ok(self) -> bool:
        return self.token is not None


def add_user(store: Store, name: str, role: str, password: str) -> User:
    name = clean_name(name)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not valid_name(name):
        raise AccountError("the user name must have 1 to 100 characters and no control characters")
    store.accounts.add_user(name, role, hash_password(password))  # ValueError: exists, too short
    return _existing(store, name)


def _existing(store: Store, name: str) -> User:
    user = store.accounts.user(name)
    if user is None:
        raise AccountError(f"no user {clean_name(name)!r}")
    return user


def change_password(store: Store, name: str, password: str) -> User:
    """A new password; the user's sessions end (signed out everywhere)."""
    user = _existing(store, name)
    store.accounts.set_password(user.name, hash_password(password))
    return user


def set_role(store: Store, name: str, role: str) -> User:
    """A new role; the user's sessions end, so the new rights apply from the next sign-in."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    user = _existing(store, name)
    store.accounts.set_role(user.name, role)
    return _existing(store, user.name)


def disable(store: Store, name: str) -> User:
    """The user can no longer sign in, and is signed out now. Kept (their name is in the audit)."""
    user = _existing(store, name)
    store.accounts.set_active(user.name, False)
    return _existing(store, user.name)


def enable(store: Store, name: str) -> User:
    user = _existing(store, name)
    store.accounts.set_active(user.name, True)
    return _existing(store, user.name)


def sign_in(store: Store, limiter: LoginLimiter, name: str, password: str, address: str,
            lifetime: float) -> SignIn:
    """Check a name and password from a client address; on success open a session.

    Failures count per name and address and per address (see `limiter_keys`), whatever the name:
    made-up, over-long or unstorable names count too, and cost as long as a real one."""
    keys = limiter_keys(name_key(name), address)
    wait = limiter.retry_after(keys)
    if wait:
        return SignIn(retry_after=wait)
    user = store.accounts.user(name) if len(password) <= MAX_PASSWORD_LENGTH else None
    verified = verify_password(user.password_hash if user else None, password[:MAX_PASSWORD_LENGTH])
    if user is None or not verified or not user.active:
        limiter.failed(keys)
        return SignIn()
    limiter.succeeded(keys[0])
    if needs_rehash(user.password_hash):
        store.accounts.rehash_password(user.id, hash_password(password))
    return SignIn(user=user, token=store.accounts.open_session(user.id, lifetime))


def signed_in(store: Store, token: str | None) -> User | None:
    """The user of an open session (None: unknown, expired, ended, or the user is disabled)."""
    return store.accounts.session_user(token)


def sign_out(store: Store, token: str | None) -> None:
    store.accounts.end_session(token)
