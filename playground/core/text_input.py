"""Validation and normalisation of what users type, shared by every task."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from playground.core.errors import PlaygroundError

MAX_CHARS = 4000  # a page of text; longer inputs are cut before tokenisation
MAX_MASKS = 5  # one forward pass handles more, but the UI stays readable with a few
MASK = "[MASK]"
# `[MASK]` in any case, RoBERTa's `<mask>`, and `___` (three or more underscores) all mean "a gap".
_MASK_PATTERN = re.compile(r"\[mask\]|<mask>|_{3,}", re.IGNORECASE)


@dataclass(frozen=True)
class CleanText:
    text: str  # with every gap written as "[MASK]"
    mask_count: int
    notices: tuple[str, ...] = ()


def clean_text(text: object, *, what: str = "text", max_chars: int = MAX_CHARS) -> CleanText:
    """Reject empty input, drop control characters, cap the length, and normalise mask spellings."""
    if text is None or not isinstance(text, str) or not text.strip():
        raise PlaygroundError(f"The {what} is empty — type a sentence first.")
    notices: list[str] = []
    kept, dropped = [], 0
    for ch in text:
        if ch in "\n\t\r":
            kept.append(" " if ch != "\n" else "\n")
        elif unicodedata.category(ch) == "Cc":
            dropped += 1
        else:
            kept.append(ch)
    if dropped:
        notices.append(f"Removed {dropped} control character(s) from the {what}.")
    cleaned = "".join(kept).strip()
    if not cleaned:
        raise PlaygroundError(f"The {what} has no visible characters — type a sentence first.")
    if len(cleaned) > max_chars:
        notices.append(f"The {what} was cut to its first {max_chars} of {len(cleaned)} characters.")
        cleaned = cleaned[:max_chars]
    cleaned, mask_count = _MASK_PATTERN.subn(MASK, cleaned)
    return CleanText(text=cleaned, mask_count=mask_count, notices=tuple(notices))


def with_mask_token(text: str, mask_token: str) -> str:
    """Write each canonical `[MASK]` the way this tokenizer spells its mask (`<mask>` for RoBERTa)."""
    return text.replace(MASK, mask_token) if mask_token != MASK else text


def check_int(value: object, name: str, low: int, high: int) -> int:
    """An integer setting within [low, high], or a clear error (floats like 5.0 from sliders pass)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlaygroundError(f"{name} must be a whole number between {low} and {high}, got {value!r}.") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise PlaygroundError(f"{name} must be a whole number between {low} and {high}, got {value!r}.")
    return int(number)


def check_float(value: object, name: str, low: float, high: float, *, low_inclusive: bool = True) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlaygroundError(f"{name} must be a number between {low} and {high}, got {value!r}.") from None
    too_low = number < low or (number == low and not low_inclusive)
    if not math.isfinite(number) or too_low or number > high:
        bracket = "[" if low_inclusive else "("
        raise PlaygroundError(f"{name} must be in {bracket}{low}, {high}], got {value!r}.")
    return number
