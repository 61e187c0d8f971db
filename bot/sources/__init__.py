"""Watching sources: the sources file, the SSRF guard, fetching, parsing, normalising, polling.

`sources_file` reads and syncs the operator's list; `poll` claims due sources, `fetch` reaches them
through `netguard`, `parse` turns each response into `entries.RawEntry` values that `normalize`
cleans, and `bot.developments` stores them.
"""
