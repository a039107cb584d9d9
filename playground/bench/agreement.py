"""How often fast mode (int8) changes BERT's answer: top-1 agreement and top-5 overlap with float32 over a fixed
set of masked sentences, on a model with *learned* weights.

No checkpoint can be downloaded here, so by default a small BERT (4 layers, width 128) is trained from scratch
for a few hundred masked-LM steps on the English prose of this repository (model_cards/, README.md, docstrings) with a
WordPiece vocabulary trained on the same text. That is far weaker than bert-base, and int8 error depends on
the weights, so the numbers say what int8 does to *a* trained BERT, not to bert-base itself. Pass
`--agreement-model DIR` to measure a saved masked LM instead (e.g. the pretraining lab's models).

    python -m playground.bench --agreement [--agreement-steps 600] [--agreement-model DIR]

The result is written to `playground/models/fast_mode_agreement.json`, which the fast-mode switch quotes.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
import transformers as tf
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizerFast

from playground.models.construction import constructing, constructs, load_tokenizer
from playground.models.variants import int8_copy

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = 120  # evaluated
SEED = 0
LAYERS, HIDDEN, BATCH, VOCAB = 4, 128, 32, 1200  # small enough to train a few hundred steps on 2 busy cores


@dataclass(frozen=True)
class Agreement:
    top1_agreement: float
    top5_overlap: float
    sentences: int
    distinct_top1: int  # different float32 top-1 tokens over the sentences: a model that always says "the" agrees trivially
    model: str  # what was measured, in words
    train_steps: int
    final_loss: float | None
    seconds: float


# A small world with learnable regularities: a model that learned it predicts different words in different
# contexts, so agreement between float32 and int8 means something (a model that always says "the" agrees trivially).
FACTS = {
    "capital": [("france", "paris"), ("germany", "berlin"), ("italy", "rome"), ("spain", "madrid"),
                ("japan", "tokyo"), ("egypt", "cairo"), ("kenya", "nairobi"), ("peru", "lima"), ("canada", "ottawa"),
                ("greece", "athens"), ("norway", "oslo"), ("poland", "warsaw"), ("chile", "santiago"),
                ("india", "delhi"), ("china", "beijing"), ("russia", "moscow"), ("cuba", "havana"),
                ("ireland", "dublin"), ("austria", "vienna"), ("portugal", "lisbon")],
    "sound": [("dog", "barks"), ("cat", "meows"), ("cow", "moos"), ("lion", "roars"), ("duck", "quacks"),
              ("horse", "neighs"), ("sheep", "bleats"), ("owl", "hoots"), ("bee", "buzzes"), ("snake", "hisses"),
              ("pig", "oinks"), ("frog", "croaks")],
    "colour": [("sky", "blue"), ("grass", "green"), ("snow", "white"), ("coal", "black"), ("blood", "red"),
               ("banana", "yellow"), ("chocolate", "brown"), ("lavender", "purple"), ("ash", "grey"),
               ("pumpkin", "orange")],
}
TEMPLATES = {
    "capital": ["the capital of {a} is {b} .", "{b} is the capital city of {a} .",
                "{a} is a country and its capital is {b} .", "people in {a} often travel to {b} , the capital ."],
    "sound": ["the {a} {b} at night .", "every {a} {b} when it is hungry .", "we heard the {a} : it {b} loudly .",
              "a {a} usually {b} in the morning ."],
    "colour": ["the {a} is {b} .", "i saw that the {a} was {b} today .", "everyone knows that {a} looks {b} .",
               "in the picture the {a} is painted {b} ."],
}
OPENINGS = ["", "yesterday ,", "as usual ,", "in the story ,", "my teacher said that"]


def corpus_sentences() -> list[tuple[str, str]]:
    """(sentence, the fact word in it) for every template, fact and opening, in a fixed shuffled order."""
    rows = [(f"{opening} {template.format(a=a, b=b)}".strip(), b)
            for relation, templates in TEMPLATES.items() for template in templates
            for a, b in FACTS[relation] for opening in OPENINGS]
    random.Random(SEED).shuffle(rows)
    return rows


@constructs
def _tokenizer(sentences: list[str]):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(sentences, trainers.WordPieceTrainer(
        vocab_size=VOCAB, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                             cls_token="[CLS]", mask_token="[MASK]", model_max_length=128)


def train_small_bert(sentences: list[str], steps: int, report: Callable[[str], None]):
    """A 4-layer BERT trained with BERT's masking recipe (15% of tokens; 80/10/10) for `steps` steps."""
    tokenizer = _tokenizer(sentences)
    config = tf.BertConfig(vocab_size=len(tokenizer), hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=4,
                           intermediate_size=4 * HIDDEN, max_position_embeddings=128)
    with constructing():
        torch.manual_seed(SEED)
        model = tf.BertForMaskedLM(config)
    collate = tf.DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    encoded = [tokenizer(s, truncation=True, max_length=64)["input_ids"] for s in sentences]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    rng = random.Random(SEED)
    model.train()
    loss = None
    for step in range(steps):
        batch = collate([{"input_ids": ids} for ids in rng.sample(encoded, BATCH)])
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        if step % 100 == 0 or step == steps - 1:
            report(f"  training step {step + 1}/{steps}: masked-LM loss {float(loss.detach()):.2f}")
    model.eval()
    model.requires_grad_(False)
    return model, tokenizer, float(loss.detach()) if loss is not None else None


