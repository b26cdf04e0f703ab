"""Pages a person's browser sees: authorize (sign-in, per-user consent), admin consent, sign-out.

A flow starts at `/{tenant}/oauth2/v2.0/authorize` or `/{tenant}[/v2.0]/adminconsent`, which checks the app and
its redirect URI (an unregistered one gets an error page, never a redirect), then shows the sign-in page. The
sign-in form posts to `/{tenant}/login`, the consent form to `/{tenant}/consent`; both carry the flow's id.
A browser session cookie (ESTSAUTH, as Entra names it) lets a second flow skip the sign-in page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from m365_emulator import identity
from m365_emulator.host import outcome_of
from m365_emulator.pages_html import (
    admin_consent_page,
    form_post_page,
    need_admin_page,
    page,
    sign_in_page,
    user_consent_page,
)
from m365_emulator.sessions import AuthCode, Flow, new_code, new_flow_id
from m365_emulator.state import AppRegistration, DirectoryUser, Tenant

if TYPE_CHECKING:
    from m365_emulator.host import Host
    from m365_emulator.routing import Router

SESSION_COOKIE = "ESTSAUTH"
KNOWN_DELEGATED = {
    s.lower()
    for s in (
        "User.Read",
        "User.ReadBasic.All",
        "User.Read.All",
        "Calendars.Read",
        "Calendars.ReadBasic",
        "Calendars.ReadWrite",
        "Calendars.Read.Shared",
        "Calendars.ReadWrite.Shared",
        "MailboxSettings.Read",
        "Directory.Read.All",
        "Group.Read.All",
        "GroupMember.Read.All",
        "Mail.Read",
        "Mail.Send",
        "Place.Read.All",
    )
}


def error_page(status: int, code: str, message: str) -> Response:
    body = f"<h1>Sorry, but we're having trouble signing you in.</h1><p class='error'>{html.escape(code)}: " + (
        f"{html.escape(message)}</p>"
    )
    return page("Sign in", body, status=status)


class PageFailure(Exception):
    """Stop the flow with an error page (no redirect: the redirect URI is not trusted yet)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return error_page(self.status, f"AADSTS{self.code}", self.message)


class RedirectFailure(Exception):
    """Stop the flow by sending the documented error parameters back to the (registered) redirect URI."""

    def __init__(self, params: dict[str, str]) -> None:
        super().__init__(params.get("error", ""))
        self.params = params


def _guarded(view: Callable[..., Response]) -> Callable[..., Response]:
    def run(emulator: Host, request: Request, **values: str) -> Response:
        try:
            return view(emulator, request, **values)
        except PageFailure as failure:
            return failure.response()

    return run


# -- checks shared by both kinds of flow ---------------------------------------------------------------


def _tenant_or_multi(emulator: Host, key: str) -> Tenant | None:
    if key.lower() in identity.MULTI_TENANT_KEYS:
        return None
    tenant = identity.resolve_tenant(emulator, key)
    if tenant is None:
        raise PageFailure(400, *identity.unknown_tenant(key))
    return tenant


def _app(emulator: Host, client_id: str, tenant: Tenant | None) -> AppRegistration:
    if not client_id:
        raise PageFailure(400, 900144, "The request body must contain the following parameter: 'client_id'.")
    app = emulator.state.apps.get(client_id)
    if app is None:
        name = tenant.display_name if tenant else "organizations"
        raise PageFailure(
            400, 700016, f"Application with identifier '{client_id}' was not found in the directory '{name}'."
        )
    return app


def redirect_registered(app: AppRegistration, redirect_uri: str) -> bool:
    """Exact match against the registration; `*` stands for a port after a colon, else for a path."""
    return any(_pattern(registered).match(redirect_uri) for registered in app.redirect_uris)


def _pattern(registered: str) -> re.Pattern[str]:
    parts = re.split(r"(:\*|\*)", registered)
    text = "".join(r":\d+" if p == ":*" else r"[^?#]*" if p == "*" else re.escape(p) for p in parts)
    return re.compile(f"^{text}$")


