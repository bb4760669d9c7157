"""What every provider's parser shares: the error of a whole unusable answer, JSON decoding, and
how a bad value is shown in a rejection reason."""

from __future__ import annotations

import json
from typing import Any

import orjson

from ..errors import ProviderError

__all__ = ["ProviderAnswerError", "decode_json", "describe"]


class ProviderAnswerError(ProviderError, ValueError):
    """The provider's whole answer for one hut is unusable; the message names the hut and the problem."""

    def __init__(self, hut_id: str, message: str) -> None:
        super().__init__(message)
        self.hut_id = hut_id


def decode_json(content: bytes) -> Any:
    """The answer's JSON. orjson decodes a year of days about 4× faster than the standard library;
    what it refuses and the standard library accepts (integers beyond 64 bits, NaN) is decoded by
    the standard library, so that the parser still rejects such a day alone, not the whole answer."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def describe(value: object) -> str:
    """Short repr of a bad value for a rejection reason."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
