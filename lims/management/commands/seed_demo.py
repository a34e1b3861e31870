from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Create the demo data (idempotent). Refuses to run with DEBUG off."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with the password 'demo'; it runs only with DEBUG on.")
        context: dict = {}
        with transaction.atomic():
            # Apps in INSTALLED_APPS order, which is the order of dependency: lims first.
            for config in apps.get_app_configs():
                if module_has_submodule(config.module, "demo"):
                    module = __import__(f"{config.name}.demo", fromlist=["seed"])
                    module.seed(context)
                    self.stdout.write(f"seeded {config.label}")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Users: " + ", ".join(context.get("users", {}))))
