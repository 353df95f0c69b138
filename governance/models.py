"""People and the roles they hold in the trust or in one school."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Addresses are stored in lower case; people type them any way.
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})

    def of_trust(self, trust):
        """The people a trust's managers reach: those with a role in the trust, and people not yet
        given any role (just added, waiting for one). People of another trust are not among them."""
        in_trust = RoleAssignment.objects.filter(trust=trust).values("user_id")
        # Subqueries, not a join to the roles: no duplicate rows, so no DISTINCT over every column
        # (the people list pages through thousands of people).
        no_role = ~Exists(RoleAssignment.objects.filter(user=OuterRef("pk")))
        return self.filter(Q(pk__in=in_trust) | no_role)

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their e-mail address."""

    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    is_staff = models.BooleanField(
        "central team admin access",
        default=False,
        help_text="May use the administration screens.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    # Who changed a person's name, e-mail or access, and when; never the password hash.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    CEO = "ceo", "CEO"
    CFO_COO = "cfo_coo", "CFO / COO"
    CENTRAL_TEAM = "central_team", "Central team"
    TRUSTEE = "trustee", "Trustee"
    TOLT_MEMBER = "tolt_member", "TOLT member"
    LOCAL_GOVERNOR = "local_governor", "Local governor"
    HEADTEACHER = "headteacher", "Headteacher"
    SENIOR_LEADER = "senior_leader", "Senior leader"
    MIDDLE_LEADER = "middle_leader", "Middle leader"
    STAFF = "staff", "Staff"


TRUST_ROLES = {Role.CEO, Role.CFO_COO, Role.CENTRAL_TEAM, Role.TRUSTEE, Role.TOLT_MEMBER}
SCHOOL_ROLES = set(Role) - TRUST_ROLES


class RoleAssignment(models.Model):
    """One role held by one person, scoped to the whole trust or to one of its schools."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    trust = models.ForeignKey("schools.Trust", on_delete=models.CASCADE, related_name="roles")
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, null=True, blank=True, related_name="roles")
    is_chair = models.BooleanField("chair of the LGC", default=False)
    is_link_governor = models.BooleanField("link governor", default=False)
    link_area = models.CharField(max_length=200, blank=True, help_text="e.g. SEND, safeguarding")
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "school__name"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(role__in=sorted(TRUST_ROLES), school__isnull=True)
                    | Q(role__in=sorted(SCHOOL_ROLES), school__isnull=False)
                ),
                violation_error_message="Trust roles have no school; school roles need one.",
            ),
            models.CheckConstraint(
                name="governor_flags_only_for_governors",
                condition=Q(role="local_governor") | Q(is_chair=False, is_link_governor=False),
                violation_error_message="Only a local governor can be chair or link governor.",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "trust"],
                condition=Q(school__isnull=True),
                name="one_trust_role_per_person",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"],
                condition=Q(school__isnull=False),
                name="one_school_role_per_person",
            ),
        ]

    def __str__(self) -> str:
        where = self.school.name if self.school_id else self.trust.name
        return f"{self.get_role_display()}, {where}"