def masked_examples(rows: list[tuple[str, str]], tokenizer, count: int) -> list[tuple[list[int], int]]:
    """(input ids, masked position): each sentence with its fact word (one token) masked."""
    examples = []
    for sentence, word in rows:
        ids = list(tokenizer(sentence, truncation=True, max_length=64)["input_ids"])
        word_ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(word_ids) == 1 and word_ids[0] in ids:
            position = ids.index(word_ids[0])
            ids[position] = tokenizer.mask_token_id
            examples.append((ids, position))
        if len(examples) == count:
            break
    return examples


def agreement(model, tokenizer, examples: list[tuple[list[int], int]]) -> tuple[float, float, int]:
    fast = int8_copy(model)
    top1 = overlap = 0.0
    distinct = set()
    with torch.inference_mode():
        for ids, position in examples:
            full = model(input_ids=torch.tensor([ids])).logits[0, position].topk(5).indices.tolist()
            quick = fast(input_ids=torch.tensor([ids])).logits[0, position].topk(5).indices.tolist()
            top1 += full[0] == quick[0]
            distinct.add(full[0])
            overlap += len(set(full) & set(quick)) / 5
    return top1 / len(examples), overlap / len(examples), len(distinct)


def measure(steps: int = 600, model_dir: str | None = None, report: Callable[[str], None] = print,
            write_to: Path | None = None) -> Agreement:
    started = time.perf_counter()
    rows = corpus_sentences()
    held_out = rows[::4]  # every 4th sentence is never trained on: the evaluation set
    trained = [sentence for i, (sentence, _) in enumerate(rows) if i % 4]
    if model_dir:
        with constructing():
            model = tf.AutoModelForMaskedLM.from_pretrained(model_dir).eval().requires_grad_(False)
        tokenizer = load_tokenizer(model_dir)
        what, loss, steps = f"the masked LM in {model_dir}", None, 0
    else:
        report(f"Training a small BERT ({LAYERS} layers, width {HIDDEN}) on {len(trained)} template sentences "
               f"for {steps} steps…")
        model, tokenizer, loss = train_small_bert(trained, steps, report)
        what = (f"a {LAYERS}-layer, width-{HIDDEN} BERT trained here for {steps} masked-LM steps on template "
                "sentences about capitals, animal sounds and colours (no real checkpoint can be downloaded here)")
    examples = masked_examples(held_out, tokenizer, SENTENCES)
    top1, top5, distinct = agreement(model, tokenizer, examples)
    result = Agreement(top1_agreement=top1, top5_overlap=top5, sentences=len(examples), distinct_top1=distinct,
                       model=what,
                       train_steps=steps, final_loss=loss, seconds=time.perf_counter() - started)
    if write_to is not None:
        write_to.write_text(json.dumps(asdict(result), indent=1) + "\n")
    return result


def report_agreement(result: Agreement, report: Callable[[str], None] = print) -> None:
    report(f"Fast mode honesty: int8 vs float32 on {result.sentences} masked sentences: top-1 agreement "
           f"{result.top1_agreement:.1%}, top-5 overlap {result.top5_overlap:.1%} ({result.distinct_top1} different "
           f"float32 top-1 tokens) — measured on {result.model}"
           + (f"; final training loss {result.final_loss:.2f}" if result.final_loss is not None else ""))
