"""deep-translator's real LibreTranslate client against a LibreTranslate-compatible server on
127.0.0.1 (an ephemeral port): batching, cache, 429/5xx/timeouts, a server that is down, budget."""

import json
import socket
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from ingest.translate import (
    MemoryCache,
    TranslationConfig,
    Translator,
    _deepl_request,
    cache_key,
    make_translator,
)


class FakeLibre:
    """Answers POST /translate as LibreTranslate does (deep-translator sends q, source, target,
    format and api_key in the query string): each line of q comes back as "EN[line]".

    `script` holds what to do for the next requests, in order, then plain answers:
    an HTTP status (int), (status, headers), "sleep" (answer nothing until closed),
    "nfd" (answer in decomposed Unicode), "merge" (answer all lines as one), "html" (not JSON)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                length = int(self.headers.get("Content-Length") or 0)
                if length:  # a form body is accepted too, as by the real server
                    query.update(parse_qs(self.rfile.read(length).decode()))
                fake.requests.append(query)
                action = fake.script.pop(0) if fake.script else 200
                if action == "sleep":
                    fake.release.wait(5)  # longer than any client timeout here; the client has gone
                    self.close_connection = True
                    return
                if url.path != "/translate":
                    return self.answer(404, {"error": "Not Found"})
                if isinstance(action, tuple):
                    return self.answer(action[0], {"error": "slow down"}, action[1])
                if isinstance(action, int) and action != 200:
                    return self.answer(action, {"error": "busy"})
                if action == "html":
                    return self.answer(200, "<html>a proxy page</html>")
                lines = [f"EN[{line}]" for line in query["q"][0].split("\n")]
                text = " ".join(lines) if action == "merge" else "\n".join(lines)
                if action == "nfd":
                    text = unicodedata.normalize("NFD", text)
                self.answer(200, {"translatedText": text})

            def answer(self, status, body, headers=None):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def libre():
    server = FakeLibre()
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there now: connection refused


class Sleeps(list):
    """Records the waits instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


def translator(url, cache=None, sleeps=None, **kw):
    kw.setdefault("timeout", 5.0)
    config = TranslationConfig(provider="libre", url=url, **kw)
    return Translator(config, cache if cache is not None else MemoryCache(),
                      sleep=sleeps if sleeps is not None else Sleeps())


def test_a_batch_is_one_request_in_order(libre):
    out = translator(libre.url).translate(["Bộ Chính trị.", "Trung ương Cục.", "", "Bộ Chính trị."])
    assert out.status == "done" and out.error is None
    assert out.texts == ["EN[Bộ Chính trị.]", "EN[Trung ương Cục.]", "", "EN[Bộ Chính trị.]"]
    assert len(libre.requests) == 1  # blank not sent, duplicate sent once
    sent = libre.requests[0]
    assert sent["q"] == ["Bộ Chính trị.\nTrung ương Cục."]
    assert sent["source"] == ["vi"] and sent["target"] == ["en"] and sent["format"] == ["text"]
    assert "api_key" not in sent  # keyless server: deep-translator's placeholder key is not sent
    assert out.machine_made and out.mark.provider == "libre" and out.mark.server == libre.url
    assert out.mark.client.startswith("deep-translator ") and out.mark.client.endswith("LibreTranslator")
    assert out.characters == len("Bộ Chính trị.") + len("Trung ương Cục.")


def test_api_key_is_sent_when_configured(libre):
    translator(libre.url, api_key="secret").translate(["Mỹ"])
    assert libre.requests[0]["api_key"] == ["secret"]


def test_second_call_comes_from_the_cache(libre):
    cache = MemoryCache()
    first = translator(libre.url, cache).translate(["Mặt trận Dân tộc Giải phóng", "ngụy"])
    assert first.status == "done" and len(libre.requests) == 1
    again = translator(libre.url, cache).translate(["ngụy", "Mặt trận Dân tộc Giải phóng"])
    assert again.status == "done" and again.texts == ["EN[ngụy]", "EN[Mặt trận Dân tộc Giải phóng]"]
    assert len(libre.requests) == 1 and again.requests == 0 and again.cache_hits == 2
    key = cache_key(TranslationConfig(provider="libre"), "ngụy")
    assert key.startswith("libre:vi:en:") and cache.get(key) == "EN[ngụy]"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_busy_or_failing_server_is_retried_with_backoff(libre, status):
    libre.script = [status, status, status]
    sleeps = Sleeps()
    out = translator(libre.url, sleeps=sleeps, backoff=0.5).translate(["Mỹ"])
    assert out.status == "done" and out.texts == ["EN[Mỹ]"]
    assert len(libre.requests) == 4 and out.requests == 4
    assert sleeps == [0.5, 1.0, 2.0]  # exponential


