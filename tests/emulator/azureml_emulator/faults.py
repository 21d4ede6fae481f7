"""Injected trouble for tests: latency (and spikes), dropped connections, 500/503 faults, throttling.

Applied to the Azure API routes only, never to ``/_emulator/`` nor to the fake Azure AD. Random
choices come from a generator seeded with ``seed`` (config), so a run is reproducible request by request.
Throttling is a token bucket (``rate_limit`` tokens per second, ``rate_burst`` deep) answering 429 with
an integer ``Retry-After`` and each family's throttling error (API-NOTES 11).
"""

from __future__ import annotations

import asyncio
import math
import random
import time

from .config import RuntimeConfig
from .errors import ApiError

HOLD_MAX_SECONDS = 300  # a held DELETE answers after this long at most


class Faults:
    def __init__(self, config: RuntimeConfig):
        self.config = config
        self.reseed()

    def reseed(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.tokens = float(self.config.rate_burst)
        self.last = time.monotonic()
        self.deletes = 0

    async def after_delete(self) -> None:
        """The ``hold_deletes_after`` fault, called once a DELETE was carried out: past that many, hold the answer until the
        fault is turned off (``-1``) or :data:`HOLD_MAX_SECONDS` pass."""
        if self.config.hold_deletes_after < 0:
            return
        self.deletes += 1
        if self.deletes <= self.config.hold_deletes_after:
            return
        deadline = time.monotonic() + HOLD_MAX_SECONDS
        while self.config.hold_deletes_after >= 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def delay(self) -> None:
        ms = self.config.latency_ms
        if self.config.spike_rate and self.rng.random() < self.config.spike_rate:
            ms += self.config.spike_ms
        if ms > 0:
            await asyncio.sleep(ms / 1000.0)  # never blocks the loop: concurrent requests overlap

    def drop(self) -> bool:
        return bool(self.config.drop_rate) and self.rng.random() < self.config.drop_rate

    def fault(self, family: str, subscription: str | None) -> ApiError | None:
        if not self.config.fault_rate or self.rng.random() >= self.config.fault_rate:
            return None
        if self.rng.random() < 0.5:
            headers = {"Retry-After": str(max(self.config.retry_after, 1))}
            if family == "arm":
                return ApiError(503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.",
                                headers=headers)
            if family == "mms":
                return ApiError(503, "ServiceUnavailable", "Service is temporarily unavailable, please retry.", headers=headers)
            return ApiError(503, "TransientError", "The service is temporarily unavailable, please retry.", headers=headers,
                            inner_code="ServiceUnavailable")
        if family == "arm":
            return ApiError(500, "InternalServerError",
                            f"Encountered internal server error. Diagnostic information: subscription id '{subscription}'.")
        return ApiError(500, "ServiceError", "InternalServerError", inner_code="InternalServerError")

    def throttle(self, family: str, subscription: str | None, kind: str, actor: str) -> ApiError | None:
        rate = self.config.rate_limit
        if not rate:
            return None
        now = time.monotonic()
        capacity = float(self.config.rate_burst)
        self.tokens = min(capacity, self.tokens + (now - self.last) * rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        retry = max(1, math.ceil((1.0 - self.tokens) / rate))
        headers = {"Retry-After": str(retry)}
        if family == "arm":
            headers[f"x-ms-ratelimit-remaining-subscription-{kind}s"] = "0"
            return ApiError(429, "SubscriptionRequestsThrottled",
                            f"Number of '{kind}' requests for subscription '{subscription}' actor '{actor}' exceeded. "
                            f"Please try again after '{retry}' seconds after additional tokens are available. "
                            "Refer to https://aka.ms/arm-throttling", headers=headers)
        if family == "mms":
            return ApiError(429, "TooManyRequests", f"Rate limit exceeded. Retry after {retry} seconds.", headers=headers)
        return ApiError(429, "RequestThrottled", f"Too many requests. Retry after {retry} seconds.", headers=headers,
                        inner_code="TooManyRequests")
