"""Open input files: sniff the real type, validate, count pages, and load one page at a time.

Pages are loaded one by one (a page task opens the file again) so a whole document is never
held in memory. PDF pages come through pdfplumber: its text layer when it decodes to real
text, otherwise the page rendered at the target dpi (pypdfium2 behind pdfplumber).
"""

from __future__ import annotations

import hashlib
import io
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageSequence

from .errors import IngestError
from .model import BBox, Line, Word

MEDIA_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/tiff": "tiff",
    "text/plain": "txt",
}
SUPPORTED_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".txt"}

# pdfium is not thread-safe, even across documents: render one page at a time per process.
_PDFIUM_LOCK = threading.Lock()
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
        raise IngestError(f"image too large, possible decompression bomb ({_first_line(exc)})") from exc
    except Image.UnidentifiedImageError:
        raise IngestError("image data cannot be decoded") from None
    except OSError as exc:
        raise IngestError(f"image cannot be read: {_first_line(exc)}") from exc


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _open_pdf(path: Path, pages: list[int] | None = None):
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(path, pages=pages)
    except PDFPasswordIncorrect:
        raise IngestError("PDF is encrypted with a password; decrypt it first") from None
    except Exception as exc:  # pdfminer raises many types for damaged files
        # pdfplumber wraps pdfminer's error as the first argument of its own exception
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else (exc.__cause__ or exc)
        if isinstance(cause, PDFPasswordIncorrect):
            raise IngestError("PDF is encrypted with a password; decrypt it first") from exc
        raise IngestError(f"damaged or invalid PDF: {_first_line(cause) or type(cause).__name__}") from exc
    if pdf.doc.encryption:
        pdf.close()
        # Even without a user password, an encrypted file carries its owner's restrictions: we
        # refuse it, as OCRmyPDF does, rather than strip them silently.
        raise IngestError("PDF is encrypted (owner password set); remove the encryption first "
                          "(e.g. qpdf --decrypt in.pdf out.pdf)")
    return pdf


def inspect_document(path: Path, max_pixels: int, limits: PageLimits | None = None) -> DocumentInfo:
    """Validate a file enough to plan its pages; raises IngestError with the reason."""
    limits = limits or PageLimits(max_pixels=max_pixels)
    media_type = sniff_media_type(path)
    size = path.stat().st_size
    if media_type == "text/plain":
        _check_text_file(path)
        return DocumentInfo(media_type, 1, size)
    if media_type == "application/pdf":
        from .limits import check_pdf_limits

        check_pdf_limits(path, limits)  # page count, page size, stream sizes: before pdfplumber
        pdf = _open_pdf(path)
        try:
            try:
                count = len(pdf.pages)
            except Exception as exc:
                raise IngestError(f"damaged or invalid PDF: {_first_line(exc)}") from exc
        finally:
            pdf.close()
        if count == 0:
            raise IngestError("PDF has no pages")
        _check_pdf_renderable(path, count)
        return DocumentInfo(media_type, count, size)
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
        raise IngestError(f"image cannot be read: {_first_line(exc)}") from exc
    finally:
        img.close()
    return DocumentInfo(media_type, count, size)


def _check_pdf_renderable(path: Path, count: int) -> None:
    """pdfium must be able to open the file too (pdfminer is more forgiving)."""
    import pypdfium2

    with _PDFIUM_LOCK:
        try:
            doc = pypdfium2.PdfDocument(str(path))
        except pypdfium2.PdfiumError as exc:
            raise IngestError(f"damaged or invalid PDF: {_first_line(exc)}") from exc
        try:
            if len(doc) != count:
                raise IngestError(f"damaged PDF: page tree disagrees ({len(doc)} vs {count} pages)")
        finally:
            doc.close()


def load_page(path: Path, media_type: str, number: int, *, dpi: int, max_pixels: int) -> SourcePage:
    """Load page ``number`` (1-based) of a file already inspected."""
    if media_type == "application/pdf":
        return _load_pdf_page(path, number, dpi=dpi, max_pixels=max_pixels)
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
            raise IngestError(f"page {number}: damaged image data ({_first_line(exc)})") from exc
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


