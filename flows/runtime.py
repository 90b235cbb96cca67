"""Prefect's environment for a local, offline user: set before Prefect is imported."""

from __future__ import annotations

import os


def configure_prefect(start_timeout: int = 120, quiet: bool = True) -> None:
    # The embedded server takes 14-25 s to start cold here; Prefect's default 20 s is too short.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(start_timeout))
    # No network: telemetry and update checks would only print errors at the user.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_SERVER_UI_ENABLED", "false")
    if quiet:
        # The CLI draws its own progress; Prefect's INFO lines would interleave with it.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
