from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from config import admin_health, health, robots

# The admin signs in through the site's own sign-in, with its limits on wrong passwords; its own login form would
# take any number of them.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# A crash is a 500, but Overlap's database away (restarting, failing over) a 503 that says so.
handler500 = "config.error_pages.server_error"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", robots.robots_txt, name="robots_txt"),
    path("accounts/", include("allauth.urls")),
    path("me/", account_views.profile, name="profile"),
    path("invitations/<str:secret>", account_views.accept_invitation, name="accept_invitation"),
    path("orgs/<uuid:code>/health/", admin_health.health_page, name="organization_health"),
    path("orgs/<uuid:code>/", include("accounts.urls")),
    path("", include("integrations.urls")),
    path("orgs/<uuid:code>/book/", include("booking.urls")),
    path("", include("booking.meeting_urls")),
    path("admin/", admin.site.urls),
]
