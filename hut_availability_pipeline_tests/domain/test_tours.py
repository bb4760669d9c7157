"""A tour's start dates: every night must have the party's places bookable online; winter rooms,
sold-out nights and nights never checked do not count; one failing night is a near miss."""

from __future__ import annotations

import datetime as dt

import pytest

from hut_availability_pipeline.domain.tours import NightState, plan_tour

D = dt.date(2027, 7, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def bookable(free: int) -> NightState:
    return NightState("bookable", free, 40, f"https://book.example/{free}")


def test_each_hut_on_its_night_with_both_ends_of_the_window():
    nights = {
        ("a", day(0)): bookable(5), ("b", day(1)): bookable(3),  # start day 0: fits
        ("a", day(1)): bookable(5), ("b", day(2)): bookable(2),  # start day 1: b has too few
        ("a", day(2)): bookable(9), ("b", day(3)): bookable(4),  # start day 2 (the last): fits
    }  # fmt: skip
    plan = plan_tour(["a", "b"], nights, 3, day(0), day(2))
    assert [s.start for s in plan.fits] == [day(0), day(2)]
    assert [s.start for s in plan.near_misses] == [day(1)]
    assert [(n.slug, n.night, n.fits) for n in plan.near_misses[0].nights] == [
        ("a", day(1), True),
        ("b", day(2), False),
    ]
    assert plan.fits[0].nights[1].state == bookable(3) and plan.fits[0].end == day(2)


def test_winter_rooms_sold_out_and_unchecked_nights_do_not_count():
    nights = {
        ("a", day(0)): NightState("winter_room", 20, 20, None),  # places, but not bookable online
        ("a", day(1)): NightState("not_bookable_online", None, None, None),
        ("a", day(2)): NightState("full", 0, 40, None),
        ("a", day(3)): NightState("bookable", None, None, None),  # no numbers
        ("a", day(5)): bookable(1),
    }
    plan = plan_tour(["a"], nights, 1, day(0), day(5))
    assert [s.start for s in plan.fits] == [day(5)]
    # one night each: every other start is a near miss (its only night fails), day 4 never checked
    assert [s.start for s in plan.near_misses] == [day(0), day(1), day(2), day(3), day(4)]
    assert plan.near_misses[-1].nights[0].state is None


def test_two_failing_nights_are_no_near_miss_and_a_hut_may_come_twice():
    nights = {("a", day(0)): bookable(2), ("a", day(1)): bookable(2), ("b", day(2)): bookable(1)}
    plan = plan_tour(["a", "a", "b"], nights, 2, day(0), day(1))
    assert plan.fits == []
    assert [(s.start, [n.slug for n in s.failing]) for s in plan.near_misses] == [(day(0), ["b"])]


def test_bad_tours_are_refused():
    with pytest.raises(ValueError, match="at least 1 person"):
        plan_tour(["a"], {}, 0, D, D)
    with pytest.raises(ValueError, match="at least one hut"):
        plan_tour([], {}, 1, D, D)
