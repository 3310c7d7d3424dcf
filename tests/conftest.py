"""Suite-wide settings. Property tests are derandomized so a CI run is repeatable: the same examples
every time, and a failure found once is found again."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "repeatable", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("repeatable")
