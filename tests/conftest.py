"""Hypothesis profiles: `ci` (default, a few seconds) and `thorough` (on demand).

    pytest --hypothesis-profile=thorough
"""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")
