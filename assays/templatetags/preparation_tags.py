"""Template tags of preparation: the run page's table of its samples' preparation factors."""

from django import template

from assays import preparation
from assays.models import Run

register = template.Library()


@register.simple_tag
def run_preparation(run: Run) -> preparation.RunPreparation:
    """Where each sample of the run takes its digested mass and final volume from, and what is missing."""
    return preparation.run_preparation(run)
