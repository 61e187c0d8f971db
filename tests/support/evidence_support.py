"""Comparing stored evidence across two runs of the same ingest."""

from __future__ import annotations


def without_ids(value: object) -> object:
    """Evidence without row ids, which differ between two runs on PostgreSQL (sequences)."""
    if isinstance(value, dict):
        ids = ("id", "lead_item", "joined")
        return {k: without_ids(v) for k, v in value.items() if k not in ids}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value
