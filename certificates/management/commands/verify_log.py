"""Recompute the transparency log from its leaves and compare with what is stored and signed:
every leaf hash, every stored subtree hash, and the root of every checkpoint (and its signature with
a log key). Exit status 0 when all agree, 1 on any mismatch (each one printed).

    python manage.py verify_log

Reads the log in index order in chunks, holding O(log n) hashes: a million leaves take seconds.
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from certificates import transparency
from lims.lib.commands import BaseCommand


class Command(BaseCommand):
    help = gettext_noop(
        "Recompute the transparency log from its leaves and compare with the stored hashes and every signed "
        "checkpoint; exits non-zero on a mismatch."
    )

    def handle(self, *args, **options):
        leaves, checkpoints, problems = transparency.recompute()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                _("the transparency log does not match its leaves: %(count)s problem(s) shown above")
                % {"count": len(problems)}
            )
        self.stdout.write(
            _("transparency log verified: %(leaves)s leaves, %(checkpoints)s checkpoints, all consistent")
            % {"leaves": leaves, "checkpoints": checkpoints}
        )
