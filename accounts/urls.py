from __future__ import annotations

from django.urls import path

from accounts import audit_views, views

urlpatterns = [
    path("", views.organization_home, name="organization_home"),
    path("invitations/", views.invitations, name="invitations"),
    path("audit/", audit_views.audit_page, name="audit"),
    path("audit.csv", audit_views.audit_csv, name="audit_csv"),
]
