"""Errors a user sees as one line: the file and the reason."""


class IngestError(Exception):
    """A document (or page) that cannot be ingested; its message is the quarantine reason."""


class TransientError(Exception):
    """A failure worth retrying (a killed or timed-out OCR process, a busy database)."""


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
