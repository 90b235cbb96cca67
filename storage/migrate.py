"""Developer helper: write a new Alembic revision from the models' differences.

    python -m storage.migrate "add alignments"
"""

import sys
import tempfile

from alembic import command

from storage.db import alembic_config, make_engine, upgrade


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "change"
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/scratch.db")
        upgrade(engine)
        with engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
