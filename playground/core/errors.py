"""Errors whose message is meant for the person using the playground."""

from __future__ import annotations


class PlaygroundError(ValueError):
    """Bad input or an unavailable resource, explained in one or two sentences for the user."""


class ModelUnavailable(PlaygroundError):
    """A model cannot be loaded (not allowed, not downloaded while offline, or broken)."""

    def __init__(self, model_name: str, reason: str, download_hint: bool = True) -> None:
        self.model_name = model_name
        self.reason = reason
        message = f"Model '{model_name}' is unavailable: {reason}"
        if download_hint:
            message += (
                f" To use it offline, pre-download it once with internet access: "
                f"`python -m playground download {model_name}` — or keep going offline now with the lab models "
                "trained here (`python app.py --models lab`) or the tiny ones (`--models tiny`)."
            )
        super().__init__(message)
