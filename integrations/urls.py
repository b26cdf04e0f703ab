"""The integration pages; included at the site root by config/urls.py.

The Microsoft callbacks sit at fixed URLs (registered with the app registration): the organization
travels in the signed state, never in the URL.
"""

from __future__ import annotations

from django.urls import path

from integrations import people_views, signin_views, views

_ORG = "orgs/<uuid:code>/integrations/microsoft"

urlpatterns = [
    path(f"{_ORG}/", views.settings_page, name="integration_settings"),
    path(f"{_ORG}/tenant", views.save_tenant, name="integration_tenant"),
    path(f"{_ORG}/consent", views.start_consent, name="integration_consent"),
    path(f"{_ORG}/test", views.test_connection, name="integration_test"),
    path(f"{_ORG}/disconnect", views.disconnect, name="integration_disconnect"),
    path(f"{_ORG}/group", views.save_group, name="integration_group"),
    path(f"{_ORG}/reach", views.check_reach, name="integration_reach"),
    path(f"{_ORG}/sync", views.sync_now, name="integration_sync"),
    path(f"{_ORG}/sync/confirm", views.sync_confirm, name="integration_sync_confirm"),
    path(f"{_ORG}/calendar/", views.calendar_page, name="calendar_connection"),
    path(f"{_ORG}/calendar/connect", views.calendar_connect, name="calendar_connect"),
    path(f"{_ORG}/calendar/check", views.calendar_check, name="calendar_check"),
    path(f"{_ORG}/calendar/disconnect", views.calendar_disconnect, name="calendar_disconnect"),
    path(f"{_ORG}/link", signin_views.link, name="microsoft_link"),
    path("orgs/<uuid:code>/people/", people_views.people, name="people"),
    path("orgs/<uuid:code>/people/<uuid:person>/role", people_views.change_role, name="people_role"),
    path("orgs/<uuid:code>/people/<uuid:person>/access", people_views.change_access, name="people_access"),
    path("orgs/<uuid:code>/people/<uuid:person>/clash", people_views.settle_clash, name="people_clash"),
    path("start", signin_views.start_page, name="start"),
    path("start/microsoft", signin_views.start, name="start_microsoft"),
    path("sign-in/microsoft", signin_views.sign_in, name="microsoft_sign_in"),
    path("integrations/microsoft/signin/callback", signin_views.sign_in_callback, name="sign_in_callback"),
    path("integrations/microsoft/consent/callback", views.consent_callback, name="consent_callback"),
    # A link an admin who cannot grant consent hands on to someone who can (signed; the organization inside).
    path("integrations/microsoft/consent/handed/<str:link>", signin_views.consent_handed, name="consent_handed"),
    path("integrations/microsoft/connect/callback", views.calendar_callback, name="calendar_callback"),
]
