"""The batch of a run on the run's page (templates/assays/_run_batch.html): how its rows match the batch."""

from django import template

from assays.batch_selectors import Match, batch_match

register = template.Library()


@register.simple_tag
def batch_match_of(run) -> Match | None:
    return batch_match(run)
