import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """The rate limit counts in the cache; each test starts with none counted."""
    cache.clear()
    yield
    cache.clear()
