"""Content-addressed file store for page images and original files: the key is the sha256 of
the bytes.

Writes are atomic (temporary file, then rename), so a crash never leaves half an image, and
storing the same image twice is a no-op. Each process lists the files it adds in its own journal
(`.journal/HOST-PID.log`), so that a sweep removes only what a killed process of this store wrote
and nothing it never wrote (another database's images, an operator's own file).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ingest.processes import pid_alive


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
        self._journal(key)
        return key

    def put_stream(self, path: Path | str, digest: str, suffix: str) -> str:
        """Store a file's bytes as they are, copied in 1 MB blocks (an original of any size never
        sits in memory), checked against the sha256 it was registered under."""
        key = f"{digest}.{suffix}"
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        h = hashlib.sha256()
        try:
            with open(path, "rb") as src, os.fdopen(fd, "wb") as fh:
                while block := src.read(1 << 20):
                    h.update(block)
                    fh.write(block)
                fh.flush()
                os.fsync(fh.fileno())
            if h.hexdigest() != digest:
                raise OSError(f"{path} changed while it was being stored")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._journal(key)
        return key

    def _journal(self, key: str) -> None:
        folder = self.root / JOURNAL
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{socket.gethostname()}-{os.getpid()}.log", "a", encoding="ascii") as fh:
            fh.write(key + "\n")  # one short append: atomic enough on a local file system

    def put_image(self, image: Image.Image | np.ndarray, *, bilevel: bool = False) -> str:
        """Store a page image losslessly as PNG (1-bit when the image is black and white)."""
        if isinstance(image, np.ndarray) and not bilevel and image.dtype == np.uint8 and image.ndim == 2:
            return self.put_bytes(_png(image), "png")  # the preprocessed grey page: no copy into Pillow
        if isinstance(image, np.ndarray):
            image = Image.fromarray(image)
        if bilevel and image.mode != "1":
            image = image.convert("1", dither=Image.Dither.NONE)
        elif image.mode not in ("1", "L", "RGB"):
            image = image.convert("RGB")
        if image.mode == "1":  # 1 bit a pixel: Pillow writes it as such, fast
            buf = io.BytesIO()
            image.save(buf, format="PNG", compress_level=1)
            return self.put_bytes(buf.getvalue(), "png")
        return self.put_bytes(_png(np.asarray(image)), "png")

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
        """Delete what killed processes of this store wrote and nothing refers to: files named in
        the journal of a process that is gone (or of this process, once its run is over), and
        temporary files older than ``older_than`` (epoch seconds). Returns how many files went."""
        folder = self.root / JOURNAL
        if not folder.is_dir():
            return 0
        removed = 0
        host = socket.gethostname()
        for journal in folder.glob("*.log"):
            owner, _, pid = journal.stem.rpartition("-")
            if owner != host or not pid.isdigit():
                continue  # another machine's worker: only it knows whether it is still running
            if int(pid) != os.getpid() and pid_alive(int(pid)):
                continue
            for key in journal.read_text(encoding="ascii", errors="replace").split():
                try:
                    target = self.path(key)
                except ValueError:
                    continue
                if key not in referenced and target.is_file():
                    target.unlink(missing_ok=True)
                    removed += 1
            journal.unlink(missing_ok=True)
        for f in self.root.glob("*/*/.tmp-*"):
            if f.is_file() and f.stat().st_mtime < older_than:
                f.unlink(missing_ok=True)
                removed += 1
        return removed

    def copy_to(self, key: str, target: Path) -> None:
        """Copy a stored file out (temporary name, then rename: never half a file)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(self.path(key), tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


JOURNAL = ".journal"




# zlib level 1, the "up" filter (each row against the one above: paper under paper) and run-length
# matching. A flattened grey 300 dpi page (bench.speed's pages, 8.7-15 MP): 0.11 s of CPU and 3.3 MB,
# against 0.24 s and 3.8 MB with Pillow at level 1 (libpng's adaptive filter choice on every row),
# 0.19 s and 3.1 MB for OpenCV's default filters with run-length matching, 1.29 s and 3.3 MB for
# Pillow's default level 6. The same pixels either way (lossless).
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP,
              cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]


def _png(pixels: np.ndarray) -> bytes:
    """A grey (H x W) or RGB (H x W x 3) uint8 array as PNG bytes."""
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)  # OpenCV writes BGR
    ok, data = cv2.imencode(".png", pixels, PNG_PARAMS)
    if not ok:
        raise OSError("could not encode the page image as PNG")
    return data.tobytes()
