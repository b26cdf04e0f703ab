"""The HTML of the sign-in, consent and admin-consent pages. Plain forms: they work without JavaScript
(except form_post's auto-submit, which also shows a button) and are easy to drive from a browser test:
people are buttons named `pick`, decisions are buttons named `decision` (accept, cancel, back)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from m365_emulator.state import ROLE_NAMES, AppRegistration, DirectoryUser, Tenant

if TYPE_CHECKING:
    from m365_emulator.sessions import Flow

_STYLE = """
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:440px;margin:48px auto;background:#fff;padding:36px 44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 12px} .brand{color:#737373;font-size:15px;margin-bottom:16px}
input[type=text]{width:100%;box-sizing:border-box;padding:6px 0;border:0;border-bottom:1px solid #666;font-size:15px}
button{font-size:15px;padding:6px 14px;margin:4px 4px 4px 0;border:1px solid #8a8a8a;background:#fff;cursor:pointer}
button.primary{background:#0067b8;color:#fff;border-color:#0067b8}
.people{max-height:320px;overflow-y:auto;margin-top:16px;border-top:1px solid #e6e6e6}
.people button{display:block;width:100%;text-align:left;border:0;border-bottom:1px solid #e6e6e6;margin:0;padding:8px}
.people small{color:#737373} .error{color:#e81123} ul{padding-left:20px} .tenant{font-weight:600;margin-top:12px}
"""


def page(title: str, body: str, status: int = 200) -> Response:
    document = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width'><style>{_STYLE}</style></head>"
        f"<body><main><div class='brand'>Microsoft (emulated)</div>{body}</main></body></html>"
    )
    response = Response(document, status=status, content_type="text/html; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _hidden(flow: Flow) -> str:
    return f"<input type='hidden' name='flow' value='{escape(flow.id)}'>"


def _roles_note(person: DirectoryUser) -> str:
    names = sorted(ROLE_NAMES.get(role, role) for role in person.directory_roles)
    return f" ({', '.join(names)})" if names else ""


def sign_in_page(
    flow: Flow, app_name: str, people: list[tuple[Tenant, DirectoryUser]], error: str | None = None
) -> Response:
    notice = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    hint = escape(flow.login_hint or "")
    buttons, current = [], None
    for tenant, person in people:
        if tenant is not current:
            buttons.append(f"<div class='tenant'>{escape(tenant.display_name)}</div>")
            current = tenant
        disabled = " (disabled)" if not person.account_enabled else _roles_note(person)
        buttons.append(
            f"<button type='submit' name='pick' value='{escape(person.user_principal_name)}'>"
            f"{escape(person.display_name)}{disabled}<br><small>{escape(person.user_principal_name)}</small></button>"
        )
    body = (
        f"<h1>Sign in</h1><p>to continue to {escape(app_name)}</p>{notice}"
        f"<form method='post' action='/{escape(flow.tenant_key)}/login'>{_hidden(flow)}"
        f"<label for='login'>Email or username</label>"
        f"<input type='text' id='login' name='login' value='{hint}' autocomplete='username'>"
        "<p><button type='submit' class='primary' name='action' value='next'>Next</button></p>"
        f"<p>Or pick an account:</p><div class='people'>{''.join(buttons)}</div></form>"
    )
    return page("Sign in to your account", body)


def _decision_form(flow: Flow, accept_label: str = "Accept") -> str:
    return (
        f"<form method='post' action='/{escape(flow.tenant_key)}/consent'>{_hidden(flow)}"
        f"<button type='submit' class='primary' name='decision' value='accept'>{escape(accept_label)}</button>"
        "<button type='submit' name='decision' value='cancel'>Cancel</button></form>"
    )


def user_consent_page(flow: Flow, app_name: str, user: DirectoryUser, tenant: Tenant) -> Response:
    items = "".join(f"<li>{escape(scope)}</li>" for scope in flow.scopes)
    body = (
        f"<p>{escape(user.user_principal_name)}</p><h1>Permissions requested</h1>"
        f"<p><strong>{escape(app_name)}</strong> would like to:</p><ul class='scopes'>{items}</ul>"
        f"<p>Accepting lets this app use your data in {escape(tenant.display_name)} as described.</p>"
        f"{_decision_form(flow)}"
    )
    return page("Permissions requested", body)


def admin_consent_page(flow: Flow, app: AppRegistration, tenant: Tenant, extra: list[str] | None = None) -> Response:
    """`extra`: optional permissions the request names (rooms' Place.Read.All), asked for beside the configured."""
    named = [*app.application_permissions, *(extra or [])]
    app_items = "".join(f"<li>{escape(p)} (application)</li>" for p in named)
    delegated = "".join(f"<li>{escape(p)} (delegated)</li>" for p in app.delegated_permissions)
    body = (
        f"<h1>Permissions requested</h1><p><strong>{escape(app.display_name)}</strong> "
        f"asks for access to {escape(tenant.display_name)} on behalf of your organization:</p>"
        f"<ul class='scopes'>{app_items}{delegated}</ul>"
        "<p>Accepting grants these permissions for every user in your organization.</p>"
        f"{_decision_form(flow)}"
    )
    return page("Permissions requested - Accept for your organization", body)


def need_admin_page(flow: Flow, app_name: str) -> Response:
    body = (
        f"<h1>Need admin approval</h1><p><strong>{escape(app_name)}</strong> needs permission to access "
        "resources in your organization that only an admin can grant. Ask an admin to grant permission to "
        "this app before you can use it.</p>"
        f"<form method='post' action='/{escape(flow.tenant_key)}/consent'>{_hidden(flow)}"
        "<button type='submit' name='decision' value='back'>Return to the application without granting consent"
        "</button></form>"
    )
    return page("Need admin approval", body, status=200)


def form_post_page(action: str, params: dict[str, str]) -> Response:
    fields = "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in params.items())
    body = (
        f"<form method='post' action='{escape(action)}' id='respond'>{fields}"
        "<noscript><p>Script is disabled. Click Continue.</p></noscript>"
        "<button type='submit' class='primary'>Continue</button></form>"
        "<script>document.getElementById('respond').submit()</script>"
    )
    return page("Working...", body)