def _redirect_uri(app: AppRegistration, redirect_uri: str) -> str:
    if not redirect_uri or not redirect_registered(app, redirect_uri):
        message = (
            f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs "
            f"configured for the application '{app.client_id}'. Make sure the redirect URI sent in the request "
            "matches one added to your application in the Azure portal."
        )
        raise PageFailure(400, 50011, message)
    return redirect_uri


def _note(request: Request, tenant: Tenant | None, client_id: str, user: DirectoryUser | None = None) -> None:
    outcome = outcome_of(request)
    outcome.app = client_id or None
    outcome.tenant = tenant.id if tenant else outcome.tenant
    if user is not None:
        outcome.user = user.user_principal_name


# -- redirects back to the app -------------------------------------------------------------------------


def back_to_app(flow: Flow, params: dict[str, str]) -> Response:
    """Redirect (query or fragment) or auto-posting form (form_post) with the flow's state appended."""
    if flow.state is not None:
        params = {**params, "state": flow.state}
    if flow.response_mode == "form_post":
        return form_post_page(flow.redirect_uri, params)
    joiner = "#" if flow.response_mode == "fragment" else ("&" if "?" in flow.redirect_uri else "?")
    response = Response(status=302)
    response.headers["Location"] = flow.redirect_uri + joiner + urlencode(params)
    return response


