"""Prometheus metrics of the service, in a registry of its own: requests, values, KMS calls,
latency."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def kms_call(self, operation: str) -> None:
        self.kms_calls.labels(operation).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
