"""Anchors that survive translation: numbers, dates, enumerations and proper names."""

from __future__ import annotations

import re

from .textprep import strip_marks

MONTHS_EN = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_VI_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?", re.IGNORECASE)
_VI_MONTH_YEAR = re.compile(r"tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_EN_DATE = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", re.IGNORECASE)
_EN_DATE_DMY = re.compile(r"\b(\d{1,2})\s+(" + "|".join(MONTHS_EN) + r")(?:,?\s+(\d{4}))?", re.IGNORECASE)
_EN_MONTH_YEAR = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")\s+(\d{4})", re.IGNORECASE)
# a month on its own ("tháng 12", "tháng mười hai", "December"): anchor "mo:12" on both sides
_VI_MONTH_WORDS = {"giêng": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
                   "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}
_VI_MONTH = re.compile(r"tháng\s+(\d{1,2}|mười một|mười hai|" + "|".join(
    sorted((w for w in _VI_MONTH_WORDS if " " not in w), key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)
_EN_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS_EN) + r")\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ENUM = re.compile(r"^\s*((?:[IVX]{1,5})|(?:\d{1,2})|(?:[a-z]))[.)]\s", re.IGNORECASE)
_NAME_VI = re.compile(r"(?:[A-ZĐ][\w]*)(?:[ -][A-ZĐ][\w]*)+")
_NAME_EN = re.compile(r"(?:[A-Z][a-z]+)(?:[ -][A-Z][a-z]+)+")


def _number(token: str, lang: str) -> str:
    """One spelling of a number: thousands separators dropped ('.' in Vietnamese, ',' in
    English), the decimal mark made '.'."""
    if lang.startswith("vi"):
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
            token = token.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d+,\d+", token):
            token = token.replace(",", ".")
    else:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", token):
            token = token.replace(",", "")
    return token.lstrip("0") or "0"


def anchors(text: str, lang: str) -> set[str]:
    """Normalised anchors: 'd:1968-10-15', 'm:1968-10', 'n:1250', 'e:II', 'p:tran buu kiem'."""
    out: set[str] = set()
    rest = text
    if lang.startswith("vi"):
        for m in _VI_DATE.finditer(text):
            d, mo, y = m.groups()
            out.add(f"d:{y or '?'}-{int(mo):02d}-{int(d):02d}")
        for m in _VI_MONTH_YEAR.finditer(text):
            out.add(f"m:{m.group(2)}-{int(m.group(1)):02d}")
        rest = _VI_DATE.sub(lambda m: f" {m.group(3) or ''} ", text)
        rest = _VI_MONTH_YEAR.sub(lambda m: f" {m.group(2)} ", rest)
        for m in _VI_MONTH.finditer(rest):
            word = m.group(1).lower()
            month = int(word) if word.isdigit() else _VI_MONTH_WORDS.get(word, 0)
            if 1 <= month <= 12:
                out.add(f"mo:{month:02d}")
        rest = _VI_MONTH.sub(" ", rest)
        names = _NAME_VI.findall(text)
    else:
        for pat, order in ((_EN_DATE, "mdy"), (_EN_DATE_DMY, "dmy")):
            for m in pat.finditer(text):
                a, b, y = m.groups()
                mo, d = (MONTHS_EN[a.lower()], int(b)) if order == "mdy" else (MONTHS_EN[b.lower()], int(a))
                out.add(f"d:{y or '?'}-{mo:02d}-{d:02d}")
        for m in _EN_MONTH_YEAR.finditer(text):
            out.add(f"m:{m.group(2)}-{MONTHS_EN[m.group(1).lower()]:02d}")
        rest = _EN_DATE.sub(lambda m: f" {m.group(3) or ''} ", text)
        rest = _EN_DATE_DMY.sub(lambda m: f" {m.group(3) or ''} ", rest)
        rest = _EN_MONTH_YEAR.sub(lambda m: f" {m.group(2)} ", rest)
        out |= {f"mo:{MONTHS_EN[m.group(1).lower()]:02d}" for m in _EN_MONTH.finditer(rest) if m.group(1) != "May"}
        names = _NAME_EN.findall(text)
    # a date with a year also counts as its month, so 'tháng 10 năm 1968' meets 'October 15, 1968'
    out |= {f"m:{a[2:9]}" for a in out if a.startswith("d:") and not a.startswith("d:?")}
    # every date and month-year also counts as its month, so "tháng 12" meets "December 1968" halfway:
    # only the year is then left unmatched
    out |= {f"mo:{a[-5:-3]}" for a in out if a.startswith("d:")} | {f"mo:{a[-2:]}" for a in out if a.startswith("m:")}
    for tok in _NUMBER.findall(rest):
        out.add(f"n:{_number(tok, lang)}")
    enum = _ENUM.match(text)
    if enum:
        out.add(f"e:{enum.group(1).upper()}")
    out |= {f"p:{key}" for key in _name_keys(names)}
    return out


def _name_keys(found: list[str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in found:
        key = strip_marks(name).lower().replace("-", " ")
        if len(key) >= 5:
            keys.setdefault(key, name)
    return keys


def names(text: str, lang: str) -> dict[str, str]:
    """Proper names (runs of capitalised words) as their anchor keys -> the text as written."""
    return _name_keys((_NAME_VI if lang.startswith("vi") else _NAME_EN).findall(text))
