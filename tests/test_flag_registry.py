"""The page rules are a registry: one function per rule, with its name, severity, level and
languages; flag_words runs the rules of the page's language, in registry order."""

from __future__ import annotations

import pytest

from qa.flags import Hit, flag_words, rule, rules
from qa.flags.registry import ORDER


def test_every_rule_is_registered_once_in_order_with_its_scope():
    names = [r.name for r in rules()]
    assert names == list(ORDER)
    by_name = {r.name: r for r in rules()}
    assert by_name["invalid_syllable"].languages == ("vie",) and by_name["unknown_word"].languages == ("eng",)
    assert by_name["low_confidence"].languages is None and by_name["garbage"].level == "line"
    assert all(r.severity in ("low", "medium", "high") and r.doc for r in rules())
    vie, ces = {r.name for r in rules("vie")}, {r.name for r in rules("ces")}
    assert "diacritic_suspect" in vie and "unknown_word" not in vie
    assert not ces & {"invalid_syllable", "known_confusion", "unattested_syllable", "diacritic_suspect",
                      "unknown_word"}


def test_a_rule_out_of_the_index_or_twice_is_refused():
    with pytest.raises(ValueError, match="not in"):
        rule("made_up_rule", "low", "word")
    with pytest.raises(ValueError, match="twice"):
        rule("garbage", "low", "line")(lambda ctx, ln: None)


def test_flag_words_takes_name_severity_and_level_from_the_registry():
    line = ("và ký Ức là 1í do ▓▓▓", (0, 0, 500, 40),
            [(w, (60 * k, 0, 60 * k + 50, 40), c)
             for k, (w, c) in enumerate([("và", 96.0), ("ký", 96.0), ("Ức", 96.0), ("là", 96.0), ("1í", 30.0),
                                         ("do", 96.0), ("▓▓▓", 96.0)])])
    flags = flag_words(1, [line], "vie")
    by_name = {r.name: r for r in rules()}
    for f in flags:
        assert f.level == by_name[f.type].level
        assert f.severity == by_name[f.type].severity or (f.type, f.severity) == ("low_confidence", "high")
    assert [f.type for f in flags if f.word == 4] == [n for n in ORDER if n in {f.type for f in flags if f.word == 4}]
    assert {f.type for f in flags} >= {"garbage", "low_confidence", "digit_in_word", "unexpected_capital"}
    # on a Czech page the Vietnamese rules stay silent
    assert not [f for f in flag_words(1, [line], "ces") if f.type == "invalid_syllable"]
    assert Hit("x").severity is None
