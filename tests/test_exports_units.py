"""Export writers on hand-made pages (no database): reviewed words on OCR boxes, ALTO and PAGE
valid for empty lines and boxes, a text file's visible PDF page, and what a copied born-digital
page loses for PDF/A (with the structure check catching it)."""

from __future__ import annotations

import io

from bench.export_checks import validate
from bench.pdfa_checks import pdfa_problems
from storage.exports.model import ExportLine, ExportWord
from storage.exports.placement import place_on_lines, place_on_words


def _line(y: int, words: list[str]) -> ExportLine:
    return ExportLine((0, y, 100 * len(words), y + 40), tuple(
        ExportWord(w, (100 * i, y, 100 * i + 80, y + 40), 80.0) for i, w in enumerate(words)), 80.0, y // 50)


def test_reviewed_words_take_the_boxes_of_the_words_they_replace():
    lines = [_line(0, ["Bộ", "Chinh", "tri"]), _line(50, ["đã", "hop", "ngày"])]
    placed, how = place_on_words(lines, "Bộ Chính trị đã họp hôm ngày")
    assert how == "words"
    assert [w.text for ln in placed for w in ln.words] == "Bộ Chính trị đã họp hôm ngày".split()
    assert placed[0].words[1].bbox == (100, 0, 180, 40) and placed[0].words[1].reviewed
    assert not placed[0].words[0].reviewed  # an unchanged word keeps its OCR confidence
    hom = placed[1].words[2]
    assert placed[1].words[1].bbox[0] == 100 and hom.bbox[2] <= 180  # inserted: shares the box before
    placed, how = place_on_words(lines, "An entirely different sentence of seven words here")
    assert how == "lines"
    assert [w.text for ln in placed for w in ln.words] == "An entirely different sentence of seven words here".split()
    assert all(ln.words for ln in placed)
    assert place_on_lines([], "x") == []


def test_alto_and_page_stay_valid_for_empty_lines_passages_and_boxes():
    from storage.exports.alto import alto_page
    from storage.exports.model import ExportDocument, ExportPage, ExportPassage
    from storage.exports.pagexml import page_xml

    word = ExportWord("Đảng", (5, 5, 5, 5), 50.0, "Đàng", 30.0)  # a zero-size box
    lines = (ExportLine((0, 0, 10, 10), (), 0.0, 0), ExportLine((0, 0, 10, 10), (word,), 50.0, 1))
    passages = (ExportPassage(0, (0, 0, 10, 10), lines, "Đảng", "Dang", 1, "lines"),
                ExportPassage(1, (0, 0, 0, 0), (), "", ""))
    pg = ExportPage(1, 0, 0, 300, "ocr", "k.png", "preprocessed", passages)
    doc = ExportDocument(1, "f.tif", "vie", None, {}, (pg,))
    alto = alto_page(doc, pg, "k.png")
    assert validate("alto", alto) is None and validate("page", page_xml(doc, pg, None)) is None
    assert b'<ALTERNATIVE PURPOSE="second reading">\xc4\x90\xc3\xa0ng</ALTERNATIVE>' in alto


def test_a_text_file_page_becomes_a_visible_text_page():
    import subprocess
    import tempfile

    import pdfplumber

    from storage.exports.model import ExportDocument, ExportPage, ExportPassage
    from storage.exports.pdf import PdfPageInput, searchable_pdf

    lines = (_line(0, ["Báo", "cáo", "tình", "hình"]), _line(50, ["ở", "Khu", "5."]))
    pg = ExportPage(1, 400, 100, 0, "text_file", None, None,
                    (ExportPassage(0, (0, 0, 400, 90), lines, "Báo cáo tình hình ở Khu 5.",
                                   "Báo cáo tình hình ở Khu 5."),))
    doc = ExportDocument(7, "note.txt", "vie", None, {"title": "Ghi chú"}, (pg,))
    data = searchable_pdf(doc, [PdfPageInput(pg, None, 300)])
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert " ".join(pdf.pages[0].extract_text().split()) == "Báo cáo tình hình ở Khu 5."
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        assert subprocess.run(["qpdf", "--check", fh.name], capture_output=True).returncode == 0


def test_copied_pages_lose_what_pdf_a_forbids():
    import pikepdf

    from storage.exports.born_digital import clean_copied_page

    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
                              A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI="https://example.org"))
    script = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
                                A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)"))
    widget = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, Rect=[0, 0, 10, 10])
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([link, script, widget]))
    page.obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="x"))
    buf = io.BytesIO()
    pdf.save(buf)
    assert "page 1: /Widget annotation not printable or hidden" in pdfa_problems(buf.getvalue())  # the check bites
    clean_copied_page(page)
    assert "/AA" not in page.obj
    assert [a.A.S for a in page.obj.Annots] == ["/URI"] and page.obj.Annots[0].F == 4
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))
    buf = io.BytesIO()
    pdf.save(buf)
    problems = pdfa_problems(buf.getvalue())
    assert not any("annotation" in p or "actions" in p for p in problems)
    assert "page 1: font /Helvetica not embedded" in problems and "no XMP metadata" in problems


