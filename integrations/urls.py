"""The integration pages; included at the site root by config/urls.py.

The Microsoft callbacks sit at fixed URLs (registered with the app registration): the organization
travels in the signed state, never in the URL.
"""

from __future__ import annotations

from django.urls import path

from integrations.consent import views as consent
from integrations.directory import views as directory
from integrations.member_calendars import views as member_calendars
from integrations.settings_page import views as settings_page
from integrations.signin import views as signin

_ORG = "orgs/<uuid:code>/integrations/microsoft"

urlpatterns = [
    path(f"{_ORG}/", settings_page.settings_page, name="integration_settings"),
    path(f"{_ORG}/tenant", settings_page.save_tenant, name="integration_tenant"),
    path(f"{_ORG}/consent", signin.start_consent, name="integration_consent"),
    path(f"{_ORG}/test", settings_page.test_connection, name="integration_test"),
    path(f"{_ORG}/disconnect", settings_page.disconnect, name="integration_disconnect"),
    path(f"{_ORG}/group", settings_page.save_group, name="integration_group"),
    path(f"{_ORG}/reach", settings_page.check_reach, name="integration_reach"),
    path(f"{_ORG}/rooms", settings_page.rooms, name="integration_rooms"),
    path(f"{_ORG}/sync", directory.sync_now, name="integration_sync"),
    path(f"{_ORG}/sync/confirm", directory.sync_confirm, name="integration_sync_confirm"),
    path(f"{_ORG}/calendar/", member_calendars.calendar_page, name="calendar_connection"),
    path(f"{_ORG}/calendar/connect", member_calendars.calendar_connect, name="calendar_connect"),
    path(f"{_ORG}/calendar/check", member_calendars.calendar_check, name="calendar_check"),
    path(f"{_ORG}/calendar/disconnect", member_calendars.calendar_disconnect, name="calendar_disconnect"),
    path(f"{_ORG}/link", signin.link, name="microsoft_link"),
    path("orgs/<uuid:code>/people/", directory.people, name="people"),
    path("orgs/<uuid:code>/people/<uuid:person>/role", directory.change_role, name="people_role"),
    path("orgs/<uuid:code>/people/<uuid:person>/access", directory.change_access, name="people_access"),
    path("orgs/<uuid:code>/people/<uuid:person>/clash", directory.settle_clash, name="people_clash"),
    path("start", signin.start_page, name="start"),
    path("start/microsoft", signin.start, name="start_microsoft"),
    path("sign-in/microsoft", signin.sign_in, name="microsoft_sign_in"),
    path("integrations/microsoft/signin/callback", signin.sign_in_callback, name="sign_in_callback"),
    path("integrations/microsoft/consent/callback", consent.consent_callback, name="consent_callback"),
    # A link an admin who cannot grant consent hands on to someone who can (signed; the organization inside).
    path("integrations/microsoft/consent/handed/<str:link>", signin.consent_handed, name="consent_handed"),
    path("integrations/microsoft/connect/callback", member_calendars.calendar_callback, name="calendar_callback"),
]
