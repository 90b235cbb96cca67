"""Pairing originals with their translations and aligning them (passages, then sentences), with a
machine draft for an original that has no human translation. No Prefect here."""

from __future__ import annotations

from ingest.settings import Settings, secret
from storage.models import TranslationStatus

from .store import open_store


def align_pair(original_id: int, translation_id: int, settings: Settings, *, translator=None) -> dict:
    """Align a stored original with its stored translation, passages then sentences, and store
    sentences (with offsets into their passages) and links for both levels. translator: the run's
    (its character budget and back-off span the run); by default one for this pair."""
    from ingest.align import METHOD, VERSION, align_documents
    from ingest.align.lexicon import load_lexicon

    repo = open_store(settings).alignments
    src, tgt = repo.passages(original_id), repo.passages(translation_id)
    lexicon = load_lexicon(settings.lexicon_paths)
    mt = None
    translator = translator or _translator(settings, repo)
    if translator is not None:  # MT as an alignment signal when a provider is configured
        outcome = translator.translate([text for _, _, text in src])
        if outcome.status == "done":
            mt = [t or "" for t in outcome.texts]
    doc = align_documents([t for _, _, t in src], [t for _, _, t in tgt], lexicon=lexicon, mt_passages=mt)
    for document_id, passages, sentences in ((original_id, src, doc.source_sentences),
                                             (translation_id, tgt, doc.target_sentences)):
        repo.save_sentences(document_id, [
            {"number": k, "passage": p, "page_number": passages[p][0], "passage_number": passages[p][1],
             "start": sent.start, "end": sent.end, "text": sent.text} for k, (p, sent) in enumerate(sentences)])
    repo.save_alignment(original_id, translation_id, {"passage": doc.passages, "sentence": doc.sentences},
                        method=METHOD + ("+mt" if mt else ""), version=VERSION)
    from qa.flags import flag_links

    link_flags = flag_links([(list(l.source), list(l.target), l.score) for l in doc.sentences],
                            [sent.text for _, sent in doc.source_sentences],
                            [sent.text for _, sent in doc.target_sentences])
    if mt:  # a provider is configured: where machine and human translation disagree, a reviewer looks
        from qa.flags import flag_mt_disagreement

        places = repo.passage_places(original_id)
        link_flags += flag_mt_disagreement([(list(l.source), list(l.target)) for l in doc.passages], mt,
                                           [t for _, _, t in tgt], places)
    open_store(settings).flags.replace(original_id, link_flags, scope="link", target_document_id=translation_id)
    return {"original": original_id, "translation": translation_id, "passage_links": len(doc.passages),
            "sentence_links": len(doc.sentences)}


def _translator(settings: Settings, cache):
    if settings.translation_provider == "none":
        return None
    from ingest.translate import TranslationConfig, Translator

    return Translator(TranslationConfig(provider=settings.translation_provider, url=settings.translation_url,
                                        api_key=secret(settings.translation_api_key),
                                        char_budget=settings.translation_char_budget), cache)


def pair_and_align(document_ids: list[int], settings: Settings) -> list[dict]:
    """After a batch: align every original-translation pair a new document completes; an original
    with no human translation gets a machine draft if a provider is configured, else waits as
    'translation pending'."""

    repo = open_store(settings).alignments
    translator = _translator(settings, repo)  # one for the run: its budget is the run's
    done: set[tuple[int, int]] = set()
    results = []
    for doc_id in document_ids:
        pairs = repo.pairs_for(doc_id)
        for pair in pairs:
            if pair not in done:
                done.add(pair)
                results.append(align_pair(*pair, settings, translator=translator))
        if not pairs and not repo.is_translation(doc_id):
            results.append(machine_draft(doc_id, settings, translator=translator))
    return results


def machine_draft(document_id: int, settings: Settings, *, translator=None) -> dict:
    """An MT draft of an original that has no human translation (stored in the MT cache, marked
    machine-made); with no provider, or the provider down, the document is 'translation pending'."""

    repo = open_store(settings).alignments
    translator = translator or _translator(settings, repo)
    if translator is None:
        repo.set_translation_status(document_id, TranslationStatus.PENDING)
        return {"original": document_id, "translation": None, "status": TranslationStatus.PENDING}
    outcome = translator.translate([text for _, _, text in repo.passages(document_id)])
    status = TranslationStatus.MACHINE if outcome.status == "done" else TranslationStatus.PENDING
    repo.set_translation_status(document_id, status)
    return {"original": document_id, "translation": None, "status": status, "error": outcome.error}
