"""Alerts: subscriptions, matching developments to them, delivering each alert once, App Home data.

`subscriptions` owns who follows what; `delivery` matches and delivers (instant and digests);
`home` gathers what the App Home tab shows.
"""
