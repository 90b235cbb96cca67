"""Documents as plain dicts: the JSONL export and `show` both read from here."""

from __future__ import annotations

from datetime import datetime

from .documents import RECORD_FIELDS
from .models import Document


def record_metadata(doc: Document) -> dict:
    rec = doc.record
    if rec is None:
        return {}
    meta = {k: getattr(rec, k) for k in RECORD_FIELDS if getattr(rec, k) not in (None, "", [])}
    meta.update(rec.extra or {})
    return meta


def alignment_dicts(rows) -> list[dict]:
    return [{"source_document": a.source_document_id, "target_document": a.target_document_id, "level": a.level,
             "source": a.source_ids, "target": a.target_ids, "score": a.score, "method": a.method,
             "version": a.version, "target_kind": a.target_kind} for a in rows]


def flag_dicts(rows) -> list[dict]:
    return [{"type": f.type, "severity": f.severity, "level": f.level, "page": f.page_number, "line": f.line_number,
             "word": f.word_number, "link": f.link_number, "bbox": f.bbox, "evidence": f.evidence,
             "status": f.status, "resolved_by": f.resolved_by} for f in rows]


def _passage(page_number: int, ps, versions: dict) -> dict:
    item = {"text": ps.text, "first_line": ps.first_line, "last_line": ps.last_line,
            "bbox": [ps.x0, ps.y0, ps.x1, ps.y1]}
    v = versions.get((page_number, ps.number))
    if v is not None:
        item["reviewed"] = {"text": v.text, "version": v.version, "kind": v.kind, "by": v.author, "at": v.at}
    return item


def _word(w) -> dict:
    item = {"text": w.text, "bbox": [w.x0, w.y0, w.x1, w.y1], "confidence": w.confidence}
    if w.alternative_confidence:  # Tesseract's strongest other reading of one character
        item |= {"alternative": w.alternative, "alternative_confidence": w.alternative_confidence}
    return item


def _reviewed_text(page, versions: dict) -> str:
    """The page's text with each passage's reviewed version in place of its OCR (same layout as
    Page.text: passages separated by a blank line)."""
    if not any(k[0] == page.number for k in versions):
        return page.text
    return "\n\n".join(versions[(page.number, ps.number)].text if (page.number, ps.number) in versions
                        else ps.text for ps in page.passages)


def document_dict(doc: Document, *, with_words: bool = False, alignments=None, sentences=None, flags=None,
                  versions=None) -> dict:
    """versions: {(page, passage): VersionInfo} of reviewers' versions (storage.review); a passage
    with one exports its reviewed text beside the raw OCR."""
    versions = versions or {}
    pages = []
    for p in doc.pages:
        lines = []
        for ln in p.lines:
            item = {"text": ln.text, "bbox": ln.bbox, "confidence": ln.confidence}
            if with_words:
                item["words"] = [_word(w) for w in ln.words]
            lines.append(item)
        reviewed = _reviewed_text(p, versions)
        pages.append({
            "number": p.number,
            "text_source": p.text_source,
            "text": reviewed,  # the reviewed text: reviewers' versions over the OCR
            **({"ocr_text": p.text} if reviewed != p.text else {}),
            "mean_confidence": p.mean_confidence,
            "rotation": p.rotation,
            "skew": p.skew,
            "dpi": p.dpi,
            "width": p.width,
            "height": p.height,
            "ocr": {"engine": p.ocr_engine, "model": p.ocr_model, "params": p.ocr_params},
            "preprocessing": p.preprocessing,
            "images": {"original": p.original_image, "preprocessed": p.preprocessed_image},
            "passages": [_passage(p.number, ps, versions) for ps in p.passages],
            "lines": lines,
        })
    return {
        "id": doc.id,
        "sha256": doc.sha256,
        "source": doc.source_path,
        "filename": doc.filename,
        "media_type": doc.media_type,
        "status": doc.status,
        "error": doc.error_reason,
        "collection": doc.collection,
        "lang": doc.lang,
        "created_at": iso(doc.created_at),
        "metadata": record_metadata(doc),
        "translation_status": doc.translation_status,
        "pages": pages,
        "sentences": [{"number": x.number, "page": x.page_number, "passage": x.passage_number, "start": x.start,
                       "end": x.end, "text": x.text} for x in (sentences or [])],
        "alignments": alignment_dicts(alignments or []),
        "flags": flag_dicts(flags or []),
    }


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None
