"""How a forecast is said to people: wording that does not overpromise (the night page, watches)."""

from __future__ import annotations

__all__ = ["chance", "frees_up_line"]


def chance(p: float) -> str:
    """A probability as people read it: whole 5 % steps, never "0 %" or "100 %" (a forecast is
    no certainty): "below 5 %", "about 35 %", "above 95 %"."""
    if p < 0.05:
        return "below 5 %"
    if p > 0.95:
        return "above 95 %"
    return f"about {round(p * 20) * 5} %"


def frees_up_line(p_frees_up: float) -> str:
    """The sentence for a night with no free place now."""
    return (
        f"chance a place frees up before this night: {chance(p_frees_up)} (an estimate from past nights, not a promise)"
    )
