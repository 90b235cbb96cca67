"""The aligner on the project's sample cable, UDHR paragraphs and perturbed TED talks."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.align_bench import LEXICON_FILES, links_to_beads, perturb, pooled, scores, talks, udhr
from ingest.align import align_documents, align_texts
from ingest.align.anchors import anchors
from ingest.align.lexicon import load_lexicon
from ingest.align.sentences import split_sentences
from ingest.align.textprep import canonical_tones, is_furniture, without_insertions
from texts import CABLE_417_EN, CABLE_417_VI

EXE = Path(sys.executable).with_name("archive-ingest")


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(LEXICON_FILES)


def test_text_preparation():
    assert canonical_tones("hoà bình, thuỷ lợi, khoẻ, hoàn toàn, quý") == "hòa bình, thủy lợi, khỏe, hoàn toàn, quý"
    assert is_furniture("TUYỆT MẬT") and is_furniture("- 3 -") and is_furniture("TOP SECRET")
    assert not is_furniture("Hà Nội, ngày 2 tháng 11 năm 1968")
    assert without_insertions("backstage [private] probes") == "backstage probes"
    assert without_insertions("If [Tran Buu] Kiem goes […] then") == "If Tran Buu Kiem goes then"


def test_anchors_meet_across_languages():
    vi = anchors("2. Trước ngày 15 tháng 10 năm 1968, gửi 1.250 tấn cho Trần Bửu Kiếm", "vi")
    en = anchors("2. Before October 15, 1968, send 1,250 tons to [Tran Buu] Kiem, Tran Buu Kiem", "en")
    assert {"d:1968-10-15", "n:1250", "e:2", "p:tran buu kiem"} <= vi & en


def test_sentences_keep_offsets():
    for text, lang in ((CABLE_417_VI, "vi"), (CABLE_417_EN, "en")):
        sentences = split_sentences(text, lang)
        assert len(sentences) == 11
        assert all(text[s.start:s.end] == s.text for s in sentences)
    telegram = split_sentences("DE NGHI BAO CAO NGAY STOP CHUAN BI LUC LUONG STOP", "vi")
    assert [s.text for s in telegram] == ["DE NGHI BAO CAO NGAY STOP", "CHUAN BI LUC LUONG STOP"]


def test_sample_cable_aligns_one_to_one():
    vi = [s.text for s in split_sentences(CABLE_417_VI, "vi")]
    en = [s.text for s in split_sentences(CABLE_417_EN, "en")]
    links = align_texts(vi, en)  # glossary only: no lexicon files configured
    assert sum(1 for l in links if l.source == l.target and len(l.source) == 1) >= 10
    assert all(0.0 <= l.score <= 1.0 for l in links)


def test_documents_align_passages_then_sentences():
    vi = [p for p in CABLE_417_VI.replace("\f", "").split("\n\n") if p.strip()]
    en = [p for p in CABLE_417_EN.replace("\f", "").split("\n\n") if p.strip()]
    doc = align_documents(vi, en)
    assert [(l.source, l.target) for l in doc.passages] == [((i,), (i,)) for i in range(len(vi))]
    assert len(doc.source_sentences) == 11 and len(doc.sentences) >= 10


def test_udhr_paragraphs(lexicon):
    vi, en, gold = udhr()
    result = scores(gold, links_to_beads(align_texts(vi, en, lexicon=lexicon)))
    assert result["strict_f1"] >= 0.95


def test_perturbed_talks_with_omissions_and_ocr_noise(lexicon):
    rng = random.Random(11)
    docs = talks()[:2]
    for mode, bound in (("perturbed", 0.9), ("ocr", 0.88)):
        results = []
        for pairs in docs:
            src, tgt, gold = perturb(pairs, rng, mode)
            results.append((gold, links_to_beads(align_texts(src, tgt, lexicon=lexicon))))
        assert pooled(results)["strict_f1"] >= bound, mode


def test_machine_translation_signal_is_used():
    # words no lexicon knows, the first sentence left untranslated: only MT can tell which
    vi = ["Xa lo vi ka nu te.", "Bi ka mu te xo la.", "Mu te xa lo bi nu."]
    en = ["The delegates met in Paris.", "The bombing stopped at dawn."]
    mt = ["The harvest was good this year.", "The delegates met in Paris.", "The bombing stopped at dawn."]
    links = align_texts(vi, en, mt=mt)
    assert [(l.source, l.target) for l in links] == [((0,), ()), ((1,), (0,)), ((2,), (1,))]


def test_align_command_json_lines(tmp_path):
    (tmp_path / "vi.txt").write_text("Bộ Chính trị đã nhận được báo cáo ngày 28 tháng 10.\nTUYỆT MẬT\n"
                                     "Đề nghị báo cáo trước ngày 15 tháng 11 năm 1968.\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("The Politburo has received your report of October 28.\n"
                                     "Please report before November 15, 1968.\n", encoding="utf-8")
    proc = subprocess.run([str(EXE), "align", "vi.txt", "en.txt", "--units", "lines"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    links = json.loads(proc.stdout)
    assert [(l["source"], l["target"]) for l in links] == [([0], [0]), ([1], []), ([2], [1])]
    assert all(set(l) == {"source", "target", "score"} for l in links)
    bad = subprocess.run([str(EXE), "align", "missing.txt", "en.txt"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: missing.txt: file not found"
