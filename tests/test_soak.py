"""`python -m playground.soak`: its verdicts and its bounds (the full run is too long for the suite; its numbers
from a run against a tiny-model app are in docs/safety.md)."""

import httpx
import pytest

from playground.bench import soak
from playground.ui import serving


def test_it_only_targets_this_machine():
    for url in ("http://example.com:7860", "http://10.0.0.5:7860", "https://huggingface.co/spaces/x"):
        with pytest.raises(SystemExit):
            soak.main(["--url", url])


def test_its_loops_are_bounded():
    for flag in ("--clients", "--per-client", "--flood"):
        with pytest.raises(SystemExit):
            soak.main([flag, "100000", "--url", "http://127.0.0.1:9"])


def test_it_checks_the_apps_own_queue_bound():
    assert soak.QUEUE_MAX_SIZE == serving.QUEUE_MAX_SIZE


def _response(status: int, detail) -> httpx.Response:
    return httpx.Response(status, json={"detail": detail})


def test_answers_are_sorted_into_clear_generic_busy_and_crash():
    assert soak._classify_error("The text is empty — type a sentence first.")[0] == "clear"
    for generic in (None, "", "Something went wrong (TypeError: x). The app is still running; try different input."):
        assert soak._classify_error(generic)[0] == "generic"
    assert soak._refused(_response(503, serving.BUSY), 0).kind == "busy"
    assert soak._refused(_response(413, serving.TOO_LARGE), 0).kind == "clear"
    assert soak._refused(_response(422, [{"loc": ["body"], "msg": "x"}]), 0).kind == "generic"
    assert soak._refused(httpx.Response(500, text="Internal Server Error"), 0).kind == "crash"


def test_the_verdict_fails_on_any_crash_generic_error_cross_talk_or_overflowing_queue():
    good_flood = {"bound_respected": True, "after_flood": "ok", "after_flood_s": 0.1}
    tally = soak.Tally()
    tally.add(soak.Outcome("ok", 0.1))
    tally.add(soak.Outcome("clear", 0.2, "Top-k must be a whole number between 1 and 20, got 'abc'."))
    assert soak.report(tally, good_flood, [100 * 2**20, 120 * 2**20], 1.0)[1]
    assert not soak.report(tally, {**good_flood, "bound_respected": False}, [], 1.0)[1]
    for broken in (soak.Outcome("crash", 1.0, "HTTP 500"), soak.Outcome("generic", 1.0, "")):
        worse = soak.Tally(outcomes=list(tally.outcomes))
        worse.add(broken)
        assert not soak.report(worse, good_flood, [], 1.0)[1]
    tally.cross_talk = 1
    assert not soak.report(tally, good_flood, [], 1.0)[1]
    unescaped = soak.Tally()
    unescaped.add(soak.Outcome("clear", 0.1, "Unknown task '<img src=x>'"))
    assert not soak.report(unescaped, good_flood, [], 1.0)[1]
