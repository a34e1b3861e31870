"""{{ summary.masses|mass:"cu_t" }}: one figure of a mapping, for the statistics' tables."""

from django import template

register = template.Library()


@register.filter
def mass(masses, name: str):
    return masses.get(name) if masses else None


@register.filter
def count(counts, name: str):
    return counts.get(name, 0) if counts else 0
