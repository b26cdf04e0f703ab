"""People and the organizations they belong to."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.kept_queries import KeptQuery


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get(self, *args: Any, **kwargs: Any) -> User:
        """`get(pk=…)` alone, as Django's auth reads the signed-in user on every request, runs a kept statement
        (`accounts.kept_queries`): the same SQL and the same answer, without making the SQL afresh each time."""
        if args or self._db is not None or kwargs.keys() != {"pk"}:
            return super().get(*args, **kwargs)
        return _USER_BY_PK.get(kwargs["pk"])

    def get_by_natural_key(self, username: str | None) -> User:
        """The password account with this address: a Microsoft person never signs in with a password, and may
        share an address with a password account (an address is not who someone is)."""
        return self.get(email__iexact=username or "", microsoft_object_id="")

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("Every user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with Microsoft (their tenant and object id), or with an address and a password.

    Entra ID governs a Microsoft person: no local password, no address of their own choosing. The address
    is unique among password accounts only (it is their login); a Microsoft person may share it.
    """

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address")
    # Who this person is at Microsoft, from a verified token or the directory sync; "" for a password account.
    microsoft_tenant = models.CharField(max_length=64, blank=True)
    microsoft_object_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # An IANA name (e.g. Europe/Berlin), detected in the browser and changeable; "" until known.
    time_zone = models.CharField(max_length=64, blank=True)
    # The IANA zone of their Microsoft 365 working hours, as free/busy last told it; "" until Microsoft told it.
    mailbox_time_zone = models.CharField(max_length=64, blank=True)
    # A code of settings.LANGUAGES (e.g. "ja"): the pages, dates and mail this person reads; "" until their first
    # sign-in, when their browser's language is taken, and changeable on their own page (accounts.views.profile).
    language = models.CharField(max_length=10, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined,misc]
        # Search results come in this order, LIMITed; PostgreSQL also has trigram indexes (migration 0005).
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["name", "email"], name="accounts_user_name_email"),
            models.Index(fields=["email"], name="accounts_user_email"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(microsoft_object_id=""),
                name="one_password_account_per_address",
                violation_error_message="A password account with this address exists already.",
            ),
            models.UniqueConstraint(
                fields=["microsoft_tenant", "microsoft_object_id"],
                condition=~models.Q(microsoft_object_id=""),
                name="one_account_per_microsoft_person",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_microsoft(self) -> bool:
        """Whether Entra ID governs this person (they came through Microsoft or connected their account)."""
        return bool(self.microsoft_object_id)

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def zone_for_others(self) -> str:
        """The zone a colleague sees this person's times in: their Microsoft 365 working hours' zone (what their
        calendar and the suggestions' reasons use), else the zone their own browser told Overlap; "" if neither."""
        return self.mailbox_time_zone or self.time_zone


_USER_BY_PK: KeptQuery[User] = KeptQuery(lambda pk: User.objects.filter(pk=pk))


class Organization(models.Model):
    """A customer: one Microsoft 365 tenant's people using Overlap together."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    # An admin took access away on the people page: the directory sync must not hand it back.
    deactivated_by_admin = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_user_and_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Invitation(models.Model):
    """An admin's single-use, expiring invitation for one address to join with a password account.

    Only a hash of the secret is stored; the link in the email carries the secret itself.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    secret_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering: ClassVar[list[str]] = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"


class AuditArea(models.TextChoices):
    """The parts of the audit trail an admin filters by; each is owned by the app whose facts it tells."""

    PEOPLE = "people", _("People")
    RULES = "rules", _("Booking rules")
    CONNECTION = "connection", _("Connection & consent")
    BOOKINGS = "bookings", _("Bookings")


class AuditWhere(models.TextChoices):
    """Where a change came from."""

    OVERLAP = "overlap", _("Overlap")
    OUTLOOK = "outlook", _("Outlook")
    CHECK = "check", _("Periodic check")
    DIRECTORY = "directory", _("Directory sync")


class AuditRecord(models.Model):
    """One change to the organization's people or booking rules, which have no history of their own.

    Connections and bookings keep their own histories (`IntegrationEvent`, `BookingEvent`); the audit page reads
    those where they are (`accounts.audit`), so that each fact is written once.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_records")
    area = models.CharField(max_length=20, choices=AuditArea.choices)
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=200, blank=True)  # still says who, once their account is gone
    # Whom the change was about (a person's access or role), and their name or address as it was then.
    person = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target = models.CharField(max_length=300, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    where = models.CharField(max_length=20, choices=AuditWhere.choices, default=AuditWhere.OVERLAP)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["organization", "-at", "-id"], name="audit_record_by_org_and_time"),
            models.Index(fields=["at"], name="audit_record_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.target}"
