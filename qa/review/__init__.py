"""The review web page: reviewers correct what the flags point at (FastAPI + Jinja2)."""
