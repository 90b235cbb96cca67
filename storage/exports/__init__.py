"""Writers of the archive formats (ALTO, PAGE-XML, hOCR, text, searchable PDF, TEI, TMX, TSV,
Dublin Core): pure functions from `storage.exports.model` dataclasses to bytes."""
