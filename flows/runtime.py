"""Prefect's environment for a local, offline user: set before Prefect is imported."""

from __future__ import annotations

import os
import sys


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


class Engine:
    """Prefect for one command: the local background server (started on first use, see
    flows.local_server) or the configured PREFECT_API_URL."""

    def __init__(self, settings, *, wait: bool = True):
        from .local_server import configured_url, ensure

        configure_prefect(settings.prefect_start_timeout)
        self.timeout = settings.prefect_start_timeout
        self.local = configured_url() is None  # ours, not a server the user configured
        self.url, self.launched = ensure(settings.prefect_server_idle)
        if "prefect.context" in sys.modules:  # imported before (the worker): see PREFECT_API_URL now
            from prefect.context import refresh_global_settings_context

            refresh_global_settings_context()
        if wait:
            self.ready()

    @property
    def starting(self) -> bool:  # the server is not answering yet: the command waits for it
        return self.launched is not None

    def ready(self) -> None:
        if self.launched is not None:
            from .local_server import wait_ready

            wait_ready(self.launched, self.timeout)

    def run_settings(self):
        """Prefect settings for a flow run on our local server: no flow-run heartbeats (they serve
        the crash detection of a server's services, which ours runs without; stopping the heartbeat
        thread held each flow's end for up to 1 s) and no log records shipped to it (nobody reads
        them there: the run's report is in our database; the CLI shows warnings itself)."""
        from contextlib import nullcontext

        if not self.local:
            return nullcontext()
        from prefect.settings import (
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
            PREFECT_LOGGING_TO_API_ENABLED,
            temporary_settings,
        )

        return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                                           PREFECT_LOGGING_TO_API_ENABLED: False})

