"""Pipeline stages: sources, preprocessing, OCR, text rebuilding. Imports no Prefect."""