def _session_user(emulator: Host, request: Request, flow: Flow) -> tuple[Tenant, DirectoryUser] | None:
    found = emulator.identity.session(request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    tenant = emulator.state.tenants.get(found[0])
    user = tenant.users.get(found[1]) if tenant else None
    if tenant is None or user is None or not user.account_enabled:
        return None
    if flow.tenant_key.lower() not in identity.MULTI_TENANT_KEYS and emulator.tenant(flow.tenant_key) is not tenant:
        return None
    if flow.login_hint and flow.login_hint.lower() not in (user.user_principal_name.lower(), user.mail.lower()):
        return None
    return tenant, user


def _people(emulator: Host, flow: Flow) -> list[tuple[Tenant, DirectoryUser]]:
    tenants = list(emulator.state.tenants.values())
    if flow.tenant_key.lower() not in identity.MULTI_TENANT_KEYS:
        tenants = [t for t in tenants if emulator.tenant(flow.tenant_key) is t]
    return [(t, u) for t in tenants for u in t.users.values() if u.user_type == "Member"]


def _show_sign_in(emulator: Host, flow: Flow, error: str | None = None) -> Response:
    app = emulator.state.apps[flow.client_id]
    return sign_in_page(flow, app.display_name, _people(emulator, flow), error)


# -- authorize -----------------------------------------------------------------------------------------


@_guarded
def authorize(emulator: Host, request: Request, tenant: str) -> Response:
    params = request.values
    found = _tenant_or_multi(emulator, tenant)
    app = _app(emulator, params.get("client_id", ""), found)
    _note(request, found, app.client_id)
    flow = Flow(
        id=new_flow_id(),
        kind="authorize",
        tenant_key=tenant,
        client_id=app.client_id,
        redirect_uri=_redirect_uri(app, params.get("redirect_uri", "")),
        state=params.get("state"),
        scopes=identity.normalize_scopes(params.get("scope", ""), app),
        response_mode=params.get("response_mode", "query").lower(),
        nonce=params.get("nonce"),
        prompt=(params.get("prompt") or "").lower() or None,
        login_hint=params.get("login_hint"),
        code_challenge=params.get("code_challenge"),
        code_challenge_method=params.get("code_challenge_method", "plain"),
    )
    try:
        _check_authorize(flow, params.get("response_type", ""))
        return _continue_authorize(emulator, request, emulator.identity.start_flow(flow))
    except RedirectFailure as failure:
        return back_to_app(flow, failure.params)


def _check_authorize(flow: Flow, response_type: str) -> None:
    if flow.response_mode not in ("query", "fragment", "form_post"):
        flow.response_mode = "query"
        raise RedirectFailure(_error("invalid_request", 900144, "The response_mode is not supported."))
    if response_type.split() != ["code"]:
        raise RedirectFailure(_error("unsupported_response_type", 700054, "response_type 'code' is required."))
    if not flow.scopes:
        raise RedirectFailure(_error("invalid_request", 900144, "The request must contain the parameter: 'scope'."))
    unknown = [s for s in identity.resource_scopes(flow.scopes) if s.lower() not in KNOWN_DELEGATED]
    if unknown:
        raise RedirectFailure(
            _error("invalid_scope", 70011, f"The provided value for scope {unknown[0]} is not valid.")
        )
    if flow.code_challenge and flow.code_challenge_method not in ("S256", "plain"):
        raise RedirectFailure(_error("invalid_request", 501491, "Invalid code_challenge_method."))


def _error(error: str, code: int, message: str) -> dict[str, str]:
    return {"error": error, "error_description": f"AADSTS{code}: {message}"}


def _continue_authorize(emulator: Host, request: Request, flow: Flow) -> Response:
    session = _session_user(emulator, request, flow)
    if flow.prompt == "none":
        if session is None:
            raise RedirectFailure(
                _error("login_required", 50058, "A silent sign-in request was sent but no user is signed in.")
            )
        if _needs_consent(emulator, flow, *session):
            raise RedirectFailure(_error("consent_required", 65001, "The user or administrator has not consented."))
    if session is None or flow.prompt in ("login", "select_account"):
        return _show_sign_in(emulator, flow)
    return _after_sign_in(emulator, request, flow, *session)


def _needs_consent(emulator: Host, flow: Flow, tenant: Tenant, user: DirectoryUser) -> bool:
    """Entra asks when scopes lack consent, and on the first sign-in to an app not yet in the tenant at all
    (even for openid/profile alone: "Sign you in"); consenting puts the app in the tenant."""
    app = emulator.state.apps[flow.client_id]
    granted = identity.consented_scopes(tenant, app, user)
    if flow.prompt == "consent" or not identity.has_service_principal(tenant, app.client_id):
        return True
    return any(s.lower() not in granted for s in identity.resource_scopes(flow.scopes))


def _after_sign_in(emulator: Host, request: Request, flow: Flow, tenant: Tenant, user: DirectoryUser) -> Response:
    flow.user_id, flow.tenant_id = user.id, tenant.id
    _note(request, tenant, flow.client_id, user)
    if flow.kind != "authorize":
        return _admin_consent_step(emulator, flow, tenant, user)
    if not _needs_consent(emulator, flow, tenant, user):
        return _issue_code(emulator, flow, tenant, user)
    app = emulator.state.apps[flow.client_id]
    admin_only = [s for s in identity.resource_scopes(flow.scopes) if s.lower() in identity.ADMIN_ONLY_SCOPES]
    if admin_only and not user.is_admin and app.client_id not in tenant.admin_consented_apps:
        return need_admin_page(flow, app.display_name)
    return user_consent_page(flow, app.display_name, user, tenant)


def _issue_code(emulator: Host, flow: Flow, tenant: Tenant, user: DirectoryUser) -> Response:
    code = AuthCode(
        code=new_code(),
        client_id=flow.client_id,
        redirect_uri=flow.redirect_uri,
        tenant_id=tenant.id,
        user_id=user.id,
        scopes=list(flow.scopes),
        nonce=flow.nonce,
        code_challenge=flow.code_challenge,
        code_challenge_method=flow.code_challenge_method,
    )
    emulator.identity.finish_flow(flow.id)
    return back_to_app(flow, {"code": emulator.identity.issue_code(code), "session_state": flow.id})


# -- sign-in and consent forms -------------------------------------------------------------------------


@_guarded
def signin(emulator: Host, request: Request, tenant: str) -> Response:
    flow = _flow(emulator, request)
    login = (request.form.get("pick") or request.form.get("login") or "").strip()
    found = _find_person(emulator, flow, login)
    if found is None:
        return _show_sign_in(emulator, flow, "We couldn't find an account with that username.")
    person_tenant, person = found
    if not person.account_enabled:
        raise PageFailure(400, 50057, "The user account is disabled.")
    response = _resume(emulator, request, flow, person_tenant, person)
    cookie = emulator.identity.open_session(person_tenant.id, person.id)
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Lax", path="/")
    return response


def _resume(emulator: Host, request: Request, flow: Flow, tenant: Tenant, user: DirectoryUser) -> Response:
    try:
        return _after_sign_in(emulator, request, flow, tenant, user)
    except RedirectFailure as failure:
        return back_to_app(flow, failure.params)


def _flow(emulator: Host, request: Request) -> Flow:
    flow = emulator.identity.flow(request.form.get("flow", ""))
    if flow is None:
        raise PageFailure(
            400, 90014, "The sign-in session has expired or is unknown. Start again from the application."
        )
    return flow


def _find_person(emulator: Host, flow: Flow, login: str) -> tuple[Tenant, DirectoryUser] | None:
    if not login:
        return None
    for tenant in emulator.state.tenants.values():
        if flow.tenant_key.lower() not in identity.MULTI_TENANT_KEYS and emulator.tenant(flow.tenant_key) is not tenant:
            continue
        person = tenant.user_by_address(login)
        if person is not None:
            return tenant, person
    return None


@_guarded
def consent(emulator: Host, request: Request, tenant: str) -> Response:
    flow = _flow(emulator, request)
    home = emulator.state.tenants.get(flow.tenant_id or "")
    user = home.users.get(flow.user_id or "") if home else None
    if home is None or user is None:
        raise PageFailure(400, 90014, "Sign in before answering the consent request.")
    _note(request, home, flow.client_id, user)
    decision = request.form.get("decision", "")
    try:
        if flow.kind == "authorize":
            return _user_decision(emulator, flow, home, user, decision)
        return _admin_decision(emulator, flow, home, user, decision)
    except RedirectFailure as failure:
        emulator.identity.finish_flow(flow.id)
        return back_to_app(flow, failure.params)


def _user_decision(emulator: Host, flow: Flow, tenant: Tenant, user: DirectoryUser, decision: str) -> Response:
    if decision != "accept":
        params = _error("access_denied", 65004, "User declined to consent to access the app.")
        raise RedirectFailure({**params, "error_subcode": "cancel"})
    with emulator.state.lock:
        key = (flow.client_id, user.id)
        tenant.user_consents[key] = tenant.user_consents.get(key, set()) | set(identity.resource_scopes(flow.scopes))
        tenant.service_principals.add(flow.client_id)
    return _issue_code(emulator, flow, tenant, user)


# -- admin consent -------------------------------------------------------------------------------------


@_guarded
def adminconsent(emulator: Host, request: Request, tenant: str) -> Response:
    return _start_admin_consent(emulator, request, tenant, "adminconsent")


@_guarded
def adminconsent_v1(emulator: Host, request: Request, tenant: str) -> Response:
    return _start_admin_consent(emulator, request, tenant, "adminconsent-v1")


def _start_admin_consent(emulator: Host, request: Request, tenant: str, kind: str) -> Response:
    params = request.args
    if kind == "adminconsent" and tenant.lower() == "common":
        raise PageFailure(400, 50194, "Use a tenant-specific endpoint or 'organizations' for admin consent.")
    found = _tenant_or_multi(emulator, tenant)
    app = _app(emulator, params.get("client_id", ""), found)
    _note(request, found, app.client_id)
    flow = Flow(
        id=new_flow_id(),
        kind=kind,
        tenant_key=tenant,
        client_id=app.client_id,
        redirect_uri=_redirect_uri(app, params.get("redirect_uri", "")),
        state=params.get("state"),
        scopes=params.get("scope", "").split(),
        prompt=(params.get("prompt") or "").lower() or None,
        login_hint=params.get("login_hint"),
    )
    if kind == "adminconsent" and not flow.scopes:
        params_out = _error(
            "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."
        )
        return back_to_app(flow, {"admin_consent": "True", **params_out})
    emulator.identity.start_flow(flow)
    session = _session_user(emulator, request, flow)
    if session is None or flow.prompt in ("login", "select_account"):
        return _show_sign_in(emulator, flow)
    return _after_sign_in(emulator, request, flow, *session)


def _admin_consent_step(emulator: Host, flow: Flow, tenant: Tenant, user: DirectoryUser) -> Response:
    app = emulator.state.apps[flow.client_id]
    if not user.may_grant(app.application_permissions):
        return need_admin_page(flow, app.display_name)
    return admin_consent_page(flow, app, tenant, sorted(requested_optional(app, flow.scopes)))


def _admin_decision(emulator: Host, flow: Flow, tenant: Tenant, user: DirectoryUser, decision: str) -> Response:
    if decision == "back" or not user.may_grant(emulator.state.apps[flow.client_id].application_permissions):
        message = "Need admin approval: an administrator must grant this app access to your organization."
        extra = {"admin_consent": "True"} if flow.kind == "adminconsent" else {}
        raise RedirectFailure({**extra, **_error("access_denied", 90094, message)})
    if decision != "accept":
        raise RedirectFailure(_admin_cancelled(flow))
    app = emulator.state.apps[flow.client_id]
    with emulator.state.lock:
        tenant.admin_consented_apps.add(app.client_id)
        tenant.service_principals.add(app.client_id)
        added = requested_optional(app, flow.scopes)
        if added:
            tenant.extra_permissions[app.client_id] = tenant.extra_permissions.get(app.client_id, set()) | added
    emulator.identity.finish_flow(flow.id)
    return back_to_app(flow, _admin_granted(flow, app, tenant))


def requested_optional(app: AppRegistration, scopes: list[str]) -> set[str]:
    """The app's optional permissions the consent request names (`https://graph.microsoft.com/Place.Read.All`).

    Entra grants application permissions only through `/.default` (M365-FACTS §6), that is what the app
    registration configures; a registration that configured Place.Read.All would get it from every tenant at its
    first consent. The emulator lets a consent that names an optional permission add it to that tenant, so that
    rooms add Place.Read.All only when an admin turns them on (an emulator convenience, UNCONFIRMED in Entra).
    """
    named = {name.lower() for name in identity.normalize_scopes(" ".join(scopes))}
    return {p for p in app.optional_permissions if p.lower() in named}


def _admin_cancelled(flow: Flow) -> dict[str, str]:
    if flow.kind == "adminconsent":
        # v2: admin_consent=True is present even on an error (M365-FACTS §6).
        declined = _error("consent_required", 65004, "User declined to consent to access the app.")
        return {"admin_consent": "True", **declined}
    return {"error": "permission_denied", "error_description": "The admin canceled the request"}


def _admin_granted(flow: Flow, app: AppRegistration, tenant: Tenant) -> dict[str, str]:
    if flow.kind == "adminconsent-v1":
        return {"tenant": tenant.id, "admin_consent": "True"}
    # The v2 endpoint grants every configured permission whatever scope names the request (UNCONFIRMED for
    # scopes other than /.default, which is all Overlap sends); `scope` lists what was granted.
    granted = " ".join(f"{identity.GRAPH_AUDIENCE}/{p}" for p in identity.app_roles(tenant, app))
    return {"admin_consent": "True", "tenant": tenant.id, "scope": granted}


# -- sign-out ------------------------------------------------------------------------------------------


def logout(emulator: Host, request: Request, tenant: str) -> Response:
    found = emulator.identity.session(request.cookies.get(SESSION_COOKIE))
    if found is not None:
        emulator.identity.end_sessions_of(found[1])
    target = request.values.get("post_logout_redirect_uri")
    if target and any(redirect_registered(app, target) for app in emulator.state.apps.values()):
        response = Response(status=302)
        response.headers["Location"] = target
    else:
        response = page("Signed out", "<h1>You signed out of your account</h1><p>You may close this window.</p>")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def register(router: Router) -> None:
    """The pages a person's browser sees."""
    for path, methods, handler in (
        ("/<tenant>/oauth2/v2.0/authorize", ["GET", "POST"], authorize),
        ("/<tenant>/oauth2/v2.0/logout", ["GET", "POST"], logout),
        ("/<tenant>/v2.0/adminconsent", ["GET"], adminconsent),
        ("/<tenant>/adminconsent", ["GET"], adminconsent_v1),
        ("/<tenant>/login", ["POST"], signin),
        ("/<tenant>/consent", ["POST"], consent),
    ):
        router.add_page(path, methods, handler)
