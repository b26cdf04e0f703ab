"""Where Overlap's Microsoft connection lives: the app registration and the two service URLs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MicrosoftConfig:
    """The app registration and endpoints; built from Django settings, or by hand in tests and scripts.

    `login_url` is where Overlap's server talks to Entra ID; `browser_login_url` is where a person's
    browser is sent (they differ only with the emulator). `ca_bundle` is a CA file to trust instead of
    the system's, for the emulator's certificate. `redis_url` is where every process counts Graph calls in
    flight per mailbox (`limits`); without it each process counts its own.
    """

    client_id: str
    client_secret: str
    login_url: str = "https://login.microsoftonline.com"
    browser_login_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    ca_bundle: str | None = None
    # Fernet keys, newest first; older keys only decrypt (rotation).
    token_keys: tuple[str, ...] = field(default=(), repr=False)
    redis_url: str | None = field(default=None, repr=False)
    # How long sign-in trusts a tenant's published signing keys before it reads them again (rotation).
    signing_keys_max_age: float = 24 * 3600.0

    @classmethod
    def from_settings(cls) -> MicrosoftConfig:
        """The one place this package reads Django settings."""
        from django.conf import settings

        return cls(
            client_id=settings.MICROSOFT_CLIENT_ID,
            client_secret=settings.MICROSOFT_CLIENT_SECRET,
            login_url=settings.MICROSOFT_LOGIN_URL.rstrip("/"),
            browser_login_url=settings.MICROSOFT_LOGIN_BROWSER_URL.rstrip("/"),
            graph_url=settings.MICROSOFT_GRAPH_URL.rstrip("/"),
            ca_bundle=settings.MICROSOFT_CA_BUNDLE or None,
            token_keys=tuple(settings.TOKEN_ENCRYPTION_KEYS),
            redis_url=settings.REDIS_URL or None,
            signing_keys_max_age=3600.0 * settings.MICROSOFT_SIGNING_KEYS_HOURS,
        )

    @property
    def verify(self) -> str | bool:
        """What `requests` should verify TLS against."""
        return self.ca_bundle or True

    def authority(self, tenant: str) -> str:
        return f"{self.login_url.rstrip('/')}/{tenant}"

    def browser_authority(self, tenant: str) -> str:
        return f"{self.browser_login_url.rstrip('/')}/{tenant}"

    @property
    def graph_base(self) -> str:
        """Graph's v1.0 root, whatever form the configured URL took."""
        base = self.graph_url.rstrip("/")
        return base if base.endswith("/v1.0") else f"{base}/v1.0"
