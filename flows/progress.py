"""A named hook through which a running flow reports progress to whoever started it (the CLI)."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def planned(self, path: str, pages: int) -> None: ...  # pages added to the total (negative: fewer)
    def page_done(self, path: str, number: int, ok: bool) -> None: ...


class _Silent:
    def planned(self, path: str, pages: int) -> None:
        pass

    def page_done(self, path: str, number: int, ok: bool) -> None:
        pass


_reporter: Reporter = _Silent()


def set_reporter(reporter: Reporter | None) -> None:
    global _reporter
    _reporter = reporter or _Silent()


def reporter() -> Reporter:
    return _reporter
