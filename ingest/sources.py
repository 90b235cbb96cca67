"""Open input files: sniff the real type, validate, count pages, and load one page at a time.

Pages are loaded one by one (a page task opens the file again) so a whole document is never
held in memory. PDF files are read in `ingest.pdf`; images, TIFF frames and typed text here, and
the input folders are expanded into files here too.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageSequence

from .errors import IngestError, first_line
from .model import Line, Word
from .text import nfc

MEDIA_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/tiff": "tiff",
    "text/plain": "txt",
}
SUPPORTED_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".txt"}

# A truncated image must fail loudly rather than decode as a half-grey page.
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class PageLimits:
    """Checked before anything is decoded or rendered: a tiny file must not take gigabytes."""

    max_pixels: int = 150_000_000  # per page, from the image header or the PDF page size x dpi
    max_pages: int = 2000
    max_stream_bytes: int = 64 << 20  # a PDF page's decompressed content stream
    min_render_dpi: int = 100  # a PDF page too large even at this dpi is refused
    dpi: int = 300
    # A header that claims a huge page for a tiny file: over 25 MP, more than this many pixels per
    # byte of file is refused (a 144 MP page in 42 kB peaked at 1.97 GB; the fuzz run's 12000 x
    # 12000 header lies at 3.6 GB). A blank 1-bit A4 page in G4 is ~1,700 px/byte but 8.7 MP.
    max_pixels_per_byte: int = 1000


@dataclass(frozen=True)
class DocumentInfo:
    media_type: str
    page_count: int
    size_bytes: int


@dataclass(frozen=True)
class TextLayer:
    """A born-digital page's text, already in pixel coordinates of the rendered page."""

    lines: tuple[Line, ...]


