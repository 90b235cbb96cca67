"""The review web page: an adapter (FastAPI + Jinja2) over the application layer (flows.app)."""
