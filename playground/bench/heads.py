"""Benchmarks for the fine-tuned heads tabs: the playground's task functions against plain transformers,
on real-size model shapes with random weights (built from the checkpoints' real hyper-parameters recorded in
`architectures.py`; no download needed). Tokenizers are the tiny ones: timing depends on the number
of tokens, not on which tokens they are, so each line reports its token counts.

    python -m playground.bench.heads

- Sentiment (DistilBERT SST-2 shape): `classify` vs a raw `pipeline("text-classification")` on the same
  model object, with and without the gradient × input attribution.
- Question answering (DistilBERT-cased SQuAD and RoBERTa-base SQuAD 2.0 shapes): `answer_question`
  (windows, top-n spans, probabilities) vs one raw forward pass + naive argmax start/end.
- Summarization (Pegasus-large shape, 16+16 layers, d_model 1024): the streamed greedy loop vs
  `model.generate`, in tokens per second, both forced to the same number of new tokens.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
import transformers as tf

from playground.bench.timing import interleaved_ms, real_size_model
from playground.core.types import LoadedModel
from playground.models.construction import load_tokenizer
from playground.models.loader import model_nbytes
from playground.models.tiny import build_tiny_models, default_tiny_dir
from playground.tasks.question_answering import QASettings, answer_question
from playground.tasks.sentiment import classify
from playground.tasks.summarization import SummarySettings, summarize

SENTENCE = ("The movie was wonderful, the acting was great and I loved every minute of it, "
            "but the food at the cinema was terrible.")
QUESTION = "Who founded Tesla?"
PARAGRAPH = ("Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas. "
             "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning. ")


def _loaded(name: str, task: str, model, tokenizer) -> LoadedModel:
    model.eval()
    model.requires_grad_(False)  # as the loader does
    tokenizer.model_max_length = model.config.max_position_embeddings
    return LoadedModel(name=name, task=task, tokenizer=tokenizer, model=model, nbytes=model_nbytes(model),
                       source="random weights")


def _params(model) -> str:
    return f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params"


# ---- benchmarks ------------------------------------------------------------------------------------

def bench_sentiment(tiny: dict[str, Path], report: Callable[[str], None]) -> None:
    tokenizer = load_tokenizer(tiny["tiny-distilbert-sst2"])
    model = real_size_model("distilbert-base-uncased-finetuned-sst-2-english", "eager")
    lm = _loaded("distilbert-sst2 shape", "sentiment", model, tokenizer)
    pipe = tf.pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    tokens = len(tokenizer(SENTENCE)["input_ids"])
    lines = [SENTENCE[: 40 + 9 * i] for i in range(8)]
    ms = interleaved_ms({
        "pipeline": lambda: pipe(SENTENCE),
        "classify": lambda: classify(lm, SENTENCE, attributions=False),
        "attribution": lambda: classify(lm, SENTENCE),
    }, repeats=10)
    raw, ours, attr = ms["pipeline"], ms["classify"], ms["attribution"]
    ms8 = interleaved_ms({"pipeline": lambda: pipe(lines),
                           "classify": lambda: classify(lm, "\n".join(lines), one_per_line=True)}, repeats=5)
    raw8, ours8 = ms8["pipeline"], ms8["classify"]
    report(f"Sentiment · DistilBERT SST-2 shape ({_params(model)}) · 1 sentence, {tokens} tokens: "
           f"pipeline('text-classification') {raw:.1f} ms · classify {ours:.1f} ms · classify + gradient×input "
           f"attribution {attr:.1f} ms")
    report(f"Sentiment · 8 lines ({min(len(tokenizer(l)['input_ids']) for l in lines)}–"
           f"{max(len(tokenizer(l)['input_ids']) for l in lines)} tokens): pipeline (one call per line) {raw8:.1f} ms "
           f"· classify one-per-line (one padded batch, with attribution) {ours8:.1f} ms")


def _naive_span(lm: LoadedModel, question: str, context: str) -> str:
    """One forward pass over the first 384 tokens, argmax start and argmax end: the minimal QA baseline."""
    enc = lm.tokenizer(question, context, truncation="only_second", max_length=384, return_tensors="pt",
                       return_token_type_ids=False)
    with torch.inference_mode():
        out = lm.model(**enc)
    start, end = int(out.start_logits[0].argmax()), int(out.end_logits[0].argmax())
    return lm.tokenizer.decode(enc["input_ids"][0, start:end + 1])


def bench_qa(tiny: dict[str, Path], report: Callable[[str], None]) -> None:
    shapes = (
        ("DistilBERT-cased SQuAD", "tiny-distilbert-squad", "distilbert-base-cased-distilled-squad", "1.1"),
        ("RoBERTa-base SQuAD 2.0", "tiny-roberta-squad2", "deepset/roberta-base-squad2", "2"),
    )
    for label, tiny_name, hub_id, version in shapes:
        tokenizer = load_tokenizer(tiny[tiny_name])
        model = real_size_model(hub_id, "eager")
        lm = _loaded(label, "question-answering", model, tokenizer)
        for copies in (2, 8, 20):
            context = PARAGRAPH * copies
            n = len(tokenizer(context, add_special_tokens=False, verbose=False)["input_ids"])
            settings = QASettings(max_length=384, stride=128, top_n=3)
            windows = answer_question(lm, QUESTION, context, settings, version).window_count
            ms = interleaved_ms({"raw": lambda: _naive_span(lm, QUESTION, context),
                                  "ours": lambda: answer_question(lm, QUESTION, context, settings, version)},
                                 repeats=5)
            raw, ours = ms["raw"], ms["ours"]
            report(f"QA · {label} shape ({_params(model)}) · context {n} tokens: raw forward + argmax span "
                   f"{raw:.1f} ms (first 384 tokens only) · answer_question {ours:.1f} ms ({windows} window(s) of "
                   f"≤384, stride 128, top-3 valid spans, SQuAD {'2.0' if version == '2' else version} decision)")


def bench_pegasus(tiny: dict[str, Path], report: Callable[[str], None], new_tokens: int = 10) -> None:
    tokenizer = load_tokenizer(tiny["tiny-pegasus"])
    started = time.perf_counter()
    model = real_size_model("google/pegasus-xsum", "eager")
    built = time.perf_counter() - started
    lm = _loaded("pegasus-large shape", "summarization", model, tokenizer)
    text = PARAGRAPH  # short input: the point is the decoder's per-token cost
    enc = tokenizer(text, return_tensors="pt")
    settings = SummarySettings(max_new_tokens=new_tokens, min_new_tokens=new_tokens)  # same length for both

    def raw() -> None:
        with torch.inference_mode():
            model.generate(**enc, max_new_tokens=new_tokens, min_new_tokens=new_tokens, num_beams=1,
                           do_sample=False)

    # The warm-up round matters: the first generate() call on a freshly built large model is several times slower.
    ms = interleaved_ms({"generate": raw, "ours": lambda: summarize(lm, text, settings)}, repeats=3)
    raw_ms, ours_ms = ms["generate"], ms["ours"]
    report(f"Summarization · Pegasus-large shape ({_params(model)}, built in {built:.0f} s) · input "
           f"{enc['input_ids'].shape[1]} tokens, {new_tokens} new tokens, greedy: model.generate "
           f"{new_tokens / raw_ms * 1000:.1f} tokens/s ({raw_ms:.0f} ms) · streamed loop "
           f"{new_tokens / ours_ms * 1000:.1f} tokens/s ({ours_ms:.0f} ms; with per-step probabilities and top-5 "
           "candidates)")


def run(report: Callable[[str], None]) -> None:
    torch.manual_seed(0)
    tiny_dir = default_tiny_dir()
    try:
        tiny = build_tiny_models(tiny_dir)
    except OSError:  # read-only cache: build them in a temporary folder instead
        tiny = build_tiny_models(Path(tempfile.mkdtemp()) / "tiny")
    report(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; best of repeated, interleaved runs")
    bench_sentiment(tiny, report)
    bench_qa(tiny, report)
    bench_pegasus(tiny, report)


if __name__ == "__main__":
    run(print)
