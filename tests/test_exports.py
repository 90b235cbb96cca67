"""Exports of the bundled examples on SQLite and PostgreSQL, with a reviewer's corrections: ALTO and
PAGE-XML validate against the shared schemas, hOCR/TEI/TMX/DC parse with the structure documented,
TSV reads back, the searchable PDF carries the reviewed text at the word boxes and passes qpdf."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace

import pytest
from lxml import etree
from sqlalchemy import delete
from typer.testing import CliRunner

from bench.export_checks import check_pdf, validate
from bench.pdfa_checks import pdfa_problems
from flows.app.exports import ExportFormat, NothingToExport, document_files, download
from flows.app.store import open_store
from storage.exports.load import ExportRepository
from storage.exports.placement import place_on_words
from storage.locate import PassageRef
from storage.models import Document
from storage.review import ReviewRepository
from tests.samples import ingest_examples

ADDED = "và nghiên cứu kỹ"  # a reviewer adds words the OCR does not have
UNTOUCHED = "Bộ Chính trị"  # the signature: a passage nobody corrected stays the OCR


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"exports-{request.param}")
    from ingest.settings import Settings

    settings = Settings(db_url=f"sqlite:///{tmp}/archive.db", files_dir=str(tmp / "files"), workers=1)
    if request.param == "postgresql":
        settings = replace(settings, db_url=request.getfixturevalue("pg_database"))
        from storage.documents import DocumentRepository

        with DocumentRepository(settings.db_url).sessions.begin() as s:  # shared by the test session
            s.execute(delete(Document))
    ids = ingest_examples(settings)
    store = open_store(settings)
    vi = ids["cable-417-vi.tif"]
    doc = ExportRepository(settings.db_url).document(vi)
    target = next(ps for p in doc.pages for ps in p.passages if ps.text.startswith("1. Bộ Chính trị"))
    page = next(p.number for p in doc.pages if target in p.passages)
    fixed = target.text.replace("đã nhận được", f"đã nhận được {ADDED}")
    assert fixed != target.text
    saved = ReviewRepository(settings.db_url).save_version(
        PassageRef(vi, page, target.number), base_version=0, kind="correction", text=fixed, user="alice",
        flag_ids=[], flag_status="corrected")
    assert saved.ok
    yield settings, store, ids, fixed, target.text


def test_alto_and_page_validate_for_every_page(corpus):
    settings, store, ids, fixed, ocr = corpus
    for doc_id in ids.values():
        for fmt, kind in ((ExportFormat.ALTO, "alto"), (ExportFormat.PAGE, "page")):
            files = document_files(store, doc_id, fmt)
            assert len(files) == len(ExportRepository(settings.db_url).document(doc_id).pages)
            for f in files:
                assert validate(kind, f.data) is None, (f.name, validate(kind, f.data))


def test_reviewed_text_by_default_and_raw_ocr_on_request(corpus):
    settings, store, ids, fixed, ocr = corpus
    vi = ids["cable-417-vi.tif"]
    alto_ns = {"a": "http://www.loc.gov/standards/alto/ns-v4#"}

    def strings(raw: bool) -> list[str]:
        out = []
        for f in document_files(store, vi, ExportFormat.ALTO, raw=raw):
            out += etree.fromstring(f.data).xpath("//a:String/@CONTENT", namespaces=alto_ns)
        return out

    reviewed, raw = strings(False), strings(True)
    assert "nghiên" in reviewed and "kỹ" in reviewed and "nghiên" not in raw
    txt = " ".join(f.data.decode() for f in document_files(store, vi, ExportFormat.TXT)).split()
    assert " ".join(fixed.split()) in " ".join(txt) and UNTOUCHED in " ".join(txt)
    hocr = etree.fromstring(document_files(store, vi, ExportFormat.HOCR)[0].data)
    xh = {"h": "http://www.w3.org/1999/xhtml"}
    assert hocr.xpath("//h:p[@data-reviewed-version]", namespaces=xh)
    words = hocr.xpath("//h:span[@class='ocrx_word']/@title", namespaces=xh)
    assert words and all(t.startswith("bbox ") and "x_wconf" in t for t in words)
    alto = etree.fromstring(document_files(store, vi, ExportFormat.ALTO)[0].data)
    steps = alto.xpath("//a:Processing/a:processingCategory/text()", namespaces=alto_ns)
    assert "contentGeneration" in steps and "contentModification" in steps


def test_searchable_pdf(corpus):
    settings, store, ids, fixed, ocr = corpus
    for name, doc_id in ids.items():
        data = document_files(store, doc_id, ExportFormat.PDF)[0].data
        doc = ExportRepository(settings.db_url).document(doc_id)
        report = check_pdf(data, doc)
        assert report.qpdf_ok and report.renders, name
        assert report.pdfa == [], (name, report.pdfa)  # PDF/A-2b structure: bench.pdfa_checks
        assert report.cer <= 0.005, (name, report.cer)
        assert report.words and report.words_in_box / report.words >= 0.99, (name, report)
        assert report.size_ok, (name, report.size, report.image_bytes)
        if name == "cable-417-vi.tif":
            import pdfplumber

            with pdfplumber.open(io.BytesIO(data)) as pdf:
                assert ADDED in " ".join(p.extract_text() for p in pdf.pages)
    import pikepdf

    with pikepdf.open(io.BytesIO(document_files(store, ids["cable-417-vi.tif"], ExportFormat.PDF)[0].data)) as p:
        meta = p.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "Politburo Cable No. 417 to COSVN"
        assert "sample-417" in str(meta.get("dc:identifier"))
        intent = p.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3
        fonts = [f for pg in p.pages for xo in pg.Resources.XObject.values() if xo.Subtype == "/Form"
                 for f in xo.Resources.Font.values()]
        assert fonts and all("/FontFile2" in (f.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in f
                                              else f.FontDescriptor) for f in fonts)


def test_pair_formats(corpus):
    settings, store, ids, fixed, ocr = corpus
    vi, en = ids["cable-417-vi.tif"], ids["cable-417-en.pdf"]
    tei = etree.fromstring(document_files(store, en, ExportFormat.TEI)[0].data)
    ns = {"t": "http://www.tei-c.org/ns/1.0"}
    assert tei.xpath("/t:TEI/t:teiHeader/t:fileDesc/t:titleStmt/t:title/text()", namespaces=ns)[0] == \
        "Politburo Cable No. 417 to COSVN"
    assert tei.xpath("//t:publicationStmt/t:idno[@type='record']/text()", namespaces=ns) == ["sample-417"]
    texts = tei.xpath("/t:TEI/t:text/t:group/t:text", namespaces=ns)
    assert [t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in texts] == ["vi", "en"]
    ids_ = set(tei.xpath("//@xml:id", namespaces=ns))
    links = tei.xpath("//t:standOff/t:linkGrp[@type='sentences']/t:link", namespaces=ns)
    assert links and all(ref[1:] in ids_ for ln in links for ref in ln.get("target").split())
    assert all(0 <= float(ln.get("cert")) <= 1 for ln in links)
    assert tei.xpath("//t:text[@type='original']//t:p[@resp='#reviewer']", namespaces=ns)
    tmx = etree.fromstring(document_files(store, vi, ExportFormat.TMX)[0].data)
    assert tmx.get("version") == "1.4" and tmx.find("header").get("srclang") == "vi"
    tus = tmx.findall("body/tu")
    assert tus and all(len(tu.findall("tuv")) == 2 and tu.find("prop[@type='x-confidence']") is not None
                       for tu in tus)
    rows = list(csv.reader(io.StringIO(document_files(store, vi, ExportFormat.TSV)[0].data.decode()),
                           delimiter="\t"))
    assert rows[0][-1] == "confidence" and len(rows) == len(tus) + 1 or len(rows) > len(tus)
    assert all(len(r) == len(rows[0]) for r in rows)
    with pytest.raises(NothingToExport):
        document_files(store, ids["cable-418-vi.jpg"], ExportFormat.TMX)  # no translation stored


def test_dublin_core_and_downloads(corpus):
    settings, store, ids, fixed, ocr = corpus
    dc = etree.fromstring(document_files(store, ids["cable-417-en.pdf"], ExportFormat.DC)[0].data)
    ns = {"dc": "http://purl.org/dc/elements/1.1/"}
    assert dc.xpath("dc:title/text()", namespaces=ns) == ["Politburo Cable No. 417 to COSVN (translation)"]
    assert "en" in dc.xpath("dc:language/text()", namespaces=ns)
    assert "archive-ingest sample (translator)" in dc.xpath("dc:contributor/text()", namespaces=ns)
    z = download(store, ids["cable-417-vi.tif"], ExportFormat.PAGE)
    assert z.media_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(z.data)).namelist()
    assert len(names) == 2 and all(n.endswith(".page.xml") for n in names)


def test_export_command_writes_files_and_refuses_unknown_formats(corpus, tmp_path, monkeypatch):
    settings, store, ids, fixed, ocr = corpus
    from flows.cli import app

    monkeypatch.setenv("ARCHIVE_DB_URL", settings.db_url)
    monkeypatch.setenv("ARCHIVE_FILES_DIR", str(settings.files_dir))
    runner = CliRunner()
    res = runner.invoke(app, ["export", "--format", "alto", "--out", str(tmp_path / "alto"),
                              "--document", str(ids["cable-417-vi.tif"])])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "alto").iterdir()) == [
        f"doc{ids['cable-417-vi.tif']}-p1.alto.xml", f"doc{ids['cable-417-vi.tif']}-p2.alto.xml"]
    res = runner.invoke(app, ["export", "--format", "tmx", "--out", str(tmp_path / "all.zip")])
    assert res.exit_code == 0 and "skipped" in res.output  # the cable without translation
    assert len(zipfile.ZipFile(tmp_path / "all.zip").namelist()) == 1
    res = runner.invoke(app, ["export", "--format", "docx"])
    assert res.exit_code == 2 and "choose one of" in res.output
    res = runner.invoke(app, ["export", "--format", "pdf", "--document", "99999"])
    assert res.exit_code == 2 and "no document 99999" in res.output
    res = runner.invoke(app, ["show", str(ids["cable-417-vi.tif"])])
    assert res.exit_code == 0 and f"✎ {fixed}" in res.output and f"OCR: {ocr}" in res.output
    raw = runner.invoke(app, ["show", str(ids["cable-417-vi.tif"]), "--raw"])
    assert "✎" not in raw.output and ADDED not in raw.output




def _fonts(pdf) -> list:
    """Every font a page uses, directly or through its form XObjects (the text layer)."""
    out = []
    for pg in pdf.pages:
        res = [pg.Resources] + [xo.Resources for xo in pg.Resources.get("/XObject", {}).values()
                                if xo.Subtype == "/Form" and "/Resources" in xo]
        out += [f for r in res for f in r.get("/Font", {}).values()]
    return out


def test_born_digital_page_keeps_the_deposited_text_layer(corpus):
    import pdfplumber
    import pikepdf

    from tests.helpers import EXAMPLES

    settings, store, ids, fixed, ocr = corpus
    en = ids["cable-417-en.pdf"]
    doc = ExportRepository(settings.db_url).document(en)
    assert [p.text_source for p in doc.pages] == ["text_layer", "ocr"] and doc.original_key
    data = document_files(store, en, ExportFormat.PDF)[0].data
    report = check_pdf(data, doc)  # qpdf --check, pdftoppm renders every page, text and word boxes
    assert report.qpdf_ok and report.renders and report.cer <= 0.005 and report.words_in_box == report.words
    assert report.pdfa == []
    with pdfplumber.open(io.BytesIO(data)) as out, pdfplumber.open(EXAMPLES / "cable-417-en.pdf") as deposited:
        assert out.pages[0].extract_text() == deposited.pages[0].extract_text()
        assert out.pages[0].extract_words() == deposited.pages[0].extract_words()  # same words, same places
        assert out.pages[1].extract_text().split() == doc.pages[1].text.split()  # the scanned page: OCR layer
    with pikepdf.open(io.BytesIO(data)) as p, pikepdf.open(EXAMPLES / "cable-417-en.pdf") as d:
        assert p.pages[0].Contents.read_bytes() == d.pages[0].Contents.read_bytes()  # not a rendering
        assert not p.pages[0].get_images() and p.pages[1].get_images()
        meta = p.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert "Page 1: the deposited born-digital PDF page" in meta["dc:description"]
        assert p.Root.OutputIntents[0].S == "/GTS_PDFA1"
        fonts = _fonts(p)
        assert {str(f.BaseFont).split("+")[-1] for f in fonts} == {"FreeMono", "FreeSans"}
        assert all("/FontFile2" in (f.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in f
                                    else f.FontDescriptor) for f in fonts)


def test_a_correction_on_a_born_digital_page_keeps_the_layer_and_says_so(corpus):
    import pdfplumber
    import pikepdf

    from flows.app.exports import page_image
    from storage.exports.pdf import PdfPageInput, searchable_pdf

    settings, store, ids, fixed, ocr = corpus
    doc = ExportRepository(settings.db_url).document(ids["cable-417-en.pdf"])
    first, ps = doc.pages[0], doc.pages[0].passages[0]
    lines, _ = place_on_words(list(ps.lines), ps.text + " Amended.")
    corrected = replace(first, passages=(replace(ps, text=ps.text + " Amended.", lines=tuple(lines)),)
                        + first.passages[1:])
    doc = replace(doc, pages=(corrected,) + doc.pages[1:])
    original = store.files.read_bytes(doc.original_key)
    inputs = [PdfPageInput(p, page_image(store, p)[1], p.dpi) for p in doc.pages]
    data = searchable_pdf(doc, inputs, original)
    with pdfplumber.open(io.BytesIO(data)) as out:
        assert "Amended" not in out.pages[0].extract_text()  # the deposited layer, not a second one
    assert pdfa_problems(data) == []
    with pikepdf.open(io.BytesIO(data)) as p:
        note = p.open_metadata()["dc:description"]
        assert "corrections on page 1 are not in this PDF's text layer" in note and "ALTO" in note
    # without the deposited bytes the page is rebuilt from its rendering, with the reviewed text
    with pdfplumber.open(io.BytesIO(searchable_pdf(doc, inputs, None))) as out:
        assert "Amended." in out.pages[0].extract_text()




def test_a_reviewed_born_digital_page_exports_the_deposit(corpus):
    """Last in the module: it stores a correction on the born-digital page. The PDF keeps the
    deposited layer (checked against the deposit's words), the reviewed text goes to ALTO."""
    import pikepdf

    settings, store, ids, fixed, ocr = corpus
    en = ids["cable-417-en.pdf"]
    exports = ExportRepository(settings.db_url)
    ps = exports.document(en).pages[0].passages[1]
    assert ReviewRepository(settings.db_url).save_version(
        PassageRef(en, 1, ps.number), base_version=0, kind="correction", text=f"{ps.text} Amended", user="alice",
        flag_ids=[], flag_status="corrected").ok
    data = document_files(store, en, ExportFormat.PDF)[0].data
    report = check_pdf(data, exports.document(en), raw=exports.document(en, raw=True))
    assert report.cer == 0 and report.words_in_box == report.words and report.pdfa == []
    assert check_pdf(data, exports.document(en)).cer > 0  # against the reviewed text it would differ
    with pikepdf.open(io.BytesIO(data)) as p:
        assert "corrections on page 1" in p.open_metadata()["dc:description"]
    alto = document_files(store, en, ExportFormat.ALTO)[0].data
    assert b'CONTENT="Amended"' in alto
