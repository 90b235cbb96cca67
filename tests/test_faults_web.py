"""The review page and its accounts under the fault-and-attack probe (issue 13, web half), on SQLite
and PostgreSQL: sessions that end server-side, a sign-in limiter that cannot be turned against real
users, private database files, a skip list kept out of the cookie, NUL characters and odd values
answered with a clean 4xx, and the `users` commands that disable accounts and change roles."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import delete, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from flows.web.auth import hash_password
from ingest.settings import Settings
from qa.flags import Flag as RuleFlag
from storage.documents import DocumentRepository
from storage.files import FileStore
from storage.flags import FlagRepository
from storage.models import AuditEvent, Document, FlagRow, LoginFailure, PassageVersion, ReviewSession, User
from storage.review import ReviewRepository
from tests.test_review_store import page

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


@pytest.fixture
def site(db_url, tmp_path):
    """One stored page with a scan and three flags, two accounts, and the review app on them."""
    from flows.web.app import create_app

    repo = DocumentRepository(db_url)
    with repo.sessions.begin() as s:  # the PostgreSQL database is shared by the test session
        for table in (Document, ReviewSession, User, AuditEvent, LoginFailure):
            s.execute(delete(table))
    files = FileStore(tmp_path / "files")
    key = files.put_image(Image.new("L", (620, 877), 255))
    claim = repo.claim(sha256="b" * 64, source_path="/scans/c.tif", filename="c.tif", size_bytes=1,
                       collection="c", lang="vie", run_id=None)
    repo.plan(claim.document_id, media_type="image/tiff", page_count=1)
    repo.save_page(claim.document_id, page(["MẬT ĐIỆN SỐ 417", "Gửi Khu ủy Khu 5", "Bộ Chính tri đã họp"]),
                   original_image=key, preprocessed_image=None)
    repo.mark_stored(claim.document_id)
    FlagRepository(db_url).replace(claim.document_id, [
        RuleFlag("low_confidence", "high", "word", f"word {n} read with confidence 31", 1, n, 0)
        for n in range(3)], scope="page")
    accounts = ReviewRepository(db_url)
    accounts.add_user("alice", "reviewer", hash_password(PASSWORD))
    accounts.add_user("bob", "reviewer", hash_password(PASSWORD))
    settings = Settings(db_url=db_url, files_dir=str(tmp_path / "files"), review_reprocess="off")
    app = create_app(settings)
    with repo.sessions() as s:
        page_id = repo.get_document(claim.document_id, full=True).pages[0].id
        flag_ids = sorted(s.scalars(select(FlagRow.id).where(FlagRow.document_id == claim.document_id)))
    yield {"app": app, "db_url": db_url, "document": claim.document_id, "page_id": page_id, "flags": flag_ids,
           "repo": accounts}
    app.state.reprocessor.shutdown()


def client(site, address: str = "10.0.0.1") -> TestClient:
    return TestClient(site["app"], client=(address, 40000), follow_redirects=False, raise_server_exceptions=os.environ.get("RAISE") == "1")


def csrf(c: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text).group(1)


def sign_in(c: TestClient, name: str, password: str = PASSWORD) -> httpx.Response:
    return c.post("/login", data={"username": name, "password": password, "csrf_token": csrf(c)})


def signed_in(site, name: str = "alice", address: str = "10.0.0.1") -> TestClient:
    c = client(site, address)
    r = sign_in(c, name)
    assert r.status_code == 303, r.text
    return c


def cookie_payload(c: TestClient) -> dict:
    data = c.cookies["archive_review"].split(".")[0]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))


# ---- 3: sessions end server-side ------------------------------------------------------------
def test_a_cookie_copied_before_logout_no_longer_works(site):
    c = signed_in(site)
    copied = dict(c.cookies)
    assert c.get("/queue").status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf(c, "/queue")}).status_code == 303
    thief = client(site, "10.9.9.9")
    thief.cookies.update(copied)
    r = thief.get("/queue")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize("command", [["role", "alice", "staff"], ["disable", "alice"], ["passwd", "alice"]])
def test_role_change_disabling_and_a_new_password_end_the_users_sessions(site, monkeypatch, command):
    from flows.cli import app

    alice, bob = signed_in(site, "alice"), signed_in(site, "bob", "10.0.0.2")
    assert alice.get("/queue").status_code == 200
    monkeypatch.setenv("ARCHIVE_DB_URL", site["db_url"])
    done = CliRunner().invoke(app, ["users", *command] + (["--password-stdin"] if command[0] == "passwd" else []),
                              input="a new long password\n")
    assert done.exit_code == 0, done.output
    r = alice.get("/queue")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert site["repo"].session_count("alice") == 0
    assert bob.get("/queue").status_code == 200  # only that user's sessions end


def test_users_disable_enable_and_role(site, monkeypatch):
    from flows.cli import app

    monkeypatch.setenv("ARCHIVE_DB_URL", site["db_url"])
    run = CliRunner().invoke
    out = run(app, ["users", "disable", "ALICE"])
    assert out.exit_code == 0 and "disabled alice" in out.output
    assert sign_in(client(site), "alice").status_code == 401  # a disabled user cannot sign in
    assert run(app, ["users", "enable", "alice"]).exit_code == 0
    assert sign_in(client(site), "alice").status_code == 303
    out = run(app, ["users", "role", "alice", "staff"])
    assert out.exit_code == 0 and "alice is now staff" in out.output
    c = signed_in(site, "alice")
    assert c.get("/queue").status_code == 403 and c.get("/documents").status_code == 200
    bad = run(app, ["users", "role", "alice", "root"])
    assert bad.exit_code == 2 and "role must be one of" in bad.output
    missing = run(app, ["users", "disable", "nobody"])
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output
    listed = run(app, ["users", "list"])
    assert listed.output.split() == ["alice", "staff", "active", "bob", "reviewer", "active"]


def test_the_403_page_keeps_the_navigation(site, monkeypatch):
    site["repo"].set_role("alice", "staff")
    c = signed_in(site)
    r = c.get("/queue")
    assert r.status_code == 403
    assert 'href="/documents"' in r.text and 'action="/logout"' in r.text


# ---- 5: no part of the password hash in the cookie; private database files -------------------
def test_the_cookie_holds_a_random_session_id_and_nothing_of_the_password(site):
    c = signed_in(site)
    payload = cookie_payload(c)
    assert set(payload) == {"sid", "csrf"}
    password_hash = site["repo"].user("alice").password_hash
    raw = c.cookies["archive_review"]
    assert not any(password_hash[i:i + 8] in raw for i in range(len(password_hash) - 8))
    with site["repo"].sessions() as s:  # the database keeps only a digest of the token
        ids = list(s.scalars(select(ReviewSession.id)))
    assert ids and payload["sid"] not in ids


def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path):
    from storage.db import make_engine, open_to_others, upgrade

    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path}/new/archive.db")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM users").all()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "new").iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert {"archive.db", "archive.db-wal", "archive.db-shm"} <= set(modes), modes
    assert all(mode == 0o600 for mode in modes.values()), modes
    url = f"sqlite:///{tmp_path}/new/archive.db"
    assert open_to_others(url) is None
    (tmp_path / "new" / "archive.db").chmod(0o644)  # made before this rule: `review serve` warns
    assert open_to_others(url) == tmp_path / "new" / "archive.db"


# ---- 4 and 20: the limiter and user names ------------------------------------------------------
def test_failures_for_a_name_do_not_lock_out_its_owner_elsewhere(site):
    attacker = client(site, "203.0.113.5")
    for name in ("alice", "ALICE", " alice ", "Alice", "aLiCe"):
        assert sign_in(attacker, name, "guess-guess").status_code == 401
    assert sign_in(attacker, "alice").status_code == 429  # that address now waits, even with the password
    assert sign_in(client(site, "198.51.100.7"), "alice").status_code == 303  # alice elsewhere is not blocked


def test_made_up_names_lock_out_only_their_address(site):
    attacker = client(site, "203.0.113.5")
    for k in range(5):
        assert sign_in(attacker, f"nobody{k}", "guess-guess").status_code == 401
    assert sign_in(attacker, "nobody9", "guess-guess").status_code == 429
    assert sign_in(client(site, "198.51.100.7"), "bob").status_code == 303


def test_user_names_are_normalised_at_sign_in_and_at_users_add(site, monkeypatch):
    from flows.cli import app

    monkeypatch.setenv("ARCHIVE_DB_URL", site["db_url"])
    decomposed = unicodedata.normalize("NFD", "  Đức Minh ")
    out = CliRunner().invoke(app, ["users", "add", decomposed, "--password-stdin"], input=PASSWORD + "\n")
    assert out.exit_code == 0 and "added Đức Minh (reviewer)" in out.output
    assert site["repo"].user("Đức Minh").name == unicodedata.normalize("NFC", "Đức Minh")
    dup = CliRunner().invoke(app, ["users", "add", "đức minh", "--password-stdin"], input=PASSWORD + "\n")
    assert dup.exit_code == 2 and "already exists" in dup.output
    for typed in ("Đức Minh", unicodedata.normalize("NFD", "đức minh"), " ĐỨC MINH "):
        assert sign_in(client(site, "10.1.1.1"), typed).status_code == 303, typed
    assert sign_in(client(site, "10.1.1.1"), "ａｌｉｃｅ").status_code == 303  # full-width letters (NFKC)


# ---- 13: clean 4xx answers -------------------------------------------------------------------
def test_odd_values_get_a_clean_4xx(site):
    c = signed_in(site)
    pid, doc = site["page_id"], site["document"]
    assert c.get(f"/images/pages/{pid}?width=200").status_code == 200
    for path, status in ((f"/images/pages/{pid}?width=-5", 400), (f"/images/pages/{pid}?width=0", 400),
                         (f"/images/pages/{pid}?crop=1,2,99999999999999999999999,4", 400),
                         (f"/images/pages/{pid}?crop=①,2,3,4", 400),
                         (f"/images/pages/{2**63}", 404), (f"/records/{2**64}", 404), (f"/flags/{2**63}", 404),
                         (f"/passages/{doc}/{2**63}/1", 404), ("/records/2147483648", 404),
                         ("/records/2147483647", 404),
                         ("/queue?collection=%00", 400), ("/queue?type=a%00b", 400)):
        r = c.get(path)
        assert r.status_code == status, (path, r.status_code, r.text[:200])
    assert c.get("/queue?collection=%00").headers["X-Content-Type-Options"] == "nosniff"
    r = c.get("/queue?document=①")
    assert r.status_code == 200  # a filter that is no document id is no filter
    token = csrf(c, "/queue")
    r = c.post(f"/passages/{doc}/1/1", data={"action": "skip", "flag_id": [str(2**70), "①"], "csrf_token": token})
    assert r.status_code == 303
    r = c.post(f"/passages/{doc}/1/99", data={"action": "accept", "base_version": "0", "csrf_token": token})
    assert r.status_code == 404


def test_a_non_ascii_form_token_is_refused_not_a_crash(site):
    c = client(site)
    csrf(c)
    r = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "jeton-ü"})
    assert r.status_code == 403 and "security token" in r.text


def test_an_over_long_user_name_is_refused_and_counted(site):
    attacker = client(site, "203.0.113.5")
    for _ in range(5):
        assert sign_in(attacker, "m" * 400, "guess-guess").status_code == 401
    assert sign_in(attacker, "m" * 400, "guess-guess").status_code == 429
    assert sign_in(client(site, "10.0.0.3"), "nul\x00name", "guess-guess").status_code == 401


# ---- 12: NUL in a correction or a note ---------------------------------------------------------
def test_a_correction_and_a_note_with_nul_are_stored_without_it(site):
    c = signed_in(site)
    doc = site["document"]
    token = csrf(c, f"/passages/{doc}/1/2")
    r = c.post(f"/passages/{doc}/1/2", data={"action": "correct", "base_version": "0", "csrf_token": token,
                                             "text": "Bộ Chính trị\x00 đã họp", "note": "dấu\x00 thanh",
                                             "flag_id": str(site["flags"][2])})
    assert r.status_code == 303, r.text[:300]
    with site["repo"].sessions() as s:
        version = s.scalar(select(PassageVersion).where(PassageVersion.document_id == doc))
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "correct"))
    assert version.text == "Bộ Chính trị đã họp" and event.note == "dấu thanh"


# ---- 14: the skip list lives in the database -------------------------------------------------
def test_the_skip_list_is_kept_server_side(site):
    c = signed_in(site)
    doc = site["document"]
    first = f"/passages/{doc}/1/0"
    r = c.post(first, data={"action": "skip", "csrf_token": csrf(c, "/queue")})
    assert r.status_code == 303
    second = r.headers["location"].split("?")[0]
    assert second.startswith("/passages/") and second != first  # the skipped passage is passed over
    assert len(c.cookies["archive_review"]) < 400 and set(cookie_payload(c)) == {"sid", "csrf"}
    again = c.post(second, data={"action": "skip", "csrf_token": csrf(c, "/queue")})
    assert again.status_code == 303
    assert again.headers["location"].split("?")[0] not in (first, second)  # both remembered in the database
    assert set(cookie_payload(c)) == {"sid", "csrf"}


# ---- 4: proxy headers, with the real `review serve` --------------------------------------------
def _serve(db_url: str, tmp_path: Path, trusted: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ARCHIVE_DB_URL": db_url, "ARCHIVE_FILES_DIR": str(tmp_path / "files"),
           "ARCHIVE_REVIEW_REPROCESS": "off", "ARCHIVE_REVIEW_TRUSTED_PROXIES": trusted,
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("archive-ingest")), "review", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(url + "/login", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(proc.stderr.read().decode())


def _post_login(url: str, name: str, password: str, forwarded_for: str) -> int:
    with httpx.Client(base_url=url, headers={"X-Forwarded-For": forwarded_for}) as h:
        token = re.search(r'name="csrf_token" value="([^"]+)"', h.get("/login").text).group(1)
        return h.post("/login", data={"username": name, "password": password, "csrf_token": token}).status_code


@pytest.mark.parametrize("trusted", ["127.0.0.1", ""])
def test_behind_a_trusted_proxy_failures_count_per_client(site, tmp_path, trusted):
    proc, url = _serve(site["db_url"], tmp_path, trusted)
    try:
        for k in range(5):
            assert _post_login(url, f"made-up-{k}", "guess-guess", f"203.0.113.{k}, 203.0.113.5") == 401
        blocked = _post_login(url, "made-up-9", "guess-guess", "203.0.113.5")
        alice = _post_login(url, "alice", PASSWORD, "198.51.100.7")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert blocked == 429  # the failing client waits (without a trusted proxy: everyone at this address)
    assert alice == (303 if trusted else 429)  # a trusted proxy's other clients are not locked out


# ---- the `users` commands: one line on a database fault, never its password ------------------------
def test_users_commands_print_one_line_and_no_password_when_the_database_is_down(tmp_path):
    exe = Path(sys.executable).with_name("archive-ingest")
    env = {**os.environ, "ARCHIVE_DB_URL": "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/archive",
           "PYTHONPATH": str(ROOT)}
    for args, stdin in ((["users", "list"], ""), (["users", "add", "minh", "--password-stdin"], PASSWORD + "\n"),
                        (["users", "disable", "minh"], "")):
        done = subprocess.run([str(exe), *args], cwd=tmp_path, env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 4, (args, done.stderr[-500:])
        assert done.stderr.startswith("error: database:") and len(done.stderr.strip().splitlines()) == 1
        assert "s3cret-pw" not in done.stdout + done.stderr


# ---- migration 0008 on a database with accounts -----------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    """A database with no tables yet (PostgreSQL: made for this test, dropped after)."""
    from tests.helpers import fresh_db_url

    with fresh_db_url(request.param, tmp_path, "archive_mig") as url:
        yield url


def test_migration_gives_existing_users_their_sign_in_key(empty_db_url):
    from alembic import command
    from sqlalchemy import text

    from storage.db import alembic_config, make_engine

    engine = make_engine(empty_db_url)
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "6d1f8b2c3e06")  # 0006, before accounts had keys
        conn.execute(text("INSERT INTO users (name, role, password_hash, active, created_at) "
                          "VALUES ('Minh Đức', 'reviewer', 'x', true, '2026-01-01')"))
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        assert conn.execute(text("SELECT name_key FROM users")).scalar() == "minh đức"
        assert conn.execute(text("SELECT count(*) FROM review_sessions")).scalar() == 0
        command.downgrade(cfg, "6d1f8b2c3e06")
        assert conn.execute(text("SELECT name FROM users")).scalar() == "Minh Đức"
    from sqlalchemy import inspect

    assert "review_sessions" not in inspect(engine).get_table_names()
    engine.dispose()


def test_a_cookie_forged_with_the_signing_key_signs_no_one_in(site):
    """Whoever reads the signing key (from the database or the settings) can sign a cookie, but a
    session is a database row found only by a token's digest: the old {uid, pw} form and a made-up
    session token both lead to the sign-in page."""
    from itsdangerous import TimestampSigner

    signer = TimestampSigner(site["repo"].secret("session"))
    alice = site["repo"].user("alice")
    signed_in(site)  # alice has an open session, whose token the forger does not know
    for payload in ({"uid": alice.id, "pw": alice.password_hash[-16:], "csrf": "x"},
                    {"sid": "a" * 43, "csrf": "x"}):
        forged = signer.sign(base64.b64encode(json.dumps(payload).encode())).decode()
        c = client(site, "10.6.6.6")
        c.cookies.set("archive_review", forged)
        r = c.get("/queue")
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), payload


ODD = ["-1", "0", "2147483648", "9" * 40, "①", "١٢", "1e3", "abc", "%F0%9F%98%80", "%20", "", "1.5", "%FF"]


def test_no_route_answers_500_to_odd_values(site):
    c = signed_in(site)
    doc, pid = site["document"], site["page_id"]
    paths = []
    for v in ODD:
        paths += [f"/flags/{v}", f"/passages/{v}/1/1", f"/passages/{doc}/{v}/1", f"/records/{v}",
                  f"/images/pages/{v}", f"/images/pages/{pid}?width={v}", f"/images/pages/{pid}?kind={v}",
                  f"/images/pages/{pid}?crop={v},0,10,10", f"/queue?document={v}", f"/queue?collection={v}",
                  f"/queue?type={v}", f"/login?next={v}", f"/passages/{doc}/1/1?document={v}"]
    failed = [(p, r.status_code) for p in paths if (r := c.get(p)).status_code >= 500]
    token = csrf(c, "/queue")
    for v in ODD:
        for field in ("base_version", "flag_id", "action", "text", "note"):
            data = {"action": "accept", "base_version": "0", "csrf_token": token, field: v}
            r = c.post(f"/passages/{doc}/1/0", data=data)
            if r.status_code >= 500:
                failed.append((field, v, r.status_code))
    assert failed == []
