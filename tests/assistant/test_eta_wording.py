"""ETAs on a later day are said with the day, not as hundreds of minutes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lingxi.assistant.turn import day_name


@pytest.mark.parametrize(
    ("when", "lang", "expected"),
    [
        (datetime(2026, 11, 26, 9, 44, tzinfo=UTC), "en", "tomorrow"),
        (datetime(2026, 11, 26, 9, 44, tzinfo=UTC), "zh", "明天"),
        (datetime(2026, 11, 28, 9, 44, tzinfo=UTC), "en", "Sat 28 Nov"),
        (datetime(2026, 11, 28, 9, 44, tzinfo=UTC), "zh", "11-28"),
    ],
)
def test_later_day_is_named(when: datetime, lang: str, expected: str) -> None:
    """The next day is 'tomorrow'/'明天'; later days are dated."""
    now = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert day_name(when, now, lang) == expected
