"""The review rule that re-attaches a reviewer's version after its page is read again (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from qa.review.versions import REATTACH_SIMILARITY, reattach


@dataclass
class V:
    base_text: str
    text: str = "reviewed"


def test_same_place_same_text_stays():
    v = V("Gửi Khu ủy Khu 5")
    assert reattach([(1, 0, "MẬT ĐIỆN"), (1, 1, "Gửi Khu ủy Khu 5")], {(1, 1): v}) == {(1, 1): v}


def test_a_passage_that_moved_on_its_page_takes_its_version_along():
    v = V("Bộ Chính tri đã họp về việc này")
    now = [(1, 0, "MẬT"), (1, 1, "ĐIỆN SỐ 417"), (1, 2, "Bộ Chính tri đã hop về việc này")]
    assert reattach(now, {(1, 1): v}) == {(1, 2): v}


def test_too_different_is_detached_not_misapplied():
    v = V("Bộ Chính tri đã họp")
    now = [(1, 0, "một đoạn khác hẳn"), (1, 1, "chẳng giống gì cả")]
    assert reattach(now, {(1, 0): v}) == {}
    assert REATTACH_SIMILARITY == 85.0  # the threshold the stored versions were made under


def test_only_the_same_page_and_free_passages_are_candidates():
    v, w = V("Gửi Khu ủy Khu 5"), V("Gửi Khu ủy Khu 6")
    # the same text on another page is not a candidate
    assert reattach([(2, 0, "Gửi Khu ủy Khu 5")], {(1, 0): v}) == {}
    # a passage already taken by its own version (same place, same text) is not given to another
    assert reattach([(1, 0, "Gửi Khu ủy Khu 6")], {(1, 0): w, (1, 3): v}) == {(1, 0): w}
