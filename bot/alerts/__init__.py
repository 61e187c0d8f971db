"""Alerts: subscriptions, matching developments to them, delivering each alert once, App Home data.

`subscriptions` owns who follows what; `delivery` delivers instant alerts and daily digests
exactly once (its docstring states the protocol) with its parts: `matching` (who hears about
what), `claims` (the `Delivery` rows), `transport` (Slack), `sending` (one message: build, send,
record) and `recovery` (stale claims); `home` gathers what the App Home tab shows.
"""
