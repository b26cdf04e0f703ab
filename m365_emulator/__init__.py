"""A Microsoft 365 emulator: Entra ID and Microsoft Graph on loopback, over real HTTPS.

It stands in for login.microsoftonline.com and graph.microsoft.com in the demo and the tests.
It imports nothing from Overlap's apps; its specification is shared/M365-FACTS.md.

Run it:
    python -m m365_emulator --port 8443 --http-port 8444 --ca-out /tmp/ca.pem [--fixture demo] [--seed 1]
                            [--state-file PATH]
It prints one JSON line (base_url, browser_url, ca_file, tenant_id, tenant_domain, client_id, client_secret)
and serves until stopped. With --state-file, the world (consents, refresh tokens, people, calendars) is loaded
from PATH if present and saved back after every change, so a restarted demo carries on (see persist.py).
`base_url` (HTTPS) serves identity under /{tenant}/..., Graph under /v1.0/... and the control API under
/_emulator/... (see control.py); `browser_url` (plain HTTP) serves the same routes so that sign-in and consent
pages open without a certificate warning, and discovery sends browsers there.

Modules: server (WSGI app, token check, throttling, log), serving (TLS + threads), identity (discovery, keys,
token endpoint), pages (+ pages_html: authorize, sign-in, consent, admin consent), directory (/users, /me,
checkMemberGroups), directory_delta (/users/delta, Graph's delta query, with the facts it follows), crowd (a
tenant of any size on demand, changes among its people, expiring delta tokens), batch ($batch), control
(/_emulator/), fixtures (tenants, people, the app), persist (--state-file), testing (EmulatorProcess, Browser
for tests); the calendar_* and graph_calendar modules are the calendars; rooms_fixture (the demo's rooms),
places (the places API), rooms_policy (how a room answers an invitation) and rooms_control are the rooms.
"""
