from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.pdf import looks_like_text
from ingest.sources import inspect_document, iter_input_files, load_page, sniff_media_type
from tests.helpers import BAD_REASONS, EXAMPLES, OCRMYPDF, VIET

MAX = 150_000_000


@pytest.mark.parametrize("name", sorted(BAD_REASONS))
def test_bad_input_gives_one_line_reason(bad_inputs, name):
    path = bad_inputs[name]
    with pytest.raises(IngestError) as info:
        doc = inspect_document(path, MAX)
        load_page(path, doc.media_type, 1, dpi=300, max_pixels=MAX)
    message = str(info.value)
    assert BAD_REASONS[name] in message
    assert "\n" not in message


def test_missing_file():
    with pytest.raises(IngestError, match="file not found"):
        inspect_document(Path("/nonexistent/scan.tif"), MAX)


def test_media_type_from_content_not_name(tmp_path):
    fake = tmp_path / "scan.pdf"
    fake.write_bytes((VIET / "vietsample2.png").read_bytes())
    assert sniff_media_type(fake) == "image/png"


def test_multipage_tiff_g4_pages():
    info = inspect_document(VIET / "vietsample1.tif", MAX)
    assert (info.media_type, info.page_count) == ("image/tiff", 2)
    page = load_page(VIET / "vietsample1.tif", info.media_type, 2, dpi=300, max_pixels=MAX)
    assert page.image.mode == "1" and page.dpi == 300 and page.number == 2


def test_mixed_pdf_keeps_text_layer_only_where_real():
    path = OCRMYPDF / "multipage.pdf"
    info = inspect_document(path, MAX)
    assert info.page_count == 6
    sources = {n: load_page(path, info.media_type, n, dpi=300, max_pixels=MAX) for n in (1, 3, 4)}
    assert sources[1].text_layer is None  # a scan: must be OCR'd
    assert sources[3].text_layer is None
    layer = sources[4].text_layer  # the page OCRmyPDF already gave a text layer
    assert layer is not None and len(layer.lines) >= 5
    # boxes are in pixels of the page rendered at 300 dpi
    img = sources[4].image
    assert all(0 <= l.bbox[0] < l.bbox[2] <= img.width + 2 and 0 <= l.bbox[1] < l.bbox[3] <= img.height + 2
               for l in layer.lines)


def test_encrypted_pdf_without_user_password_is_refused():
    # vietsample1.pdf opens without a password but carries owner restrictions (P=-1340)
    with pytest.raises(IngestError, match="encrypted"):
        inspect_document(VIET / "vietsample1.pdf", MAX)


def test_examples_pdf_is_mixed():
    path = EXAMPLES / "cable-417-en.pdf"
    p1 = load_page(path, "application/pdf", 1, dpi=300, max_pixels=MAX)
    p2 = load_page(path, "application/pdf", 2, dpi=300, max_pixels=MAX)
    assert p1.text_layer is not None and "Politburo" in " ".join(l.text for l in p1.text_layer.lines)
    assert p2.text_layer is None


def test_looks_like_text():
    assert looks_like_text("Bộ Chính trị đã nhận được báo cáo")
    assert not looks_like_text("(cid:12)(cid:15)(cid:77)(cid:3)(cid:99)")
    assert not looks_like_text("\ufffd\ufffd\ufffd\ufffd ab")


def test_folders_expand_to_supported_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.TIF").write_bytes(b"II*\x00")
    (tmp_path / "a" / "notes.md").write_text("x")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-")
    found = iter_input_files([tmp_path])
    assert [p.name for p in found] == ["x.TIF", "b.pdf"] or sorted(p.name for p in found) == ["b.pdf", "x.TIF"]


def _scan_pdf(tmp_path, mode: str):
    from PIL import Image, ImageDraw

    img = Image.new(mode, (620, 877), "white")
    draw = ImageDraw.Draw(img)
    for y in range(80, 800, 40):
        draw.rectangle((60, y, 60 + (y * 7) % 480, y + 14), fill="black" if mode == "L" else (150, 20, 20))
    path = tmp_path / f"scan-{mode}.pdf"
    img.save(path, "PDF", resolution=75)  # a JPEG in the PDF, DeviceGray for L, DeviceRGB for RGB
    return path


def test_grey_scan_pdf_page_is_rendered_grey_with_the_same_pixels(tmp_path):
    import numpy as np
    import pdfplumber

    path = _scan_pdf(tmp_path, "L")
    page = load_page(path, "application/pdf", 1, dpi=150, max_pixels=MAX)
    assert page.image.mode == "L"
    with pdfplumber.open(path) as pdf:  # the RGB rendering, as before
        rgb = pdf.pages[0].to_image(resolution=150, antialias=True).original
    assert page.image.size == rgb.size and np.array_equal(np.asarray(rgb.convert("L")), np.asarray(page.image))


def test_colour_scan_pdf_page_stays_rgb(tmp_path):
    page = load_page(_scan_pdf(tmp_path, "RGB"), "application/pdf", 1, dpi=150, max_pixels=MAX)
    assert page.image.mode == "RGB"
