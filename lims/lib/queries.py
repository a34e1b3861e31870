"""Query helpers for lists that stay fast at any size."""

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet) -> Coalesce:
    """An annotation counting `rows` (a queryset filtered on an OuterRef) for each row of the outer
    query. Unlike Count() over a join, it needs no GROUP BY: the outer query keeps its order and its
    index, and the database counts for the rows it returns only (a page), not for every row."""
    counted = rows.order_by().values(group=Value(1)).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
