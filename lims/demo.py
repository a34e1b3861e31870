"""Demo organisations and one user per role (password `demo`), for `manage.py seed_demo`.

Each app may have a `demo` module with `seed(context)`; seed_demo calls them in the order of
INSTALLED_APPS (the order of dependency), passing what earlier apps created. Every seed is
idempotent: running it again changes nothing.
"""

from django.contrib.auth.models import Group

from lims.models import Organisation, User
from lims.roles import Role

DEMO_PASSWORD = "demo"  # noqa: S105 - demo data only; seed_demo refuses to run with DEBUG off

ORGANISATIONS = {
    # key: (name, kind, address, registration number)
    "lab": (
        "Kazakh Independent Assay Laboratory", Organisation.Kind.LABORATORY,
        "12 Abay Avenue, Almaty 050000, Kazakhstan", "BIN 100140012345",
    ),
    "exporter": (
        "Altyn Copper LLP", Organisation.Kind.EXPORTER, "3 Industrial Zone, Aktogay 071300, Kazakhstan", "BIN 150440056789"
    ),
    "exporter2": (
        "Steppe Metals JSC", Organisation.Kind.EXPORTER, "88 Metallurgists Street, Ekibastuz 141200, Kazakhstan",
        "BIN 090840098765",
    ),
    "customs": ("Khorgos Customs Post", Organisation.Kind.CUSTOMS, "Khorgos border crossing, Zharkent district", ""),
}  # fmt: skip

# username: (role, organisation key, first name, last name)
USERS = {
    "sampler": (Role.SAMPLER, "lab", "Serik", "Sampler"),
    "technician": (Role.TECHNICIAN, "lab", "Tamara", "Technician"),
    "reviewer": (Role.REVIEWER, "lab", "Ruslan", "Reviewer"),
    "manager": (Role.MANAGER, "lab", "Madina", "Manager"),
    "exporter": (Role.EXPORTER, "exporter", "Erlan", "Exporter"),
    "exporter2": (Role.EXPORTER, "exporter2", "Ekaterina", "Second"),
    "inspector": (Role.INSPECTOR, "customs", "Ilyas", "Inspector"),
    "admin": (Role.ADMIN, "lab", "Aigerim", "Admin"),
}


def seed(context: dict) -> None:
    orgs = {}
    for key, (name, kind, address, registration) in ORGANISATIONS.items():
        orgs[key], _ = Organisation.objects.get_or_create(
            name=name, defaults={"kind": kind, "address": address, "registration_number": registration}
        )
    users = {}
    for username, (role, org_key, first, last) in USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                # Notification e-mails go to the worker's console in development (a reserved domain).
                email=f"{username}@demo.invalid",
                organisation=orgs[org_key],
                is_staff=role in (Role.ADMIN, Role.MANAGER),
                is_superuser=role == Role.ADMIN,
            )
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    context.update(orgs=orgs, users=users)
