from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.organization_home, name="organization_home"),
    path("invitations/", views.invitations, name="invitations"),
]
