from ingest.model import Line
from ingest.paragraphs import join_lines, rebuild_passages


def line(text, x0, y0, x1=None, h=40):
    return Line(text=text, bbox=(x0, y0, x1 or x0 + 25 * len(text), y0 + h), confidence=90.0)


def test_hyphenated_break_is_joined():
    assert join_lines(["the adminis-", "tration said"]) == "the administration said"
    assert join_lines(["Pa-", "Ri"]) == "Pa- Ri"  # capital after the hyphen: not a broken word
    assert join_lines(["ngày 2", "tháng 11"]) == "ngày 2 tháng 11"


def test_paragraphs_split_at_gaps_and_indents():
    lines = (
        line("1. Bộ Chính trị đã nhận được báo cáo ngày 28", 100, 100, 1500),
        line("của các đồng chí về tình hình ở Sài Gòn.", 100, 160, 1100),
        line("2. Về đấu tranh ngoại giao, từ nay đến cuối năm", 100, 300, 1500),  # wide gap
        line("ta cần giữ vững lập trường đã nêu.", 100, 360, 900),
        line("Đoàn đại biểu của ta ở Pa-ri sẽ tiếp tục", 220, 420, 1500),  # indented after a full stop
        line("đòi chấm dứt ném bom.", 100, 480, 700),
    )
    passages = rebuild_passages(lines)
    assert [(p.first_line, p.last_line) for p in passages] == [(0, 1), (2, 3), (4, 5)]
    assert passages[0].text.startswith("1. Bộ Chính trị") and passages[0].text.endswith("Sài Gòn.")
    assert passages[2].bbox == (100, 420, 1500, 520)


def test_empty_page_has_no_passages():
    assert rebuild_passages(()) == ()
