"""Issue 9: every public endpoint answers bad values (NaN, infinity, text in a number field, lists, true/false,
None, non-text text, lone surrogates, invisible text, HTML) with its own clear, escaped message — never
"Something went wrong" — called the way the API calls them (no server needed: the endpoint functions)."""

import inspect
import math

import gradio as gr
import pytest
import torch

VALID = {"text": "Tesla is an American [MASK] company.", "sentence_a": "The cat sat.", "sentence_b": "It slept.",
         "context": "Tesla was founded in 2003 by Martin Eberhard.", "question": "Who founded Tesla?",
         "prompt": "Tesla is", "models": ["bert-base-uncased"], "task": "question-answering",
         # the lab's endpoints train: the smallest valid run, so each bad value costs a moment, not a real run
         "preset": "tiny", "steps": 2, "time_budget_s": 2, "seq_len": 16, "sizes": "8", "repeats": 1,
         "length": 3, "rounds": 1}
# Endpoints whose smallest valid run needs other values (their bounds differ) — each bad value still costs a moment.
VALID_FOR = {
    "road_lm": {"steps": 10, "seeds": 1, "time_budget_s": 1},
    "road_long_range": {"steps": 10, "seeds": 1, "distances": "2"},
    "road_gradients": {"seeds": 1, "length": 4},
    "road_seq2seq": {"steps": 20, "seeds": 1, "max_length": 3},
    "assistant_sft": {"epochs": 1},
    "assistant_reward": {"epochs": 1, "best_of": 0},
    "assistant_dpo": {"epochs": 1, "seeds": 1},
    "assistant_lora": {"model_name": "tiny-gpt2", "budget_s": 5, "epochs": 1},
    "inside_probes": {"repeats": 2},
    "finetune": {"lm_steps": 1},
}
BAD_NUMBERS = [math.nan, math.inf, "abc", [1], True, {"a": 1}, 10**30]
BAD_TEXTS = [42, [1], True, "\ud800", "\u200b\u200b", "<img src=x onerror=alert(1)>" * 50]
BAD_LISTS = ["x", 5, [[1]], [math.nan]]


@pytest.fixture(scope="module")
def endpoints(tiny_demo):
    return {fn.api_name: fn.fn for fn in tiny_demo.fns.values()
            if fn.fn is not None and fn.api_visibility == "public"}


def _bad_values(annotation: object) -> list:
    kind = str(annotation)
    if "list" in kind:
        return BAD_LISTS
    return BAD_NUMBERS if any(t in kind for t in ("int", "float", "bool")) else BAD_TEXTS


@pytest.mark.slow  # 20 s on 2 busy cores: over 300 calls
def test_every_endpoint_explains_every_bad_value_in_its_own_words(endpoints):
    assert len(endpoints) >= 16
    generic, calls = [], 0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is many times faster on a busy machine
    try:
        for api_name, fn in endpoints.items():
            parameters = inspect.signature(fn).parameters
            valid = {name: VALID_FOR.get(api_name, {}).get(name, VALID.get(name, p.default))
                     for name, p in parameters.items()}
            for name, p in parameters.items():
                if "Request" in str(p.annotation):  # Gradio fills it in; the API cannot send one
                    continue
                for bad in _bad_values(p.annotation):
                    calls += 1
                    try:
                        out = fn(**{**valid, name: bad})
                        if inspect.isgenerator(out):
                            list(out)
                    except gr.Error as exc:
                        if "Something went wrong" in exc.message or "<img" in exc.message:
                            generic.append((api_name, name, repr(bad)[:20], exc.message[:120]))
                    except Exception as exc:  # noqa: BLE001 — anything else reached the user raw
                        generic.append((api_name, name, repr(bad)[:20], repr(exc)[:120]))
    finally:
        torch.set_num_threads(threads)
    assert calls > 300
    assert generic == [], "\n".join(map(str, generic))


@pytest.mark.parametrize("api_name, parameter", [("sentiment", "one_per_line"), ("mask_sim", "use_80_10_10")])
def test_yes_no_settings_are_not_coerced(endpoints, api_name, parameter):
    fn = endpoints[api_name]
    valid = {name: VALID.get(name, p.default) for name, p in inspect.signature(fn).parameters.items()}
    for bad in ("abc", 2, [True], None):
        with pytest.raises(gr.Error, match="must be true or false"):
            fn(**{**valid, parameter: bad})


def test_measure_refuses_a_non_list_and_too_many_names(endpoints):
    with pytest.raises(gr.Error, match="list of model names"):
        endpoints["measure"](models=5)
    with pytest.raises(gr.Error, match="at most 20 models"):
        endpoints["measure"](models=["gpt2"] * 10_000)
