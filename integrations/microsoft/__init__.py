"""Overlap's Microsoft connection: the only code that imports requests or msal.

`auth` (tokens and consent URLs), `client` (GraphClient), `errors`, `types`, `timezones`, `crypto`.
It imports nothing from Overlap's apps.
"""
