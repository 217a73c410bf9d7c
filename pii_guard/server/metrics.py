"""Prometheus metrics of the service, in a registry of its own: requests, values, KMS calls,
latency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "pii_guard_requests",
            "Requests by operation and outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.values = Counter(
            "pii_guard_values",
            "Values encrypted or decrypted",
            ["operation"],
            registry=self.registry,
        )
        self.kms_calls = Counter(
            "pii_guard_kms_calls", "KMS API calls by operation", ["call"], registry=self.registry
        )
        self.latency = Histogram(
            "pii_guard_request_seconds",
            "Time to answer an encrypt or decrypt request",
            ["operation"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

        # Labelled children by labels: `labels()` takes a lock and checks its arguments each
        # time, and a request updates three.
        self._answered: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._values: dict[str, Any] = {}

    def answered(self, operation: str, outcome: str, seconds: float) -> None:
        """One encrypt or decrypt request answered: its outcome and how long it took."""
        children = self._answered.get((operation, outcome))
        if children is None:
            children = self.requests.labels(operation, outcome), self.latency.labels(operation)
            self._answered[operation, outcome] = children
        requests, latency = children
        requests.inc()
        latency.observe(seconds)

    def values_done(self, operation: str, count: int) -> None:
        """`count` values encrypted or decrypted."""
        child = self._values.get(operation)
        if child is None:
            child = self._values[operation] = self.values.labels(operation)
        child.inc(count)

    def kms_call(self, operation: str) -> None:
        self.kms_calls.labels(operation).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
