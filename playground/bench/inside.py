"""Benchmark for the Inside tab: each view's time as a ratio to the bare forward (and backward) passes it really
needs, with the pass count shown — issue 27's target is ≤ 1.5× (probes: ≤ 20 s in all).

    python -m playground.bench.inside [--repeats 5] [--lab] [--threads 1]

Default: bert-base and gpt2 shapes with random weights (the real compute, nothing downloaded); `--lab`: the
shipped lab models. Times are best of interleaved runs (`timing.interleaved_ms`), so background load hits a view
and its bare passes alike.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from playground import lm
from playground.bench.timing import Target, bench_models, interleaved_ms
from playground.core.tokens import padded_batch
from playground.lm.readers import CausalReader, MaskedReader, TextReader
from playground.models.cards import load_catalog
from playground.models.loader import ModelStore
from playground.tasks.inside import DEFAULT_PAIRS, DEFAULT_TEXT
from playground.tasks.inside.probe_data import labelled_words
from playground.tasks.lab import runs

Report = Callable[[str], None]
GPT_TEXT = DEFAULT_TEXT.split("[MASK]")[0].rstrip()


def _forward(model, ids: torch.Tensor, attention: torch.Tensor | None = None) -> Callable[[], object]:
    def run() -> object:
        with torch.inference_mode():
            return model(input_ids=ids, attention_mask=attention)
    return run


def _forward_backward(reader: TextReader, text: str, batch: int = 1) -> Callable[[], object]:
    """One bare pass over `batch` copies of the slot input's embeddings and one backward from the slot."""
    inp = reader.slot_input(text)
    model = reader.lm.model

    def run() -> object:
        embeddings = model.get_input_embeddings()(torch.tensor([inp.input_ids] * batch)).detach().requires_grad_()
        with torch.enable_grad():
            model(inputs_embeds=embeddings).logits[:, inp.position].float().log_softmax(-1)[:, 0].sum().backward()
        return embeddings.grad
    return run


def _views(reader: TextReader, text: str) -> dict[str, tuple[Callable[[], object], Callable[[], object], str]]:
    """view name → (the view, its bare passes, what they are)."""
    model = reader.lm.model
    inp = reader.slot_input(text)
    one = _forward(model, torch.tensor([inp.input_ids]))
    pair = [reader.text_input(s) for s in DEFAULT_PAIRS[0][:2]]
    both = _forward(model.base_model, *padded_batch([p.input_ids for p in pair], reader.lm.tokenizer.pad_token_id))
    ids, longer, _, _ = lm.kv_cache.appended_ids(reader, "The dog barked at the", "mailman")
    appended = _forward(model.base_model, *padded_batch([ids, longer], reader.lm.tokenizer.pad_token_id))
    batched = _forward_backward(reader, text, lm.attribution.IG_BATCH)

    def ig_passes() -> None:  # the interpolation points in batches, plus f(input) and f(baseline)
        for _ in range(lm.attribution.IG_STEPS // lm.attribution.IG_BATCH):
            batched()
        one()
        one()
    return {
        "logit lens": (lambda: lm.lens.logit_lens(reader, text, 5), one, "1 forward"),
        "embeddings (2 sentences)": (lambda: lm.embeddings.contextual_similarity(reader, *DEFAULT_PAIRS[0]), both,
                                     "1 batched forward of the base model (2 rows)"),
        "KV cache: which keys change": (lambda: lm.kv_cache.keys_and_values(
            model, *padded_batch([ids, longer], reader.lm.tokenizer.pad_token_id)), appended,
            "1 batched forward of the base model (2 rows)"),
        "gradient × input": (lambda: reader.forward_pass(inp, gradients=True).influence(), _forward_backward(reader, text),
                             "1 forward + 1 backward"),
        "integrated gradients (50 steps)": (lambda: lm.attribution.integrated_gradients(reader, inp), ig_passes,
                                            f"{lm.attribution.IG_STEPS // lm.attribution.IG_BATCH} batched forward + "
                                            f"backward ({lm.attribution.IG_BATCH} rows) + 2 forwards"),
    }


def bench_inside(readers: tuple[TextReader, TextReader], repeats: int, report: Report) -> list[Target]:
    targets = []
    report("Inside tab: each view vs the bare passes it needs (best of interleaved runs):")
    for reader, text in zip(readers, (DEFAULT_TEXT, GPT_TEXT)):
        for name, (view, passes, what) in _views(reader, text).items():
            ms = interleaved_ms({"view": view, "passes": passes}, repeats)
            ratio = ms["view"] / ms["passes"]
            report(f"  {reader.lm.name:<20} {name:<32} {ms['view']:8.1f} ms vs {ms['passes']:8.1f} ms "
                   f"({what}): {ratio:.2f}×")
            targets.append(Target(f"Inside {name}, {reader.lm.name}", ratio, 1.5))
    examples = labelled_words("noun_kind")
    for reader in readers:
        start = time.perf_counter()
        result = lm.probes.train_probes(reader, examples, "noun_kind", 5)
        seconds = time.perf_counter() - start
        report(f"  {reader.lm.name:<20} probes (noun_kind, {result.examples} words, {len(result.layers)} hidden "
               f"states, 5 repeats, real + control): {seconds:.1f} s, {result.forward_passes} batched forwards")
        targets.append(Target(f"Inside probes, {reader.lm.name} (seconds / 20 s)", seconds / 20, 1.0))
    for target in targets:
        report(target.line())
    return targets


def lab_readers() -> tuple[TextReader, TextReader]:
    store = ModelStore(load_catalog(), local_models={n: runs.SHIPPED_DIR / n for n in runs.SERVED_NAMES})
    return MaskedReader(store.get("lab-bert", "fill-mask")), CausalReader(store.get("lab-gpt", "text-generation"))


def real_size_readers() -> tuple[TextReader, TextReader]:
    _, bert, gpt = bench_models()
    return MaskedReader(bert), CausalReader(gpt)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lab", action="store_true", help="the shipped lab models instead of real-size shapes")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch intra-op threads (0: torch's default). On a loaded machine 1 avoids each op "
                             "waiting for a second thread to be scheduled")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    readers = lab_readers() if args.lab else real_size_readers()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_inside(readers, args.repeats, print)


if __name__ == "__main__":
    main()