def test_retry_after_is_honoured(libre):
    libre.script = [(429, {"Retry-After": "3"})]
    sleeps = Sleeps()
    out = translator(libre.url, sleeps=sleeps, backoff=0.5).translate(["Mỹ"])
    assert out.status == "done" and sleeps == [3.0]


def test_timeouts_are_retried_then_pending(libre):
    libre.script = ["sleep", "sleep", "sleep"]
    sleeps = Sleeps()
    t = translator(libre.url, sleeps=sleeps, timeout=0.2, max_retries=2)
    out = t.translate(["ngụy", "Mỹ"])
    assert out.status == "pending" and out.texts == [None, None]
    assert "timed out" in out.error and "\n" not in out.error
    assert len(libre.requests) == 3 and len(sleeps) == 2
    # the provider is given up on for the rest of the run: no more waiting on it
    later = t.translate(["Bộ Chính trị"])
    assert later.status == "pending" and later.requests == 0 and len(libre.requests) == 3


def test_a_server_that_is_down_leaves_texts_pending():
    sleeps = Sleeps()
    out = translator(closed_port_url(), sleeps=sleeps, max_retries=2).translate(["Mỹ", ""])
    assert out.status == "pending" and out.texts == [None, ""]
    assert out.error.startswith("libre: cannot connect") and "\n" not in out.error
    assert out.requests == 3 and len(sleeps) == 2


def test_a_retried_server_error_that_persists_is_pending(libre):
    libre.script = [500] * 3
    out = translator(libre.url, max_retries=2).translate(["Mỹ"])
    assert out.status == "pending" and "HTTP 500" in out.error and "3 tries" in out.error


def test_a_client_error_is_not_retried_and_other_requests_go_on(libre):
    libre.script = [400]
    out = translator(libre.url, request_chars=10).translate(["Bộ Chính trị", "Mỹ"])  # two requests
    assert out.status == "pending" and "HTTP 400" in out.error
    assert out.texts == [None, "EN[Mỹ]"] and len(libre.requests) == 2


def test_refused_key_stops_the_run(libre):
    libre.script = [403]
    t = translator(libre.url, api_key="wrong")
    assert t.translate(["Mỹ"]).status == "pending"
    assert t.translate(["ngụy"]).requests == 0 and len(libre.requests) == 1


def test_an_answer_that_is_not_json_is_pending(libre):
    libre.script = ["html"]
    out = translator(libre.url).translate(["Mỹ"])
    assert out.status == "pending" and "not JSON" in out.error and len(libre.requests) == 1


def test_budget_is_kept_across_calls_of_a_run(libre):
    t = translator(libre.url, char_budget=30)
    out = t.translate(["a" * 20, "b" * 20])
    assert out.status == "budget_exceeded" and "30" in out.error
    assert out.texts == ["EN[" + "a" * 20 + "]", None] and t.used == 20
    assert t.translate(["c" * 11]).status == "budget_exceeded" and len(libre.requests) == 1
    assert t.translate(["d" * 10]).status == "done" and t.remaining == 0
    # cached texts cost nothing
    assert t.translate(["a" * 20]).status == "done" and len(libre.requests) == 2


def test_text_is_nfc_in_and_out(libre):
    libre.script = ["nfd"]
    decomposed = unicodedata.normalize("NFD", "Hòa bình, Trần Bửu Kiếm")
    out = translator(libre.url).translate([decomposed])
    assert libre.requests[0]["q"] == [unicodedata.normalize("NFC", decomposed)]
    assert out.texts == ["EN[Hòa bình, Trần Bửu Kiếm]"]
    assert unicodedata.is_normalized("NFC", out.texts[0])


def test_long_texts_and_line_breaks_are_split_and_put_back(libre):
    text = "Câu thứ nhất. Câu thứ hai dài hơn một chút.\nDòng mới."
    out = translator(libre.url, request_chars=30).translate([text])
    assert out.status == "done"
    assert out.texts == ["EN[Câu thứ nhất.] EN[Câu thứ hai dài hơn một chút.]\nEN[Dòng mới.]"]
    assert all(len(r["q"][0]) <= 30 for r in libre.requests) and len(libre.requests) == 3