@dataclass
class SourcePage:
    number: int  # 1-based
    image: Image.Image
    dpi: int | None  # from the file; None when the file does not say
    text_layer: TextLayer | None = None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sniff_media_type(path: Path) -> str:
    """The media type from the file's first bytes, never from its name."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        raise IngestError("file not found") from None
    except IsADirectoryError:
        raise IngestError("is a directory, not a file") from None
    except PermissionError:
        raise IngestError("permission denied") from None
    if not head:
        raise IngestError("empty file (0 bytes)")
    # An image's signature is at byte 0; a PDF's may follow some junk (readers look in the first
    # kilobyte), so a PNG whose text chunk says "%PDF-" is still a PNG.
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if path.suffix.lower() == ".txt" and b"\x00" not in head:
        try:
            path.read_text(encoding="utf-8")
            return "text/plain"  # a typed translation
        except UnicodeDecodeError:
            raise IngestError("text file is not UTF-8") from None
    raise IngestError(f"not a PNG, JPEG, TIFF or PDF file (content does not match its name {path.suffix or '(none)'})")


def _open_image(path: Path, max_pixels: int) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise IngestError(f"image too large, possible decompression bomb ({first_line(exc)})") from exc
    except Image.UnidentifiedImageError:
        raise IngestError("image data cannot be decoded") from None
    except OSError as exc:
        raise IngestError(f"image cannot be read: {first_line(exc)}") from exc


def _check_density(dims: tuple[int, int], size_bytes: int, limits: PageLimits) -> None:
    w, h = dims
    if w * h > 25_000_000 and w * h > limits.max_pixels_per_byte * max(size_bytes, 1):
        raise IngestError(f"image too large for its file ({w}x{h} = {w * h / 1e6:.0f} MP in {size_bytes} bytes), "
                          "possible decompression bomb (the max_pixels_per_byte setting)")


def _check_frame_size(img: Image.Image, max_pixels: int, number: int) -> None:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise IngestError(f"page {number}: image has no pixels")
    if w * h > max_pixels:
        raise IngestError(
            f"page {number}: image too large ({w}x{h} = {w * h / 1e6:.0f} MP > {max_pixels / 1e6:.0f} MP), "
            "possible decompression bomb"
        )


def inspect_document(path: Path, max_pixels: int, limits: PageLimits | None = None) -> DocumentInfo:
    """Validate a file enough to plan its pages; raises IngestError with the reason."""
    limits = limits or PageLimits(max_pixels=max_pixels)
    media_type = sniff_media_type(path)
    size = path.stat().st_size
    if media_type == "text/plain":
        _check_text_file(path)
        return DocumentInfo(media_type, 1, size)
    if media_type == "application/pdf":
        from .pdf import pdf_page_count

        return DocumentInfo(media_type, pdf_page_count(path, limits), size)
    img = _open_image(path, max_pixels)
    try:
        count = 0
        for count, frame in enumerate(ImageSequence.Iterator(img), start=1):
            _check_frame_size(frame, max_pixels, count)
            if count > limits.max_pages:
                raise IngestError(f"too many pages (over {limits.max_pages}, the max_pages setting)")
        if count == 0:
            raise IngestError("image has no frames")
        _check_density(img.size, size, limits)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"image cannot be read: {first_line(exc)}") from exc
    finally:
        img.close()
    return DocumentInfo(media_type, count, size)


def load_page(path: Path, media_type: str, number: int, *, dpi: int, max_pixels: int) -> SourcePage:
    """Load page ``number`` (1-based) of a file already inspected."""
    if media_type == "application/pdf":
        from .pdf import load_pdf_page

        return load_pdf_page(path, number, dpi=dpi, max_pixels=max_pixels)
    img = _open_image(path, max_pixels)
    frame = None
    try:
        try:
            img.seek(number - 1)
        except EOFError:
            raise IngestError(f"page {number} does not exist") from None
        _check_frame_size(img, max_pixels, number)
        if img.format == "JPEG" and img.width * img.height > 40_000_000:
            img.draft("L", img.size)  # decoded straight to grey, what OCR reads: a third of 432 MB at 144 MP
        try:
            img.load()
            # Pillow has closed the file of a loaded single frame: it needs no copy (144 MB at 144 MP)
            frame = img if getattr(img, "fp", None) is None else img.copy()
        except OSError as exc:
            raise IngestError(f"page {number}: damaged image data ({first_line(exc)})") from exc
        file_dpi = _image_dpi(img)
    finally:
        if frame is not img:
            img.close()
    return SourcePage(number=number, image=frame, dpi=file_dpi)


def _check_text_file(path: Path) -> None:
    data = path.read_bytes()
    if b"\x00" in data:
        raise IngestError("text file contains NUL bytes (not a text file)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("text file is not UTF-8") from None


def text_file_lines(path: Path) -> tuple[Line, ...]:
    """A typed text's lines; a line's box is in character cells: (0, row, length, row + 1)."""
    lines = []
    for row, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines()):
        text = nfc(raw.rstrip())
        if text:
            lines.append(Line(text=text, bbox=(0, row, len(text), row + 1), confidence=100.0,
                              words=tuple(Word(w, (0, row, len(text), row + 1), 100.0) for w in text.split())))
    return tuple(lines)


def _image_dpi(img: Image.Image) -> int | None:
    dpi = img.info.get("dpi")
    if not dpi:
        return None
    try:
        value = round(float(dpi[0]))
    except (TypeError, ValueError, IndexError):
        return None
    return value if 50 <= value <= 2400 else None




@dataclass(frozen=True)
class InputFile:
    path: Path
    problem: str | None = None  # why it cannot be read (a symlink not followed, an unreadable folder)


SYMLINK_REASON = "symbolic link, not followed (pass --follow-symlinks or set follow_symlinks to allow)"


def find_input_files(paths: list[Path], *, follow_symlinks: bool = False) -> list[InputFile]:
    """Expand folders (recursively) into supported files; keep explicit files whatever their name.
    Symbolic links are not followed unless asked (a link to /etc/passwd dropped in a folder must
    not become a record), and a folder that cannot be read is reported, not skipped silently."""
    import os

    out: list[InputFile] = []
    for p in paths:
        if p.is_symlink() and not follow_symlinks:
            out.append(InputFile(p, SYMLINK_REASON))
        elif p.is_dir():
            found: list[InputFile] = []

            def unreadable(exc: OSError, found: list[InputFile] = found, p: Path = p) -> None:
                found.append(InputFile(Path(exc.filename or p), f"folder cannot be read: {exc.strerror or exc}"))

            for root, dirs, files in os.walk(p, onerror=unreadable, followlinks=follow_symlinks):
                base = Path(root)
                for d in dirs:
                    if (base / d).is_symlink() and not follow_symlinks:
                        found.append(InputFile(base / d, SYMLINK_REASON))
                for name in files:
                    f = base / name
                    if f.suffix.lower() not in SUPPORTED_SUFFIXES:
                        continue
                    if f.is_symlink() and not follow_symlinks:
                        found.append(InputFile(f, SYMLINK_REASON))
                    elif f.is_file():
                        found.append(InputFile(f))
            out.extend(sorted(found, key=lambda i: str(i.path)))
        else:
            out.append(InputFile(p))
    return out


def iter_input_files(paths: list[Path], *, follow_symlinks: bool = True) -> list[Path]:
    """The readable files of ``find_input_files`` (links followed, as before, unless told)."""
    return [f.path for f in find_input_files(paths, follow_symlinks=follow_symlinks) if f.problem is None]
