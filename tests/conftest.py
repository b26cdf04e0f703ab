"""Fixtures every test may use: an organization with an admin and a member, and an outsider's organization."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.test import Client

from accounts.models import Membership, Organization, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytest_plugins = ["tests.emulator_fixture", "tests.browser_fixtures"]


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, url: str) -> None:
    """Skip when a service is missing on a developer's machine; fail under CI, where it must be there."""
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=2):
            return
    except OSError as exc:
        message = f"{name} does not answer at {parsed.hostname}:{parsed.port} ({exc})"
        if running_in_ci():
            pytest.fail(f"{message}; CI must provide it.")
        pytest.skip(message)


@dataclass
class Org:
    organization: Organization
    admin: User
    member: User

    @property
    def code(self) -> str:
        return str(self.organization.code)


def _org(name: str, domain: str) -> Org:
    organization = OrganizationFactory.create(name=name)
    admin = UserFactory.create(email=f"admin@{domain}", name=f"{name} Admin")
    member = UserFactory.create(email=f"member@{domain}", name=f"{name} Member")
    MembershipFactory.create(user=admin, organization=organization, role=Membership.Role.ADMIN)
    MembershipFactory.create(user=member, organization=organization, role=Membership.Role.MEMBER)
    return Org(organization, admin, member)


@pytest.fixture
def org(db: None) -> Org:
    """Our organization: one admin, one member."""
    return _org("Contoso", "contoso.example")


@pytest.fixture
def other_org(db: None) -> Org:
    """An outsider's organization, which our people must never see."""
    return _org("Fabrikam", "fabrikam.example")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(org: Org) -> Client:
    return signed_in(org.admin)


@pytest.fixture
def member_client(org: Org) -> Client:
    return signed_in(org.member)


@pytest.fixture
def outsider_client(other_org: Org) -> Client:
    return signed_in(other_org.admin)
