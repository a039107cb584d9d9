"""Measuring models on this machine — on tiny twins of the real configs, so the tests stay fast."""

import pytest

from playground.tasks import measure
from playground.models.architectures import count_parameters
from playground.core.errors import PlaygroundError
from playground.tasks.measure import MAX_MODELS_PER_REQUEST, measure_models, measure_one


@pytest.fixture(autouse=True)
def fresh_cache():
    measure.clear_cache()
    yield
    measure.clear_cache()


def test_encoder_decoder_and_encoder_decoder_models_are_measured():
    steps: list[tuple[float, str]] = []
    report = measure_models(["bert-base-uncased", "gpt2", "google/pegasus-xsum"], tiny=True, repeats=3,
                            progress=lambda fraction, what: steps.append((fraction, what)))
    by_id = {m.hub_id: m for m in report.measurements}
    assert list(by_id) == ["bert-base-uncased", "gpt2", "google/pegasus-xsum"]
    assert [by_id[h].model_class for h in by_id] == ["BertForMaskedLM", "GPT2LMHeadModel",
                                                     "PegasusForConditionalGeneration"]
    for hub_id, m in by_id.items():
        assert m.tiny and m.repeats == 3
        assert m.parameters == count_parameters(hub_id, tiny=True)
        assert 0 < m.latency_min_ms <= m.latency_ms <= m.latency_max_ms
        assert m.activation_peak_mb > 0 and m.peak_memory_mb == pytest.approx(m.weights_mb + m.activation_peak_mb)
        assert m.input_tokens == 64  # the tiny configs' maximum; the request asked for 128
    assert by_id["google/pegasus-xsum"].decoder_tokens == 1 and by_id["gpt2"].decoder_tokens == 0
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    assert any("pegasus" in what for _, what in steps)
    assert any("Tiny mode" in n for n in report.notices)
    assert any("cut to the model's maximum" in n for n in report.notices)
    assert "median" in report.latency_method and "TorchDispatchMode" in report.memory_method


def test_head_for_the_task_is_built():
    report = measure_models(["distilbert-base-uncased", "albert-base-v2"], head="question-answering", tiny=True,
                            repeats=1)
    assert [m.model_class for m in report.measurements] == ["DistilBertForQuestionAnswering",
                                                            "AlbertForQuestionAnswering"]


def test_a_model_without_the_head_is_measured_as_itself():
    report = measure_models(["gpt2", "google/pegasus-xsum"], head="question-answering", tiny=True, repeats=1)
    assert [m.model_class for m in report.measurements] == ["GPT2ForQuestionAnswering",
                                                            "PegasusForConditionalGeneration"]
    assert any("No question-answering head exists for google/pegasus-xsum" in n for n in report.notices)


def test_too_many_models_are_capped_and_named():
    names = ["bert-base-uncased", "gpt2", "albert-base-v2", "roberta-base", "distilbert-base-uncased"]
    report = measure_models(names, tiny=True, repeats=1)
    assert len(report.measurements) == MAX_MODELS_PER_REQUEST
    assert report.not_measured == ("distilbert-base-uncased",)
    assert any("at most 4 per request" in n and "distilbert-base-uncased" in n for n in report.notices)


def test_activation_memory_grows_with_the_input():
    short = measure_one("bert-base-uncased", tiny=True, input_tokens=16, repeats=1)
    long = measure_one("bert-base-uncased", tiny=True, input_tokens=64, repeats=1)
    assert long.activation_peak_mb > 2 * short.activation_peak_mb  # attention scores grow with length²
    assert long.weights_mb == short.weights_mb


def test_peak_tracker_counts_new_tensors_not_existing_ones():
    import torch

    weights = torch.ones(1000, 1000)  # 4 MB that exists before: not an activation
    with measure._PeakTensorBytes([weights]) as tracker:
        a = torch.ones(500, 1000)  # 2 MB
        b = a * 2  # another 2 MB while `a` is alive
        view = weights.t()  # a view of the weights: no new memory
        del a, b, view
        c = torch.zeros(250, 1000)  # 1 MB after the others are gone
        del c
    assert tracker.peak == pytest.approx(4e6, rel=0.01)
    assert tracker.current == 0


def test_measurements_are_cached():
    first = measure_models(["gpt2"], tiny=True, repeats=2).measurements[0]
    again = measure_models(["gpt2"], tiny=True, repeats=2).measurements[0]
    assert again is first
    assert measure.cached("gpt2", None, tiny=True) is first
    assert measure.cached("gpt2", "question-answering", tiny=True) is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(hub_ids=[]), "Choose at least one model"),
    (dict(hub_ids=["someone/unknown"]), "No architecture is recorded for 'someone/unknown'"),
    (dict(hub_ids=["gpt2"], input_tokens=4), "Input length"),
    (dict(hub_ids=["gpt2"], repeats=0), "Repeats"),
    (dict(hub_ids=["gpt2"], head="translation"), "Unknown head"),
])
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(PlaygroundError, match=message):
        measure_models(tiny=True, **kwargs)