def test_merged_lines_are_sent_again_one_by_one(libre):
    libre.script = ["merge"]
    out = translator(libre.url).translate(["Mỹ", "ngụy"])
    assert out.status == "done" and out.texts == ["EN[Mỹ]", "EN[ngụy]"] and len(libre.requests) == 3


def test_a_broken_cache_costs_requests_not_the_run(libre):
    class Broken:
        def get(self, key):
            raise OSError("database is locked")

        def put(self, key, text):
            raise OSError("database is locked")

    out = translator(libre.url, Broken()).translate(["Mỹ"])
    assert out.status == "done" and out.texts == ["EN[Mỹ]"]


def test_deep_translator_used_directly_is_left_alone(libre):
    from deep_translator import LibreTranslator

    translator(libre.url)  # installs the transport hook
    assert LibreTranslator(source="vi", target="en", api_key="k", custom_url=libre.url).translate("Mỹ") == "EN[Mỹ]"


def test_offline_by_default():
    assert make_translator(TranslationConfig()) is None
    out = Translator(TranslationConfig()).translate(["Mỹ"])
    assert out.status == "pending" and out.texts == [None] and not out.machine_made


def test_other_providers_build_without_network():
    assert Translator(TranslationConfig(provider="google")).mark.client.endswith("GoogleTranslator")
    memory = Translator(TranslationConfig(provider="mymemory"))
    assert (memory._client.source, memory._client.target) == ("vi-VN", "en-GB")
    deepl = Translator(TranslationConfig(provider="deepl", api_key="k:fx"))
    assert deepl._client._base_url.startswith("https://api-free.deepl.com/")
    assert (deepl._client.source, deepl._client.target) == ("VI", "EN")


def test_deepl_key_travels_in_a_header_not_the_query():
    sent = _deepl_request({"params": {"auth_key": "k", "text": "Mỹ", "source_lang": "vi", "target_lang": "EN"}}, "k")
    assert "params" not in sent and sent["data"] == {"text": "Mỹ", "source_lang": "VI", "target_lang": "EN"}
    assert sent["headers"]["Authorization"] == "DeepL-Auth-Key k"


@pytest.mark.parametrize("config", [TranslationConfig(provider="bing"), TranslationConfig(provider="libre"),
                                    TranslationConfig(provider="deepl")])
def test_bad_configuration_is_refused_when_built(config):
    with pytest.raises(ValueError):
        Translator(config)


def test_the_budget_spans_the_documents_of_a_run(libre, tmp_path):
    """After a batch, one translator drafts every original without a translation: the character
    budget is the run's, so the second original waits once the first has used it up."""
    from ingest.model import Line, PageText, Passage, Word
    from ingest.settings import Settings
    from flows.app.pairing import pair_and_align
    from storage.documents import DocumentRepository

    settings = Settings(db_url=f"sqlite:///{tmp_path}/archive.db", files_dir=str(tmp_path / "files"),
                        translation_provider="libre", translation_url=libre.url, translation_char_budget=30)
    repo = DocumentRepository(settings.db_url)
    ids = []
    for n, text in enumerate(("Bộ Chính trị đã họp.", "Trung ương Cục đã họp.")):
        doc = repo.claim(sha256=f"{n:064x}", source_path=f"/{n}.tif", filename=f"{n}.tif", size_bytes=1,
                         collection="c", lang="vie", run_id=None).document_id
        repo.plan(doc, media_type="image/tiff", page_count=1)
        box = (0, 0, 400, 40)
        line = Line(text, box, 95.0, tuple(Word(w, box, 95.0) for w in text.split()))
        repo.save_page(doc, PageText(1, "ocr", (line,), (Passage(text, box, 0, 0),), 1000, 1400, 300,
                                     mean_confidence=95.0), original_image=None, preprocessed_image=None)
        repo.mark_stored(doc)
        ids.append(doc)
    results = pair_and_align(ids, settings)
    assert [r["status"] for r in results] == ["machine", "pending"]
    assert "budget" in results[1]["error"] and len(libre.requests) == 1
    assert [repo.get_document(d).translation_status for d in ids] == ["machine", "pending"]
