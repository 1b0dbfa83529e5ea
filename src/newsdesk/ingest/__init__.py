"""Ingestion: read sources, extract text, clean it, number paragraphs, store."""
