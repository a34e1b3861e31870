from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop("Create the demo data (idempotent). Refuses to run with DEBUG off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(_("seed_demo creates users with the password 'demo'; it runs only with DEBUG on."))
        context: dict = {}
        modules = [
            __import__(f"{config.name}.demo", fromlist=["seed"])
            for config in apps.get_app_configs()
            if module_has_submodule(config.module, "demo")
        ]
        with transaction.atomic():
            # Apps in INSTALLED_APPS order, which is the order of dependency: lims first.
            for module in modules:
                module.seed(context)
                self.stdout.write(_("seeded %(app)s") % {"app": module.__name__.removesuffix(".demo")})
        # Steps that must not run inside a transaction (certificates render and write files).
        for module in modules:
            if hasattr(module, "seed_after_commit"):
                module.seed_after_commit(context)
                self.stdout.write(_("seeded %(app)s (after commit)") % {"app": module.__name__.removesuffix(".demo")})
        self.stdout.write(
            self.style.SUCCESS(_("Demo data ready. Users: %(users)s") % {"users": ", ".join(context.get("users", {}))})
        )
