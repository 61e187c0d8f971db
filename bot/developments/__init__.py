"""Keeping developments: storing what sources returned, deduplicating, clustering, updating.

`prepare` does the per-entry analysis (off the write path), `ingest` applies the domain rules
(dedupe, update, join a development or start one) and `ingest_cache` keeps what one poll reuses.
"""
