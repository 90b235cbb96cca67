"""The application layer: one function per use case (ingest files, ingest the nightly inbox,
reprocess a document, correct a passage, pair and align, export, search ...).

Use cases take a `Store` (repositories and the file store, built once per process) and plain
values, and return dataclasses. Prefect tasks and flows, Typer commands and FastAPI routes are
adapters: they translate their arguments and call a use case, nothing more.
"""
