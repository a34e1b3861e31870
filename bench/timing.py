"""What the page benchmarks share: percentiles of timings, and the queries and timings of a GET.

from bench.timing import percentile, query_count, timed_gets
"""

import math
import time

from django.db import connection


def percentile(seconds: list[float], fraction: float) -> float:
    """The `fraction` percentile (0.95 for p95) of `seconds`, in milliseconds (nearest rank)."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000


def p95(seconds: list[float]) -> float:
    return percentile(seconds, 0.95)


def query_count(client, url: str) -> int:
    """How many SQL statements one GET of `url` runs."""
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    return queries


def timed_gets(client, url: str, requests: int) -> list[float]:
    """The seconds each of `requests` GETs of `url` took."""
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return timings
