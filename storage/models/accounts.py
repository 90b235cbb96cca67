"""Who may sign in to the review page, their signed-in sessions, failed sign-ins and the secrets
the application makes for itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class User(Base):
    """A person who signs in to the review page. Roles: reviewer, staff, admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # NFKC, stripped: as shown
    # what sign-in matches: NFKC, casefolded ("ALICE", " alice ", "ａｌｉｃｅ" are one account)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AppSecret(Base):
    """Secrets the application makes for itself (the session signing key), kept in the database so
    every web process behind a load balancer signs alike."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class LoginFailure(Base):
    """A failed sign-in, per key (user name, client address): in the database so that every web
    process behind a load balancer counts the same failures, and a restart forgets none."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class ReviewSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept here, so a
    copy of the database signs no one in. Sign-out, a new password, a role change and disabling
    delete the rows, which ends those sessions at once."""

    __tablename__ = "review_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    skipped: Mapped[list] = mapped_column(JSON, default=list)  # flag ids skipped in this session
