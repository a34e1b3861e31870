from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Create the demo data (idempotent). Refuses to run with DEBUG off."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with the password 'demo'; it runs only with DEBUG on.")
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
                self.stdout.write(f"seeded {module.__name__.removesuffix('.demo')}")
        # Steps that must not run inside a transaction (certificates render and write files).
        for module in modules:
            if hasattr(module, "seed_after_commit"):
                module.seed_after_commit(context)
                self.stdout.write(f"seeded {module.__name__.removesuffix('.demo')} (after commit)")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Users: " + ", ".join(context.get("users", {}))))
