"""A Stop button is offered only while its run runs: disabled on the page, enabled as the run starts, disabled
again once it ends."""

import pytest

from playground.ui.widgets import stop_disabled, stop_enabled

STOPS = ("lab-stop", "measure-stop", "assistant-stop", "road-lm-stop", "road-long-range-stop", "road-gradients-stop",
         "road-seq2seq-stop")


def _component(demo, elem_id):
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


@pytest.mark.parametrize("elem_id", STOPS)
def test_stop_starts_disabled_and_its_run_switches_it(tiny_demo, elem_id):
    stop = _component(tiny_demo, elem_id)
    assert stop.interactive is False
    switches = [fn for fn in tiny_demo.fns.values() if fn.fn in (stop_enabled, stop_disabled)
                and any(o._id == stop._id for o in fn.outputs)]
    by_function = {fn.fn: fn for fn in switches}
    assert set(by_function) == {stop_enabled, stop_disabled}
    # Enabled by the run button's click itself; disabled by a step chained after the run (whatever its outcome).
    enable, disable = by_function[stop_enabled], by_function[stop_disabled]
    assert enable.targets and enable.targets[0][1] == "click"
    assert disable.trigger_after is not None and not disable.trigger_only_on_success
    run = tiny_demo.fns[disable.trigger_after]
    assert run.targets[0][0] == enable.targets[0][0]  # the same button starts the run and enables Stop
    # ...and Stop's listener comes first: the page would run one after a streaming run only once the run ends.
    index = {id(fn): key for key, fn in tiny_demo.fns.items()}
    assert index[id(enable)] < disable.trigger_after
    assert stop_enabled().interactive is True and stop_disabled().interactive is False
