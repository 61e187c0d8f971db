"""Slack: the Bolt app, the ASGI web app of HTTP mode, the Web API client, the `/policy` grammar
and its service, and the Block Kit builders (`blocks`: pure, escaped).
"""
