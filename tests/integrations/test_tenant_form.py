"""What the admin may type as the tenant."""

from __future__ import annotations

import pytest

from integrations.settings_page.forms import TenantForm


def _form(tenant: str) -> TenantForm:
    return TenantForm(data={"tenant": tenant, "mode": "domain_wide"})


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("A1B2C3D4-0000-4000-8000-00000000C0DE", "a1b2c3d4-0000-4000-8000-00000000c0de"),
        ("a1b2c3d400004000800000000000c0de", "a1b2c3d4-0000-4000-8000-00000000c0de"),
        (" contoso.onmicrosoft.com ", "contoso.onmicrosoft.com"),
        ("Contoso.Example", "contoso.example"),
    ],
)
def test_it_accepts_a_guid_or_a_verified_domain(typed: str, stored: str) -> None:
    form = _form(typed)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["tenant"] == stored


@pytest.mark.parametrize(
    "typed",
    [
        "contoso",
        "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "a1b2c3d4-0000-4000-8000",
        "x y.com",
        "contoso.onmicrosoft.com/../common",
        "-bad-.example",
        "",
    ],
)
def test_it_refuses_what_is_neither_a_guid_nor_a_domain(typed: str) -> None:
    form = _form(typed)

    assert not form.is_valid()
    assert form.errors["tenant"]


@pytest.mark.parametrize("typed", ["common", "organizations", "Consumers"])
def test_it_refuses_the_words_that_mean_any_tenant(typed: str) -> None:
    form = _form(typed)

    assert not form.is_valid()
    assert "not yours" in form.errors["tenant"][0]
