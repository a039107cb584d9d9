"""Errors whose message is meant for the person using the playground."""

from __future__ import annotations

from typing import Sequence


class PlaygroundError(ValueError):
    """Bad input or an unavailable resource, explained in one or two sentences for the user."""


def offline_advice(model_names: Sequence[str]) -> str:
    """How to get models that are missing offline: the download command for all of them, or the offline modes."""
    it = "it" if len(model_names) == 1 else "them"
    return (f"To use {it} offline, pre-download {it} once with internet access: "
            f"`python -m playground download {' '.join(model_names)}` — or keep going offline now with the lab "
            "models trained here (`python app.py --models lab`) or the tiny ones (`--models tiny`).")


def _quoted(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


class ModelUnavailable(PlaygroundError):
    """A model cannot be loaded (not allowed, not downloaded while offline, or broken)."""

    def __init__(self, model_name: str, reason: str, download_hint: bool = True) -> None:
        self.model_name = model_name
        self.model_names: tuple[str, ...] = (model_name,)
        self.reason = reason
        self.download_hint = download_hint
        self.without_advice = f"Model '{model_name}' is unavailable: {reason}"
        super().__init__(self.without_advice + (f" {offline_advice([model_name])}" if download_hint else ""))


class ModelsUnavailable(ModelUnavailable):
    """Several models one feature needs cannot be loaded: one message that names them all, with one download
    command for those a download would fix."""

    def __init__(self, errors: Sequence[ModelUnavailable]) -> None:
        names = tuple(dict.fromkeys(n for e in errors for n in e.model_names))
        reasons = list(dict.fromkeys(e.reason for e in errors))
        if len(reasons) == 1:
            summary = f"Models {_quoted(names)} are unavailable: for each, {reasons[0]}"
        else:
            summary = f"Models {_quoted(names)} are unavailable. " + " ".join(e.without_advice for e in errors)
        downloadable = list(dict.fromkeys(n for e in errors if e.download_hint for n in e.model_names))
        self.model_name = names[0]
        self.model_names = names
        self.reason = " ".join(reasons)
        self.download_hint = bool(downloadable)
        self.without_advice = summary
        PlaygroundError.__init__(self, summary + (f" {offline_advice(downloadable)}" if downloadable else ""))


def unavailable(errors: Sequence[ModelUnavailable]) -> ModelUnavailable:
    """The one error for every model that failed to load: itself when only one did."""
    return errors[0] if len(errors) == 1 else ModelsUnavailable(errors)