def test_overlapping_lines_and_words_extract_in_reading_order():
    # A junk reading of a degraded page (the export bench's gen-19 before the orientation fix) has
    # lines whose boxes overlap most of their height and words whose boxes overlap within a line:
    # pdfplumber groups characters whose tops lie within 3 pt and sorts them by x, so drawn as they
    # came they interleaved (10.8% CER). They must come out in reading order, each word whole.
    import pdfplumber

    from storage.exports.model import ExportDocument, ExportPage, ExportPassage
    from storage.exports.pdf import PdfPageInput, searchable_pdf

    def line(n: int, box, words) -> ExportLine:
        return ExportLine(box, tuple(ExportWord(t, b, 40.0) for t, b in words), 40.0, n)

    lines = (line(0, (100, 100, 900, 160), [("alpha", (100, 100, 300, 160)), ("beta", (350, 100, 600, 160))]),
             line(1, (120, 110, 880, 170), [("gamma", (120, 110, 400, 170)), ("delta", (420, 110, 880, 170))]),
             line(2, (100, 118, 900, 175), [("epsilon", (100, 118, 500, 175)), ("zeta", (300, 118, 700, 175)),
                                            ("eta", (200, 118, 260, 175))]),
             line(3, (100, 400, 900, 460), [("theta", (100, 400, 400, 460))]))
    text = "alpha beta gamma delta epsilon zeta eta theta"
    pg = ExportPage(1, 1000, 600, 300, "ocr", "k.png", "preprocessed",
                    (ExportPassage(0, (100, 100, 900, 460), lines, text, text),))
    doc = ExportDocument(3, "junk.png", "eng", None, {"title": "junk"}, (pg,))
    image = io.BytesIO()
    from PIL import Image

    Image.new("L", (1000, 600), 255).save(image, format="PNG")
    data = searchable_pdf(doc, [PdfPageInput(pg, image.getvalue(), 300)])
    k = 300 / 72
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert " ".join(pdf.pages[0].extract_text().split()) == text
        words = {w["text"]: ((w["x0"] + w["x1"]) / 2 * k, (w["top"] + w["bottom"]) / 2 * k)
                 for w in pdf.pages[0].extract_words()}
    boxes = {w.text: w.bbox for ln in lines for w in ln.words}
    # every word's middle stays in its own box ("zeta", whose box starts inside "epsilon", starts
    # after it), but for "eta", whose box lies left of both words before it: it goes after them
    inside = {t for t, (cx, cy) in words.items()
              if boxes[t][0] - 2 <= cx <= boxes[t][2] + 2 and boxes[t][1] - 2 <= cy <= boxes[t][3] + 2}
    assert inside == set(text.split()) - {"eta"}
