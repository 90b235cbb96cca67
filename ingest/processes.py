"""Whether a process is alive: the one check every sweep of what killed processes left behind uses
(OCR temp folders, the file store journal, interrupted runs, the local Prefect server)."""

from __future__ import annotations

import os


def pid_alive(pid: object) -> bool:
    """True when a process with this id exists (one we may not signal counts as alive)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
