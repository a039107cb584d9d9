"""Validation and normalisation of what users type, shared by every task.

Everything here is the app's own validation: a bad value gets one clear sentence naming the field and what
it accepts, never a library's exception. Whatever a message echoes back is cut short (`shown`).
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from dataclasses import dataclass

from playground.core.errors import PlaygroundError

MAX_CHARS = 4000  # a page of text; longer inputs are cut before tokenisation
MAX_MASKS = 5  # one forward pass handles more, but the UI stays readable with a few
MASK = "[MASK]"
ECHO_CHARS = 60  # the most of a user's value an error message repeats
# `[MASK]` in any case, RoBERTa's `<mask>`, and `___` (three or more underscores) all mean "a gap".
_MASK_PATTERN = re.compile(r"\[mask\]|<mask>|_{3,}", re.IGNORECASE)


@dataclass(frozen=True)
class CleanText:
    text: str  # with every gap written as "[MASK]" (unless cleaned with gaps=False)
    mask_count: int
    notices: tuple[str, ...] = ()
    # What tidying did to the whitespace (one sentence, "" if nothing): tasks that show tokens say it.
    whitespace_note: str = ""


def shown(value: object, limit: int = ECHO_CHARS) -> str:
    """A user's value as an error message may repeat it: its repr, cut to `limit` characters."""
    try:
        text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit])
    except Exception:  # a value whose repr fails is described by its type alone
        text = f"a {type(value).__name__}"
    if isinstance(value, str) and len(value) > limit:
        return f"{text[:-1]}…{text[-1]} ({len(value):,} characters)"
    return text if len(text) <= limit + 2 else text[:limit] + "…"


# Markdown (and the HTML it lets through) would act on these in a user's value: `<script>` vanishes,
# `[x](javascript:…)` becomes a link, a backtick opens code. Escaped, they show as typed.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]()!|~#<>&]")
_HTML_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown_literal(text: str) -> str:
    """`text` (already cut short, e.g. by `shown`) to put inside Markdown so that it reads exactly as typed:
    markup characters escaped, line breaks and other control characters shown as spaces."""
    flat = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return _MARKDOWN_SPECIAL.sub(lambda m: _HTML_ENTITIES.get(m.group(), "\\" + m.group()), flat)


