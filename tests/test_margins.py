"""Margin marks on a sound page (ingest.margins): unsure words wholly outside the text column and
unsure lines above or below the typed block are left out and returned; typed text set out into
the margin, and short typed lines within the block read badly, stay."""

from __future__ import annotations

from ingest.margins import column_edges, strip_margins
from ingest.model import Word
from ingest.ocr import make_line

WORDS = "Der ses ikke hidtil at være udfærdiget nogen Forskrift om".split()


def typed_line(y: int, x: int = 400, conf: float = 95.0, words=WORDS):
    out, left = [], x
    for text in words:
        out.append(Word(text, (left, y, left + 30 * len(text), y + 38), conf))
        left += 30 * len(text) + 34
    return make_line(out)


def page():
    return [typed_line(300 + 60 * k) for k in range(10)]


def test_column_edges_from_confident_lines():
    left, right, top, bottom = column_edges(tuple(page()))
    assert left == 400 and top == 300 and bottom == 300 + 60 * 9 + 38
    assert right == page()[0].bbox[2]


def test_unsure_marks_beside_the_column_are_left_out():
    lines = page()
    body = lines[3]
    # 'by ø' scribbled left of the column, read into the line at confidence 43 and 33
    lines[3] = make_line([Word("by", (200, 480, 270, 520), 43.0), Word("ø", (330, 482, 370, 520), 33.0),
                          *body.words])
    # a line of marks wholly in the margin (confidence 30 and 83: 47.7 a line)
    lines.insert(6, make_line([Word("Ul", (150, 650, 250, 700), 30.0), Word("7", (300, 650, 340, 690), 83.0)]))
    out, dropped = strip_margins(tuple(lines), "dan")
    assert out[3].text == body.text and out[3].words == body.words
    assert dropped == ["by", "ø", "Ul 7"]
    assert [line.text for line in out] == [line.text for line in page()]


def test_typed_text_set_out_into_the_margin_stays():
    lines = page()
    lines[2] = make_line([Word("A.", (330, 420, 380, 458), 89.0), *lines[2].words])
    out, dropped = strip_margins(tuple(lines), "dan")
    assert dropped == [] and out[2].text.startswith("A. Der")


def test_unsure_line_below_the_block_is_left_out_but_not_within_it():
    lines = page()
    # a short last line of a paragraph, read badly, between two typed lines
    lines.insert(5, make_line([Word("begære", (400, 565, 580, 600), 27.0)]))
    # a signature scrawl under the text
    lines.append(make_line([Word("A", (700, 1000, 730, 1030), 27.0), Word("ZÁ", (760, 1000, 820, 1030), 46.0)]))
    out, dropped = strip_margins(tuple(lines), "dan")
    assert dropped == ["A ZÁ"]
    assert "begære" in [line.text for line in out] and len(out) == 11


def test_too_few_lines_to_tell_the_column_leave_the_page_alone():
    lines = (typed_line(300), make_line([Word("by", (100, 300, 160, 338), 10.0)]))
    assert strip_margins(lines, "dan") == (lines, [])