def _load_pdf_page(path: Path, number: int, *, dpi: int, max_pixels: int) -> SourcePage:
    pdf = _open_pdf(path, pages=[number])
    try:
        page = pdf.pages[0]
        w_px, h_px = round(float(page.width) * dpi / 72), round(float(page.height) * dpi / 72)
        if w_px * h_px > max_pixels:
            # Huge page formats (maps, posters): render at a lower dpi than refuse them.
            dpi = int(dpi * (max_pixels / (w_px * h_px)) ** 0.5)
        _check_embedded_images(page, number)
        layer = _text_layer(page, dpi)
        with _PDFIUM_LOCK:
            try:
                image = page.to_image(resolution=dpi, antialias=True).original
            except Exception as exc:
                raise IngestError(f"page {number}: cannot be rendered: {_first_line(exc)}") from exc
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(f"page {number}: damaged PDF page: {_first_line(exc)}") from exc
    finally:
        pdf.close()
    return SourcePage(number=number, image=image, dpi=dpi, text_layer=layer)


def _check_embedded_images(page, number: int) -> None:
    """Decode embedded JPEG streams: pdfium silently renders a truncated JPEG as a grey page."""
    for img in page.images:
        stream = img.get("stream")
        if stream is None:
            continue
        filters = stream.get_filters() if hasattr(stream, "get_filters") else []
        names = {getattr(f, "name", str(f)) for f, _ in filters}
        if names & {"DCTDecode", "DCT"} and len(filters) == 1:
            data = stream.get_rawdata()
            try:
                with Image.open(io.BytesIO(data)) as jpeg:
                    jpeg.load()
            except Exception as exc:
                raise IngestError(f"page {number}: damaged JPEG image in PDF ({_first_line(exc)})") from exc


def _text_layer(page, dpi: int) -> TextLayer | None:
    """The page's own text when it decodes to real text; None for scanned pages."""
    if not page.chars:
        return None
    scale = dpi / 72
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    if not words:
        return None
    text = " ".join(w["text"] for w in words)
    if not looks_like_text(text):
        return None
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(float(w["top"]) / 3), float(w["x0"]))):
        mid = (float(w["top"]) + float(w["bottom"])) / 2
        if lines:
            last = lines[-1]
            top = min(float(x["top"]) for x in last)
            bottom = max(float(x["bottom"]) for x in last)
            if top <= mid <= bottom:
                last.append(w)
                continue
        lines.append([w])
    out: list[Line] = []
    for ws in lines:
        ws.sort(key=lambda w: float(w["x0"]))
        items = tuple(
            Word(text=nfc(w["text"]), bbox=_scale_box(w, scale), confidence=100.0) for w in ws
        )
        box = (
            min(i.bbox[0] for i in items),
            min(i.bbox[1] for i in items),
            max(i.bbox[2] for i in items),
            max(i.bbox[3] for i in items),
        )
        out.append(Line(text=" ".join(i.text for i in items), bbox=box, confidence=100.0, words=items))
    return TextLayer(lines=tuple(out))


def _scale_box(w: dict, scale: float) -> BBox:
    return (
        round(float(w["x0"]) * scale),
        round(float(w["top"]) * scale),
        round(float(w["x1"]) * scale),
        round(float(w["bottom"]) * scale),
    )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def looks_like_text(text: str) -> bool:
    """True when a text layer decodes to real text rather than glyph ids or mojibake."""
    stripped = "".join(text.split())
    if len(stripped) < 3:
        return False
    if text.count("(cid:") * 6 > len(stripped) * 0.05:
        return False
    bad = sum(1 for c in stripped if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cn"))
    letters = sum(1 for c in stripped if c.isalnum())
    return bad / len(stripped) < 0.05 and letters / len(stripped) >= 0.5


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
