"""Content-addressed file store for page images: the key is the sha256 of the bytes.

Writes are atomic (temporary file, then rename), so a crash never leaves half an image, and
storing the same image twice is a no-op.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


class FileStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        digest, _, _ = key.partition(".")
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest) or "/" in key:
            raise ValueError(f"not a file-store key: {key!r}")
        return self.root / digest[:2] / digest[2:4] / key

    def put_bytes(self, data: bytes, suffix: str) -> str:
        key = f"{hashlib.sha256(data).hexdigest()}.{suffix}"
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def put_image(self, image: Image.Image | np.ndarray, *, bilevel: bool = False) -> str:
        """Store a page image losslessly as PNG (1-bit when the image is black and white)."""
        if isinstance(image, np.ndarray):
            image = Image.fromarray(image)
        if bilevel and image.mode != "1":
            image = image.convert("1", dither=Image.Dither.NONE)
        elif image.mode not in ("1", "L", "RGB"):
            image = image.convert("RGB")
        buf = io.BytesIO()
        # level 1: 0.29 s for a 300 dpi grey page against 0.48 s at 3, for 5% more bytes
        image.save(buf, format="PNG", compress_level=1)
        return self.put_bytes(buf.getvalue(), "png")

    def put_file(self, path: Path | str) -> str:
        """Store a file's bytes as they are (a one-page scan is its own original image)."""
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".") or "bin"
        if not suffix.isalnum() or len(suffix) > 5:
            suffix = "bin"
        return self.put_bytes(path.read_bytes(), suffix)

    def read_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def sweep(self, referenced: set[str], older_than: float) -> int:
        """Delete temporary files and images no page refers to, written before ``older_than``
        (epoch seconds): what a killed run left behind. Returns how many files went."""
        if not self.root.is_dir():
            return 0
        removed = 0
        for f in self.root.glob("*/*/*"):
            if not f.is_file():
                continue
            stale = f.name.startswith(".tmp-") or f.name not in referenced
            if stale and f.stat().st_mtime < older_than:
                f.unlink(missing_ok=True)
                removed += 1
        return removed
