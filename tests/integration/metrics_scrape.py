"""Read the Prometheus text a service's private metrics listener serves."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def sample(http: httpx.Client, metrics_url: str, name: str, **labels: str) -> float:
    """The value of one sample (0 if absent) in the current scrape."""
    response = http.get(metrics_url)
    response.raise_for_status()
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                total += found.value
    return total
