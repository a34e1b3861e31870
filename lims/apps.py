import os

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LimsConfig(AppConfig):
    name = "lims"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        from lims import checks  # noqa: F401 - registers the deployment's system checks

        # The filesystem broker and result store (development default) need their folders before
        # the first task is sent, by the web process as much as by the worker.
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
            for key in ("data_folder_in", "processed_folder", "control_folder"):
                os.makedirs(options[key], exist_ok=True)
        if settings.CELERY_RESULT_BACKEND.startswith("file://"):
            os.makedirs(settings.CELERY_RESULT_BACKEND.removeprefix("file://"), exist_ok=True)
