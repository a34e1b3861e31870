"""Records that are written once and never changed: custody events, result events, certificate
events. The ORM refuses to update or delete them (a model's save() of a stored row, delete(), and
a queryset's update(), delete() and bulk_update()); the admin shows them read-only and the API has
no write for them; on PostgreSQL a trigger per table (a migration of each app) refuses UPDATE and
DELETE, so not even raw SQL through the application's connection changes them.

Rows still go away with TRUNCATE (the test database's flush), which no application code issues.
"""

from django.db import models


def _refuse(model, verb: str):
    raise PermissionError(f"{str(model._meta.verbose_name_plural).capitalize()} are append-only and cannot be {verb}.")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse(self.model, "updated")

    def delete(self):
        _refuse(self.model, "deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        _refuse(self.model, "updated")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            _refuse(type(self), "updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse(type(self), "deleted")
