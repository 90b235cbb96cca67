"""Reads and writes of the review page's accounts: users, signed-in sessions, failed sign-ins and
the secrets the application makes for itself.

A session is a row keyed by the SHA-256 of a random token that only the browser's cookie holds.
Everything that should end a user's sessions (sign-out, a new password, a role change, disabling)
deletes rows here, in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from . import db
from .models import AppSecret, LoginFailure, ReviewSession, User

ROLES = ("reviewer", "staff", "admin")
MAX_NAME_LENGTH = 100  # users.name is VARCHAR(100)
# A session's skip list keeps this many of its latest flag ids: a reviewer skips a few hundred a day
# at most; the cap only bounds a row that a script could otherwise grow without end.
MAX_SKIPPED = 20_000


def clean_name(name: str) -> str:
    """A user name as stored and shown: NFKC (a composed and a decomposed "Minh Đức" are one name,
    and so are full-width letters), without surrounding space."""
    return unicodedata.normalize("NFKC", name).strip()


def name_key(name: str) -> str:
    """What sign-in matches and the limiter counts: the clean name, casefolded."""
    return unicodedata.normalize("NFKC", clean_name(name).casefold())


def valid_name(name: str) -> bool:
    """A name that can be stored: 1-100 characters, no control characters (NUL cannot be stored
    in PostgreSQL text, and a line break or escape would forge lines in `users list`)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and not any(unicodedata.category(c) in ("Cc", "Cf") for c in name)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class AccountRepository:
    def __init__(self, url: str):
        self.sessions = db.sessions(url)

    # ---- users --------------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str) -> int:
        name = clean_name(name)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not valid_name(name):
            raise ValueError(f"the user name must have 1 to {MAX_NAME_LENGTH} characters and no control characters")
        exists = ValueError(f"user {name!r} already exists")
        try:
            with self.sessions.begin() as s:
                if s.scalar(select(User.id).where(User.name_key == name_key(name))) is not None:
                    raise exists  # another spelling of the same name
                user = User(name=name, name_key=name_key(name), role=role, password_hash=password_hash)
                s.add(user)
                s.flush()
                return user.id
        except IntegrityError:
            raise exists from None

    def _change(self, name: str, end_sessions: bool, **values) -> bool:
        """Change a user's row; end their sessions too (same transaction). False: no such user."""
        if not valid_name(clean_name(name)):
            return False
        with self.sessions.begin() as s:
            uid = s.scalar(select(User.id).where(User.name_key == name_key(name)))
            if uid is None:
                return False
            s.execute(update(User).where(User.id == uid).values(**values))
            if end_sessions:
                s.execute(delete(ReviewSession).where(ReviewSession.user_id == uid))
            return True

    def set_password(self, name: str, password_hash: str) -> bool:
        return self._change(name, True, password_hash=password_hash)

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        """The same password under new hash parameters: the user's sessions stay."""
        with self.sessions.begin() as s:
            s.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))

    def set_role(self, name: str, role: str) -> bool:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return self._change(name, True, role=role)

    def set_active(self, name: str, active: bool) -> bool:
        return self._change(name, not active, active=active)

    def user(self, name: str) -> User | None:
        """The account this name signs in to (any case or Unicode form of it)."""
        key = name_key(name)
        if not valid_name(clean_name(name)):
            return None  # cannot be stored, so no one has it (and PostgreSQL refuses NUL in a query)
        with self.sessions() as s:
            return s.scalar(select(User).where(User.name_key == key))

    def user_by_id(self, user_id: int) -> User | None:
        with self.sessions() as s:
            return s.get(User, user_id)

    def users(self) -> list[User]:
        with self.sessions() as s:
            return list(s.scalars(select(User).order_by(User.name)))

    def secret(self, name: str) -> str:
        """A random secret made once and kept in the database."""
        with self.sessions() as s:
            row = s.get(AppSecret, name)
            if row is not None:
                return row.value
        try:
            with self.sessions.begin() as s:
                s.add(AppSecret(name=name, value=secrets.token_urlsafe(48)))
        except IntegrityError:
            pass  # another process made it first
        with self.sessions() as s:
            return s.get_one(AppSecret, name).value  # made just above if it was missing

    # ---- signed-in sessions -------------------------------------------------------------------
    def open_session(self, user_id: int, lifetime: float) -> str:
        """A new session for this user; returns the token for the cookie (never stored)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.sessions.begin() as s:
            s.execute(delete(ReviewSession).where(ReviewSession.expires_at <= now))  # keep the table small
            s.add(ReviewSession(id=_digest(token), user_id=user_id, created_at=now, expires_at=now + lifetime,
                                skipped=[]))
        return token

    def session_user(self, token: str | None) -> User | None:
        """The active user signed in with this token, if the session is still open."""
        if not isinstance(token, str) or not token:
            return None
        with self.sessions() as s:
            row = s.execute(select(User, ReviewSession.expires_at).join(ReviewSession, ReviewSession.user_id == User.id)
                            .where(ReviewSession.id == _digest(token))).first()
        if row is None or row[1] <= time.time() or not row[0].active:
            return None
        return row[0]

    def end_session(self, token: str | None) -> None:
        if isinstance(token, str) and token:
            with self.sessions.begin() as s:
                s.execute(delete(ReviewSession).where(ReviewSession.id == _digest(token)))

    def session_count(self, name: str) -> int:
        with self.sessions() as s:
            return len(s.scalars(select(ReviewSession.id).join(User, User.id == ReviewSession.user_id)
                                 .where(User.name_key == name_key(name))).all())

    def skip(self, token: str, flag_ids: list[str]) -> None:  # passage keys, "doc/page/passage"
        """Add flags to this session's skip list (kept in the database, not in the cookie)."""
        with self.sessions.begin() as s:
            row = s.get(ReviewSession, _digest(token), with_for_update=True)
            if row is not None:
                before = list(row.skipped or [])
                seen = set(before)
                row.skipped = (before + [i for i in dict.fromkeys(flag_ids) if i not in seen])[-MAX_SKIPPED:]

    def skipped(self, token: str) -> set[str]:
        with self.sessions() as s:
            row = s.get(ReviewSession, _digest(token))
            return set(row.skipped or []) if row is not None else set()

    # ---- failed sign-ins ----------------------------------------------------------------------
    def login_failures(self, keys: list[str], since: float) -> list[tuple[str, float]]:
        """(key, time) of the failures of these keys since `since` (epoch seconds), oldest first."""
        with self.sessions() as s:
            return [(key, at) for key, at in s.execute(
                select(LoginFailure.key, LoginFailure.at)
                .where(LoginFailure.key.in_(keys), LoginFailure.at > since).order_by(LoginFailure.at))]

    def add_login_failures(self, keys: list[str], at: float, *, forget_before: float) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.at <= forget_before))  # keep the table small
            s.add_all(LoginFailure(key=k, at=at) for k in keys)

    def clear_login_failures(self, key: str) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(LoginFailure).where(LoginFailure.key == key))
