"""Errors a user sees as one line: the file and the reason."""


class IngestError(Exception):
    """A document (or page) that cannot be ingested; its message is the quarantine reason."""


class TransientError(Exception):
    """A failure worth retrying (a killed or timed-out OCR process, a busy database)."""
