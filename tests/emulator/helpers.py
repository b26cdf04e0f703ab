"""Small helpers the emulator's tests share: tokens and Graph calls over real HTTPS."""

from __future__ import annotations

from typing import Any

import requests

from m365_emulator.testing import EmulatorProcess

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
CONTOSO = "contoso.onmicrosoft.com"


def token_request(emulator: EmulatorProcess, tenant: str = CONTOSO, **fields: str) -> requests.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "scope": GRAPH_DEFAULT,
        **fields,
    }
    return emulator.session.post(f"{emulator.base_url}/{tenant}/oauth2/v2.0/token", data=data, timeout=10)


def app_token(emulator: EmulatorProcess, tenant: str = CONTOSO) -> str:
    response = token_request(emulator, tenant)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def graph(emulator: EmulatorProcess, method: str, path: str, token: str | None, **kwargs: Any) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return emulator.session.request(method, f"{emulator.base_url}/v1.0{path}", headers=headers, timeout=10, **kwargs)


def delegated_token(emulator: EmulatorProcess, user: str, scope: str = "openid offline_access User.Read") -> str:
    """A user's access token through the authorize pages (consenting) and the code redemption."""
    return str(signed_in_tokens(emulator, user, scope=scope)["access_token"])


def signed_in_tokens(
    emulator: EmulatorProcess,
    user: str,
    *,
    scope: str,
    authority: str | None = None,
    redirect: str = "http://127.0.0.1:8000/integrations/microsoft/callback/",
    **params: str,
) -> dict[str, Any]:
    """The token endpoint's answer after `user` signs in (consenting) through the authorize pages."""
    from urllib.parse import urlencode

    from m365_emulator.testing import Browser

    authority = authority or emulator.tenant_id
    query = {"client_id": emulator.client_id, "response_type": "code", "redirect_uri": redirect, "scope": scope}
    url = f"{emulator.browser_url}/{authority}/oauth2/v2.0/authorize?{urlencode({**query, **params})}"
    code = Browser(emulator).sign_in(url, user).params["code"]
    response = token_endpoint(emulator, authority, grant_type="authorization_code", code=code, redirect_uri=redirect)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def token_endpoint(emulator: EmulatorProcess, authority: str, **fields: str) -> requests.Response:
    """A confidential client's POST to the token endpoint (the app's id and secret added)."""
    data = {"client_id": emulator.client_id, "client_secret": emulator.client_secret, **fields}
    return emulator.session.post(f"{emulator.base_url}/{authority}/oauth2/v2.0/token", data=data, timeout=10)
