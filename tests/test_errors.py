"""The error tree crosses process boundaries whole (solver workers, Ray tasks)."""

from __future__ import annotations

import pickle

from lingxi.errors import InvalidInputError, NotFoundError, RateLimitedError


def test_errors_pickle_with_code_and_details() -> None:
    err = InvalidInputError.for_field("way_id", "a way of the road network", 1)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is InvalidInputError
    assert back.to_dict() == err.to_dict()
    assert back.details["field"] == "way_id"
    custom = pickle.loads(pickle.dumps(NotFoundError("No order 7.", code="order_not_found", id=7)))
    assert (custom.code, custom.details) == ("order_not_found", {"id": 7})


def test_rate_limited_keeps_its_retry_after() -> None:
    back = pickle.loads(pickle.dumps(RateLimitedError("Too many sign-ins.", retry_after_s=30)))
    assert isinstance(back, RateLimitedError)
    assert back.retry_after_s == 30
