"""A page too bad to correct word by word says so once: one critical page_unreadable flag, with the
page's mean confidence, instead of its word flags, first in the review queue (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete

from ingest.model import Line, PageText, Passage, Word
from qa.flags import flag_page, page_unreadable
from storage.documents import DocumentRepository
from storage.flags import FlagRepository
from storage.models import Document
from storage.review_queue import ReviewQueueRepository


def _lines(confidences: list[float], words_per_line: int = 6):
    """flag_words' input: (text, box, [(word, box, confidence)]) with one confidence per line."""
    out = []
    for i, conf in enumerate(confidences):
        y = 100 + 50 * i
        words = [(f"slovo{k}", (100 + 90 * k, y, 180 + 90 * k, y + 30), conf) for k in range(words_per_line)]
        out.append((" ".join(w[0] for w in words), (100, y, 100 + 90 * words_per_line, y + 30), words))
    return out


def test_most_lines_doubtful_gives_one_critical_page_flag_instead_of_word_flags():
    bad = _lines([30, 45, 55, 92, 60, 20, 96, 50])  # 6 of 8 lines below 70
    flags = flag_page(4, bad, "ces")
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.type, flag.severity, flag.level, flag.page, flag.line_number, flag.word) == \
        ("page_unreadable", "critical", "page", 4, None, None)
    assert flag.evidence.startswith("page unreadable: re-scan or transcribe (mean confidence 56,")
    assert flag.details == {"confidence": 56.0, "doubtful_lines": 6, "lines": 8}


def test_a_page_with_some_doubtful_lines_keeps_its_word_flags():
    mixed = _lines([30, 45, 95, 92, 96, 20, 96, 97])  # 3 of 8: correct it word by word
    assert page_unreadable(1, mixed) is None
    flags = flag_page(1, mixed, "ces")
    assert flags and {f.type for f in flags} >= {"low_confidence"} and all(f.level != "page" for f in flags)
    assert page_unreadable(1, _lines([10, 10, 10, 10])) is None  # too few lines to call a page unreadable


def _page(number: int, confidences: list[float]) -> PageText:
    lines, passages = [], []
    for i, conf in enumerate(confidences):
        box = (100, 100 + 60 * i, 700, 140 + 60 * i)
        words = tuple(Word(f"w{i}x{k}", (100 + 100 * k, box[1], 190 + 100 * k, box[3]), conf) for k in range(5))
        text = " ".join(w.text for w in words)
        lines.append(Line(text, box, conf, words))
        passages.append(Passage(text, box, i, i))
    return PageText(number, "ocr", tuple(lines), tuple(passages), 2480, 3508, 300, mean_confidence=None)


def test_flag_document_stores_the_page_flag_first_in_the_queue(db_url, tmp_path):
    from flows.app.steps import flag_document
    from ingest.settings import Settings

    repo = DocumentRepository(db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        s.execute(delete(Document))
    claim = repo.claim(sha256="b" * 64, source_path="/scans/d.jpg", filename="d.jpg", size_bytes=1,
                       collection="c", lang="ces", run_id=None)
    repo.plan(claim.document_id, media_type="image/jpeg", page_count=2)
    repo.save_page(claim.document_id, _page(1, [96, 97, 30, 95, 98, 99]), original_image=None, preprocessed_image=None)
    repo.save_page(claim.document_id, _page(2, [20, 35, 50, 96, 40, 65]), original_image=None, preprocessed_image=None)
    repo.mark_stored(claim.document_id)
    flag_document(claim.document_id, replace(Settings(), db_url=db_url, files_dir=str(tmp_path), lang="ces"))
    stored = FlagRepository(db_url).flags(claim.document_id)
    on_page_2 = [f for f in stored if f.page_number == 2]
    assert [(f.type, f.severity, f.rank, f.level) for f in on_page_2] == [("page_unreadable", "critical", 4, "page")]
    assert "mean confidence 51" in on_page_2[0].evidence
    assert any(f.page_number == 1 and f.type == "low_confidence" for f in stored)  # page 1: word by word
    queue = ReviewQueueRepository(db_url).passages(document_id=claim.document_id)  # one item per passage
    assert queue[0].severity == "critical" and "page_unreadable" in [f.type for f in queue[0].flags]
    assert sum(len(item.flags) for item in queue) == len(stored)  # every open flag is in the queue
