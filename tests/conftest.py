"""Shared pytest set-up: Hypothesis profiles.

``dev`` (default) runs 200 examples per property; ``ci`` (selected when ``CI`` is set) runs
fewer so the whole suite stays well under ten minutes on two cores; ``thorough`` runs 2,000
(``HYPOTHESIS_PROFILE=thorough pytest``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
# mypy checks this file (tests/test_typing.py); it fails on purpose when imported
collect_ignore = ["typing"]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
