"""Review storage on SQLite and PostgreSQL: versions over the untouched OCR, conflicts, versions that
survive a new reading of the page, flags that stay resolved; accounts and the `users` command."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from flows.web.auth import LoginLimiter, hash_password, verify_password
from ingest.model import Line, PageText, Passage, Word
from qa.flags import Flag as RuleFlag
from storage.alignments import AlignmentRepository
from storage.documents import DocumentRepository
from storage.flags import FlagRepository
from storage.locate import PassageRef
from storage.models import AuditEvent, Document, LoginFailure, PassageVersion, User
from storage.review import ReviewRepository


def page(texts: list[str]) -> PageText:
    """One passage per line, boxes stacked down the page, as the OCR stage stores them."""
    lines, passages = [], []
    for i, text in enumerate(texts):
        box = (100, 100 + 60 * i, 100 + 20 * len(text), 140 + 60 * i)
        words = tuple(Word(w, (box[0] + 80 * k, box[1], box[0] + 80 * k + 70, box[3]), 91.0)
                      for k, w in enumerate(text.split()))
        lines.append(Line(text, box, 91.0, words))
        passages.append(Passage(text, box, i, i))
    return PageText(1, "ocr", tuple(lines), tuple(passages), 2480, 3508, 300, mean_confidence=91.0)


@pytest.fixture
def stored(db_url):
    repo = DocumentRepository(db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        s.execute(delete(Document))
        s.execute(delete(User))
        s.execute(delete(AuditEvent))
        s.execute(delete(LoginFailure))
    claim = repo.claim(sha256="a" * 64, source_path="/scans/c.tif", filename="c.tif", size_bytes=1,
                       collection="c", lang="vie", run_id=None)
    repo.plan(claim.document_id, media_type="image/tiff", page_count=1)
    repo.save_page(claim.document_id, page(["MẬT ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5", "Bộ Chính tri đã họp"]),
                   original_image=None, preprocessed_image=None)
    repo.mark_stored(claim.document_id)
    return repo, claim.document_id


def test_a_correction_is_a_version_and_a_stale_one_is_a_conflict(stored):
    repo, doc = stored
    review = ReviewRepository(repo.url)
    ref = PassageRef(doc, 1, 2)
    first = review.save_version(ref, base_version=0, kind="correction", text="Bộ Chính trị đã họp",
                                user="alice", flag_ids=[], flag_status="corrected")
    assert first.ok and first.version == 1
    late = review.save_version(ref, base_version=0, kind="correction", text="Bộ Chính trị đã họp.",
                               user="bob", flag_ids=[], flag_status="corrected")
    assert not late.ok and late.conflict.author == "alice" and late.conflict.text == "Bộ Chính trị đã họp"
    assert AlignmentRepository(repo.url).passages(doc)[2] == (1, 2, "Bộ Chính trị đã họp")
    assert repo.get_document(doc, full=True).pages[0].passages[2].text == "Bộ Chính tri đã họp"  # raw OCR kept
    again = review.save_version(ref, base_version=1, kind="correction", text="Bộ Chính trị đã họp.",
                                user="bob", flag_ids=[], flag_status="corrected")
    assert again.ok and again.version == 2
    with review.sessions() as s:
        events = [(e.user, e.action, e.before, e.after) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [("alice", "correct", "Bộ Chính tri đã họp", "Bộ Chính trị đã họp"),
                      ("bob", "correct", "Bộ Chính trị đã họp", "Bộ Chính trị đã họp.")]


def test_text_is_stored_nfc_whatever_the_input_method_sent(stored):
    import unicodedata

    repo, doc = stored
    review = ReviewRepository(repo.url)
    decomposed = unicodedata.normalize("NFD", "Gửi Khu ủy Khu 5.")
    assert review.save_version(PassageRef(doc, 1, 1), base_version=0, kind="correction", text=decomposed,
                               user="alice", flag_ids=[], flag_status="corrected").ok
    with review.sessions() as s:
        assert s.scalar(select(PassageVersion.text)) == unicodedata.normalize("NFC", decomposed)


def test_versions_survive_a_new_reading_of_the_page(stored):
    repo, doc = stored
    review = ReviewRepository(repo.url)
    assert review.save_version(PassageRef(doc, 1, 2), base_version=0, kind="correction", text="Bộ Chính trị đã họp",
                               user="alice", flag_ids=[], flag_status="corrected").ok
    # read again (reprocess, or the same file ingested after a quarantine): same text, same place
    repo.save_page(doc, page(["MẬT ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5", "Bộ Chính tri đã họp"]),
                   original_image=None, preprocessed_image=None)
    assert AlignmentRepository(repo.url).passages(doc)[2][2] == "Bộ Chính trị đã họp"
    # a better reading splits the header: the passage moved to number 3 and reads a little differently
    repo.save_page(doc, page(["MẬT", "ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5", "Bộ Chính tri đã hop"]),
                   original_image=None, preprocessed_image=None)
    texts = [t for _, _, t in AlignmentRepository(repo.url).passages(doc)]
    assert texts == ["MẬT", "ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5", "Bộ Chính trị đã họp"]
    view = review.passage_view(PassageRef(doc, 1, 3))
    assert view.version == 1 and view.text == "Bộ Chính trị đã họp" and view.raw_text == "Bộ Chính tri đã hop"
    # a stale form (version 0) cannot overwrite it at its new place either
    assert not review.save_version(PassageRef(doc, 1, 3), base_version=0, kind="correction", text="x",
                                   user="bob", flag_ids=[], flag_status="corrected").ok


def test_resolved_flags_stay_resolved_and_reviewed_passages_are_not_reflagged(stored, tmp_path):
    from dataclasses import replace

    from flows.app.steps import flag_document
    from ingest.settings import Settings

    repo, doc = stored
    flags = FlagRepository(repo.url)
    review = ReviewRepository(repo.url)
    raised = [RuleFlag("invalid_syllable", "medium", "word", "“tri” is not attested here", 1, 2, 2, bbox=(0, 0, 1, 1)),
              RuleFlag("low_confidence", "high", "word", "“Gửi” read with confidence 20", 1, 1, 0, bbox=(0, 0, 1, 1))]
    flags.replace(doc, raised, scope="page")
    ids = {f.line_number: f.id for f in flags.flags(doc)}
    review.resolve(doc, [ids[1]], "accepted", "alice", action="accept", ref=PassageRef(doc, 1, 1))
    flags.replace(doc, raised, scope="page")  # the rules run again and find the same two things
    assert sorted((f.line_number, f.status) for f in flags.flags(doc)) == [(1, "accepted"), (2, "open")]
    # after a correction of passage 2, the OCR rules stay quiet on its lines
    review.save_version(PassageRef(doc, 1, 2), base_version=0, kind="correction", text="Bộ Chính trị đã họp",
                        user="alice", flag_ids=[ids[2]], flag_status="corrected")
    settings = replace(Settings(), db_url=repo.url, files_dir=str(tmp_path))
    flag_document(doc, settings)
    assert all(f.line_number != 2 or f.status != "open" for f in flags.flags(doc))


def test_accounts_passwords_and_rate_limit(stored):
    repo, _ = stored
    review = ReviewRepository(repo.url)
    review.add_user("alice", "reviewer", hash_password("long enough pw"))
    with pytest.raises(ValueError, match="already exists"):
        review.add_user("alice", "admin", hash_password("long enough pw"))
    with pytest.raises(ValueError, match="role"):
        review.add_user("eve", "root", hash_password("long enough pw"))
    with pytest.raises(ValueError, match="at least"):
        hash_password("short")
    stored_hash = review.user("alice").password_hash
    assert stored_hash.startswith("$argon2id$") and "long enough pw" not in stored_hash
    assert verify_password(stored_hash, "long enough pw") and not verify_password(stored_hash, "wrong")
    assert not verify_password(None, "long enough pw")  # unknown user
    # two web processes on one database count the same failures
    limiter, other = LoginLimiter(review, max_failures=3, window=60), LoginLimiter(ReviewRepository(repo.url), 3, 60)
    for k in range(3):
        assert limiter.retry_after(["user:alice"]) == 0
        (limiter if k % 2 else other).failed(["user:alice", "addr:10.0.0.1"])
    assert 0 < limiter.retry_after(["user:alice"]) <= 61 and 0 < other.retry_after(["user:alice"]) <= 61
    assert limiter.retry_after(["addr:10.0.0.1"]) > 0 and limiter.retry_after(["user:bob"]) == 0
    other.succeeded("user:alice")  # a good password clears the name (not the address)
    assert limiter.retry_after(["user:alice"]) == 0 and limiter.retry_after(["addr:10.0.0.1"]) > 0
    # failures older than the window no longer count, and are dropped when the next is kept
    short = LoginLimiter(review, max_failures=1, window=0.05)
    short.failed(["user:carol"])
    assert short.retry_after(["user:carol"]) > 0
    time.sleep(0.1)
    assert short.retry_after(["user:carol"]) == 0
    short.failed(["user:dave"])
    assert [k for k, _ in review.login_failures(["user:carol", "user:dave"], since=0)] == ["user:dave"]


def test_users_command(tmp_path, monkeypatch):
    from flows.cli import app

    monkeypatch.setenv("ARCHIVE_DB_URL", f"sqlite:///{tmp_path}/archive.db")
    runner = CliRunner()
    ok = runner.invoke(app, ["users", "add", "minh", "--role", "staff", "--password-stdin"],
                       input="a long password\n")
    assert ok.exit_code == 0 and "added minh (staff)" in ok.output
    bad = runner.invoke(app, ["users", "add", "x", "--role", "root", "--password-stdin"], input="a long password\n")
    assert bad.exit_code == 2 and "--role must be one of" in bad.output
    short = runner.invoke(app, ["users", "add", "y", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output
    dup = runner.invoke(app, ["users", "add", "minh", "--password-stdin"], input="a long password\n")
    assert dup.exit_code == 2 and "already exists" in dup.output
    listed = runner.invoke(app, ["users", "list"])
    assert listed.output.split() == ["minh", "staff", "active"]
    user = ReviewRepository(f"sqlite:///{tmp_path}/archive.db").user("minh")
    assert verify_password(user.password_hash, "a long password")


def test_export_carries_the_reviewed_text_beside_the_raw_ocr(stored):
    from storage.export import document_dict

    repo, doc = stored
    review = ReviewRepository(repo.url)
    review.save_version(PassageRef(doc, 1, 2), base_version=0, kind="correction", text="Bộ Chính trị đã họp",
                        user="alice", flag_ids=[], flag_status="corrected")
    d = document_dict(repo.get_document(doc, full=True), versions=review.versions(doc))
    passages = d["pages"][0]["passages"]
    assert passages[2]["text"] == "Bộ Chính tri đã họp"
    assert passages[2]["reviewed"]["text"] == "Bộ Chính trị đã họp" and passages[2]["reviewed"]["by"] == "alice"
    assert "reviewed" not in passages[0]


def test_alignment_flags_and_page_flags_are_replaced_separately(stored):
    repo, doc = stored
    flags = FlagRepository(repo.url)
    page_flag = RuleFlag("low_confidence", "medium", "word", "“Gửi” read with confidence 40", 1, 1, 0)
    mt_flag = RuleFlag("mt_disagreement", "medium", "passage", "machine and human translation share little", 1, 2)
    link_flag = RuleFlag("anchor_mismatch", "high", "link", "numbers/dates differ", link=0)
    flags.replace(doc, [page_flag], scope="page")
    for _ in range(2):  # aligning again replaces the alignment's flags, passage-level ones included
        flags.replace(doc, [mt_flag, link_flag], scope="link", target_document_id=99)
    flags.replace(doc, [page_flag], scope="page")  # and the page rules leave them alone
    assert sorted(f.type for f in flags.flags(doc)) == ["anchor_mismatch", "low_confidence", "mt_disagreement"]


def test_suggestions_keep_case_and_punctuation():
    """What the passage view offers for a flag's suggestion: the word's core with its capital kept,
    or the whole token when only the punctuation differs; counted among earlier occurrences."""
    from types import SimpleNamespace as NS

    from qa.review.strips import suggestions as _suggestions
    from storage.review import PassageWord as W

    box = (0, 0, 10, 10)
    words = [W("Chỉ", box, 95, 0), W("thi", box, 92, 1), W("tiên,", box, 91, 2), W("thi", box, 92, 3)]
    flags = [NS(id=1, status="open", level="word", line_number=0, word_number=0, details={"suggestion": "chi"}),
             NS(id=2, status="open", level="word", line_number=0, word_number=2, details={"suggestion": "tiên."}),
             NS(id=3, status="open", level="word", line_number=0, word_number=3, details={"suggestion": "thí"}),
             NS(id=4, status="accepted", level="word", line_number=0, word_number=1, details={"suggestion": "thí"}),
             NS(id=5, status="open", level="word", line_number=0, word_number=1, details={"suggestion": None})]
    got = _suggestions(NS(lines=[{"number": 0, "words": words}], flags=flags))
    # the line field each goes into (0: the passage's first line), then its place in that line
    assert got == {1: {"line": 0, "find": "Chỉ", "put": "Chi", "nth": 0},
                   2: {"line": 0, "find": "tiên,", "put": "tiên.", "nth": 0},
                   3: {"line": 0, "find": "thi", "put": "thí", "nth": 1}}
