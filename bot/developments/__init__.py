"""Keeping developments: storing what sources returned, deduplicating, clustering, updating.

The domain rules (what is new, what is an edit, which development an item joins, when a
development may be announced) read apart from the machinery that makes a poll of thousands
of items cheap:

- `ingest`: the rules, one `IngestRun` per fetched source (`ingest_entries`);
- `refresh`: a development's derived fields (tags, title, importance, summary, evidence,
  search text, announce state) recomputed from its items;
- `candidates`: which stored items a new item is compared with, per call (`CandidateSelector`),
  over `pool` (the rows near a date, in date order);
- `rows`: raw store columns decoded, and items before they are written;
- `ingest_cache`: what one poll reuses from call to call (checked against the store);
- `prepare`: the per-entry analysis, done in worker processes on large polls.
"""
