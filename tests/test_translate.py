"""deep-translator's real LibreTranslate client against a compatible server on 127.0.0.1."""

import json
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from ingest.translate import MemoryCache, TranslationConfig, Translator


class FakeLibre:
    """Answers /translate like LibreTranslate; `script` holds the status codes to give first."""

    def __init__(self):
        self.requests = []
        self.script: list = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                query = parse_qs(urlparse(self.path).query)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    query.update(parse_qs(self.rfile.read(length).decode()))
                fake.requests.append(query)
                action = fake.script.pop(0) if fake.script else 200
                if action == "sleep":
                    time.sleep(1.5)
                    action = 200
                if action != 200:
                    self.send_response(action)
                    self.end_headers()
                    self.wfile.write(b'{"error": "busy"}')
                    return
                text = query["q"][0]
                body = json.dumps({"translatedText": "\n".join(f"EN[{t}]" for t in text.split("\n"))})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def libre():
    server = FakeLibre()
    yield server
    server.close()


def translator(url, **kw):
    config = TranslationConfig(provider="libre", url=url, timeout=kw.pop("timeout", 5.0), **kw)
    return Translator(config, MemoryCache(), sleep=lambda s: None)


def test_batch_is_one_request_and_cached(libre):
    t = translator(libre.url)
    out = t.translate(["Bộ Chính trị.", "Trung ương Cục.", ""])
    assert out.status == "done" and out.machine_made and out.provider == "libre"
    assert out.texts == ["EN[Bộ Chính trị.]", "EN[Trung ương Cục.]", ""]
    assert len(libre.requests) == 1 and libre.requests[0]["source"] == ["vi"]
    again = t.translate(["Trung ương Cục."])
    assert again.texts == ["EN[Trung ương Cục.]"] and len(libre.requests) == 1  # from the cache


def test_input_and_output_are_nfc(libre):
    decomposed = unicodedata.normalize("NFD", "Hòa bình")
    out = translator(libre.url).translate([decomposed])
    assert libre.requests[0]["q"] == ["Hòa bình"]
    assert unicodedata.is_normalized("NFC", out.texts[0])


@pytest.mark.parametrize("code", [429, 500, 503])
def test_retries_then_succeeds(libre, code):
    libre.script = [code, code]
    out = translator(libre.url).translate(["Mỹ"])
    assert out.status == "done" and out.texts == ["EN[Mỹ]"] and len(libre.requests) == 3


def test_timeout_retried_then_pending(libre):
    libre.script = ["sleep", "sleep", "sleep"]
    out = translator(libre.url, timeout=0.3, max_retries=2).translate(["ngụy"])
    assert out.status == "pending" and out.texts == [None] and "timed out" in out.error


def test_server_down_is_pending_not_an_error():
    out = translator("http://127.0.0.1:9/", max_retries=1).translate(["Mỹ"])
    assert out.status == "pending" and out.texts == [None]
    assert "\n" not in out.error


def test_budget(libre):
    t = translator(libre.url, char_budget=30)
    out = t.translate(["a" * 20, "b" * 20])
    assert out.status == "budget_exceeded" and out.texts[0] == "EN[" + "a" * 20 + "]" and out.texts[1] is None


def test_offline_default_sends_nothing():
    out = Translator(TranslationConfig()).translate(["Mỹ"])
    assert out.status == "pending" and out.texts == [None] and out.provider == "none"