def _type_word(value: object) -> str:
    """'a list', 'true/false', 'a number': what kind of value came in, in words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, numbers.Number):
        return "a number"
    return f"a {type(value).__name__}"


def _visible(ch: str) -> bool:
    """Not whitespace, not a control/format/surrogate character (zero-width spaces are format characters)."""
    return not ch.isspace() and unicodedata.category(ch)[0] not in "CZ"


def _whitespace_note(typed: str, tidied: str) -> str:
    """One sentence on what tidying did to the whitespace of `typed` ("" when nothing changed)."""
    lead = len(typed) - len(typed.lstrip())
    trail = len(typed) - len(typed.rstrip()) if typed.strip() else 0
    tabs, returns = typed.strip().count("\t"), typed.strip().count("\r")
    parts = ([f"{lead} leading"] if lead else []) + ([f"{trail} trailing"] if trail else [])
    changes = ([f"{' and '.join(parts)} whitespace character(s) removed"] if parts else []) + (
        [f"{tabs} tab(s) read as spaces"] if tabs else []) + ([f"{returns} carriage return(s) read as spaces"]
                                                            if returns else [])
    if not changes or typed == tidied:
        return ""
    return ("Tokenized after tidying the whitespace: " + "; ".join(changes)
            + " (the Tokenizers view tokenizes text exactly as typed).")


def clean_text(text: object, *, what: str = "text", max_chars: int = MAX_CHARS, keep_whitespace: bool = False,
               gaps: bool = True) -> CleanText:
    """Reject empty or non-text input, drop control and unpaired surrogate characters, cap the length, and
    normalise mask spellings. A huge input is cut before any per-character work.

    By default the whitespace is tidied (ends stripped, tabs and carriage returns read as spaces) and
    `whitespace_note` says what changed. `keep_whitespace=True` keeps every space, tab and newline as typed
    (byte-level BPE gives them tokens of their own); `gaps=False` leaves `<mask>` and `___` as typed."""
    if text is not None and not isinstance(text, str):
        raise PlaygroundError(f"The {what} is empty: it must be text, not {_type_word(text)} — type a sentence "
                              "first.")
    if text is None or not text.strip():
        raise PlaygroundError(f"The {what} is empty — type a sentence first.")
    notices: list[str] = []
    typed = text
    text = text if keep_whitespace else text.strip()
    original_length = len(text)
    # Room for up to max_chars dropped characters; anything past it would be cut anyway.
    scanned = text[: 2 * max_chars]
    kept, dropped, surrogates = [], 0, 0
    for ch in scanned:
        if ch in "\n\t\r":
            kept.append(ch if keep_whitespace or ch == "\n" else " ")
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            dropped += 1
        elif category == "Cs":  # half of a UTF-16 pair: not a character any tokenizer can encode
            surrogates += 1
        else:
            kept.append(ch)
    if dropped:
        notices.append(f"Removed {dropped} control character(s) from the {what}.")
    if surrogates:
        notices.append(f"Removed {surrogates} unpaired surrogate character(s) (invalid Unicode) from the {what}.")
    cleaned = "".join(kept) if keep_whitespace else "".join(kept).strip()
    if not any(_visible(ch) for ch in cleaned):
        raise PlaygroundError(f"The {what} has no visible characters — type a sentence first.")
    total = len(cleaned) if len(scanned) == original_length else original_length
    if total > max_chars:
        notices.append(f"The {what} was cut to its first {max_chars} of {total} characters.")
        cleaned = cleaned[:max_chars]
    if gaps:
        cleaned, mask_count = _MASK_PATTERN.subn(MASK, cleaned)
    else:
        mask_count = len(_MASK_PATTERN.findall(cleaned))
    note = "" if keep_whitespace else _whitespace_note(typed[: 2 * max_chars], cleaned)
    return CleanText(text=cleaned, mask_count=mask_count, notices=tuple(notices), whitespace_note=note)


def with_mask_token(text: str, mask_token: str) -> str:
    """Write each canonical `[MASK]` the way this tokenizer spells its mask (`<mask>` for RoBERTa)."""
    return text.replace(MASK, mask_token) if mask_token != MASK else text


def _number(value: object, name: str, expected: str) -> float:
    """A finite number from a number, or from text that is one ("42" from a seed box); else a clear error."""
    if value is None:
        raise PlaygroundError(f"{name} is missing: it must be {expected}.")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise PlaygroundError(f"{name} must be {expected}, not {_type_word(value)}.")
    if isinstance(value, str):
        try:
            if len(value) > 100:  # no number is written with that many characters
                raise ValueError
            number = float(value.strip())
        except ValueError:
            raise PlaygroundError(f"{name} must be {expected}, got the text {shown(value)}.") from None
    else:
        number = float(value)
    if math.isnan(number):
        raise PlaygroundError(f"{name} must be {expected}, got NaN (not a number).")
    if math.isinf(number):
        raise PlaygroundError(f"{name} must be {expected}, got infinity.")
    return number


def check_int(value: object, name: str, low: int, high: int) -> int:
    """An integer setting within [low, high], or a clear error (floats like 5.0 from sliders pass)."""
    expected = f"a whole number between {low} and {high}"
    number = _number(value, name, expected)
    if number != int(number) or not low <= number <= high:
        raise PlaygroundError(f"{name} must be {expected}, got {shown(value)}.")
    return int(number)


def check_float(value: object, name: str, low: float, high: float, *, low_inclusive: bool = True) -> float:
    bracket = "[" if low_inclusive else "("
    number = _number(value, name, f"a number in {bracket}{low}, {high}]")
    too_low = number < low or (number == low and not low_inclusive)
    if too_low or number > high:
        raise PlaygroundError(f"{name} must be in {bracket}{low}, {high}], got {shown(value)}.")
    return number


def check_bool(value: object, name: str) -> bool:
    """A yes/no setting: true or false (1 and 0 too, as some clients send them), nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    raise PlaygroundError(f"{name} must be true or false, got {shown(value)}.")