def test_each_model_gets_a_time_budget_with_a_few_passes_at_least():
    report = measure_models(["gpt2"], tiny=True, repeats=measure.MAX_REPEATS, time_budget_s=0.0)
    m = report.measurements[0]
    assert m.repeats == measure.MIN_REPEATS and m.repeats_requested == measure.MAX_REPEATS
    assert any("Fewer timed passes" in n and "gpt2 (3)" in n for n in report.notices)
    assert "within 0 s per model" in report.latency_method
    roomy = measure_models(["gpt2"], tiny=True, repeats=4).measurements[0]
    assert roomy.repeats == roomy.repeats_requested == 4
    assert roomy.spread == pytest.approx((roomy.latency_max_ms - roomy.latency_min_ms) / roomy.latency_ms)


def test_a_busy_machine_is_reported(monkeypatch):
    quiet = measure.Calibration(best_ms=2.0, median_ms=2.1, load_average=0.5, cpus=2)
    busy = measure.Calibration(best_ms=2.0, median_ms=2.1, load_average=5.3, cpus=2)
    slow = measure.Calibration(best_ms=2.0, median_ms=3.5, load_average=None, cpus=2)
    assert not quiet.busy and busy.busy and slow.busy
    assert "load average 5.3 on 2 CPU(s)" in busy.notice()
    real = measure.calibrate(runs=3)
    assert 0 < real.best_ms <= real.median_ms and real.cpus >= 1
    monkeypatch.setattr(measure, "calibrate", lambda: busy)
    report = measure_models(["gpt2"], tiny=True, repeats=1)
    assert report.calibration is busy and any("looked busy" in n for n in report.notices)
    monkeypatch.setattr(measure, "calibrate", lambda: quiet)
    assert not any("looked busy" in n for n in measure_models(["bert-base-uncased"], tiny=True, repeats=1).notices)


def test_stop_ends_the_request_cleanly_and_keeps_what_was_measured():
    def after_gpt2() -> bool:  # the user leaves once the first model is measured
        return any(key[0] == "gpt2" for key in measure._CACHE)

    report = measure_models(["gpt2", "bert-base-uncased"], tiny=True, repeats=2, stop=after_gpt2)
    assert report.stopped and [m.hub_id for m in report.measurements] == ["gpt2"]
    assert any("Stopped after 1 of 2 model(s); not measured: bert-base-uncased" in n for n in report.notices)
    cut = measure_one("gpt2", tiny=True, input_tokens=32, repeats=10, stop=lambda: True)
    assert cut.stopped and cut.repeats == 1 and cut.repeats_requested == 10
    measure_models(["albert-base-v2"], tiny=True, repeats=5, stop=lambda: True)  # stopped before any model…
    assert measure.cached("albert-base-v2", None, tiny=True) is None  # …so nothing half-measured is remembered


# ---- the estimate said before a run ----------------------------------------------------------------

def test_a_pass_costs_what_the_layers_compute_not_what_they_store():
    """ALBERT shares one layer's weights across 12 layers: 9x fewer parameters, the same FLOPs as BERT-base."""
    bert, albert = measure.config_for("bert-base-uncased"), measure.config_for("albert-base-v2")
    assert measure.pass_flops(albert, 128) == measure.pass_flops(bert, 128)
    assert 2 * 85e6 * 128 < measure.pass_flops(bert, 128) < 2 * 110e6 * 128 * 1.2  # ~2 x non-embedding params
    assert measure.pass_flops(bert, 256) > 2 * measure.pass_flops(bert, 128)  # attention grows with length squared
    gpt2 = measure.config_for("gpt2")
    assert measure.pass_flops(gpt2, 64) > 0 and measure.pass_flops(measure.config_for("google/pegasus-xsum"), 64) > 0


def test_the_estimate_grows_with_the_work_and_the_machines_slowness(monkeypatch):
    monkeypatch.setattr(measure, "machine_speed", lambda: (1e10, 1e8))  # 10 GFLOP/s, 10^8 draws/s
    one = measure.estimate_seconds(["bert-base-uncased"], input_tokens=128, repeats=5)
    # build: 0.5 draws x ~110M parameters / 1e8 = 0.55 s; + 1 s; warm-up and tracking: 2.5 passes of ~23 GFLOP
    # = 5.7 s; timed: 5 passes of 2.3 s capped by the 4 s budget (at least 3 passes: 6.9 s)
    assert 12 < one < 17
    assert measure.estimate_seconds(["bert-base-uncased", "gpt2"], input_tokens=128, repeats=5) > one + 5
    assert measure.estimate_seconds(["bert-base-uncased"], input_tokens=16, repeats=1) < one / 2
    monkeypatch.setattr(measure, "machine_speed", lambda: (5e9, 5e7))  # half as fast now
    assert measure.estimate_seconds(["bert-base-uncased"], input_tokens=128, repeats=5) > 1.5 * one


def test_machine_speed_is_probed_quickly():
    flops, draws = measure.machine_speed()
    assert flops > 1e7 and draws > 1e5
