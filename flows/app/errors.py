"""What a use case answers when the request itself is at fault: the thing asked for is not there
(`NotFound`), or the request cannot be done as asked (`Refused`). Each carries a one-line reason
for the person; the web adapter turns them into 404 and 400, a command into an error line."""

from __future__ import annotations


class NotFound(LookupError):
    """No such record, passage, flag, image or decision."""


class Refused(ValueError):
    """A request that cannot be done as asked (an unknown action, an empty correction, a stale form)."""
