"""Size limits on a PDF, checked from its structure before any page is decoded or rendered.

Measured before these checks (issue 13): a 424-byte one-page PDF of 200 x 200 inches peaked at
2.55 GB while rendering, a 300 kB PDF whose content stream inflates to 300 MB at 1.1 GB, and 2,000
blank pages took 100 s before the first page was read. Each is now refused in well under a second
with a one-line reason.
"""

from __future__ import annotations

import warnings
import zlib
from pathlib import Path

from .errors import IngestError


def check_pdf_limits(path: Path, limits) -> None:
    """Raise IngestError when the PDF has too many pages, a page too large to render at
    ``limits.min_render_dpi`` within ``limits.max_pixels``, an image larger than ``max_pixels``, or
    a content stream that inflates past ``max_stream_bytes``. A file these libraries cannot open
    is left to the PDF reader, whose message says what is wrong with it."""
    import pypdfium2

    from .pdf import _PDFIUM_LOCK

    with _PDFIUM_LOCK:
        try:
            doc = pypdfium2.PdfDocument(str(path))
        except Exception:  # noqa: BLE001 - damaged or encrypted: reported by the reader later
            return
        try:
            count = len(doc)
            if count > limits.max_pages:
                raise IngestError(f"too many pages ({count} > {limits.max_pages}, the max_pages setting)")
            for i in range(count):
                width, height = doc.get_page_size(i)  # points, 1/72 inch: nothing is rendered
                _check_page_size(i + 1, width, height, limits)
        finally:
            doc.close()
    _check_streams(path, limits)


def _check_page_size(number: int, width: float, height: float, limits) -> None:
    dpi = min(limits.dpi, limits.min_render_dpi)
    pixels = (width * dpi / 72) * (height * dpi / 72)
    if width <= 0 or height <= 0:
        raise IngestError(f"page {number}: has no area ({width:.0f} x {height:.0f} pt)")
    if pixels > limits.max_pixels:
        raise IngestError(
            f"page {number}: page too large ({width / 72:.0f} x {height / 72:.0f} in = {pixels / 1e6:.0f} MP "
            f"at {dpi} dpi > {limits.max_pixels / 1e6:.0f} MP, the max_pixels setting)")


def _check_streams(path: Path, limits) -> None:
    try:
        import pikepdf
    except ImportError:  # optional: without it only page count and size are checked
        return
    try:
        pdf = pikepdf.open(path)
    except Exception:  # noqa: BLE001 - damaged or encrypted: reported by the reader later
        return
    with pdf:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                contents = page.obj.get("/Contents")
                streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream):
                        _check_stream(stream, number, limits, "content stream")
                with warnings.catch_warnings():  # Page.images: deprecated for get_images() in pikepdf 10
                    warnings.simplefilter("ignore", DeprecationWarning)
                    images = list(page.images.values())
                for image in images:
                    w, h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
                    if w * h > limits.max_pixels:
                        raise IngestError(f"page {number}: embedded image too large ({w}x{h} = {w * h / 1e6:.0f} MP "
                                          f"> {limits.max_pixels / 1e6:.0f} MP, the max_pixels setting)")
            except IngestError:
                raise
            except Exception:  # noqa: BLE001 - a damaged object: the reader reports it with its reason
                continue


def _check_stream(stream, number: int, limits, what: str) -> None:
    """Inflate a Flate stream in bounded chunks, counting bytes, never holding more than 1 MB."""
    import pikepdf

    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else \
        ([str(filters)] if filters is not None else [])
    if names != ["/FlateDecode"]:
        return
    raw = stream.read_raw_bytes()
    inflater = zlib.decompressobj()
    total = 0
    data = raw
    try:
        while data:
            chunk = inflater.decompress(data, 1 << 20)
            total += len(chunk)
            if total > limits.max_stream_bytes:
                raise IngestError(f"page {number}: {what} inflates past {limits.max_stream_bytes >> 20} MB "
                                  "(the max_stream_bytes setting), possible decompression bomb")
            data = inflater.unconsumed_tail
            if not chunk and not data:
                break
    except zlib.error:
        return  # damaged stream: the renderer says so
