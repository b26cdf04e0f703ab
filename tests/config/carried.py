"""What a failing page carries: a token, a refresh token, a person's address and name."""

from __future__ import annotations

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJl"
ADDRESS = "adele.vance@contoso.onmicrosoft.com"
NAME = "Adele Vance"
REFRESH = "0.ARoAv4j5cvGGr0GRqy180BHbR-refresh-secret"
