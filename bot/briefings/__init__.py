"""Daily briefings: what to brief, the exactly-once claim, posting the thread, resuming it."""
