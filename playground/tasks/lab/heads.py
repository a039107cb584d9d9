"""The lab heads: lab-bert taught one more thing each, on the lab world, and measured on held-out data.

    lab-sentiment  BertForSequenceClassification: lab-bert fine-tuned on the labelled reviews, the fine-tuning
                   lab's split (training frames) and learning rate; measured on the reviews in the other frames
    lab-nsp        BertForPreTraining: lab-bert with its next-sentence head trained on pairs from lab paragraphs
                   (`paragraphs.py`); measured on held-out pairs
    lab-qa         BertForQuestionAnswering: lab-bert with start/end logits trained on questions about lab
                   paragraphs, a third unanswerable (`qa_data.py`); measured on held-out question frames
    lab-electra    ElectraForPreTraining: a discriminator with lab-bert's vocabulary (and, to start, its body),
                   trained on corpus sentences that lab-bert, the generator, corrupted; measured on the held-out
                   sentences

Each `train_*` is seeded and returns a `TrainedHead` (the model, the tokenizer to save with it, its held-out
score); `train_heads` trains the chosen ones on a run's lab-bert and adds them to that run folder
(`runs.add_heads`), which is how `python -m playground pretrain --heads` refreshes the shipped ones.

This module imports torch and transformers at its top: the command line and the tests reach it as
`playground.tasks.lab.heads` through the package (`core/lazy.py`).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import transformers as tf

from playground.core.answer_scores import token_f1
from playground.core.errors import PlaygroundError
from playground.core.tokens import padded_batch
from playground.core.types import LoadedModel
from playground.lm.training import TrainSettings, training_threads
from playground.models.construction import constructing
from playground.tasks.lab.corpus import (DAYS, NAMES, PLACES, LabelledSentence, builtin_corpus, builtin_heldout,
                                         corpus_reviews)
from playground.tasks.lab.finetune import LEARNING_RATES, split_examples
from playground.tasks.lab.paragraphs import NSP_TRAIN_PAIRS, nsp_pairs
from playground.tasks.lab.qa_data import QAExample, qa_examples
from playground.tasks.lab.runs import (LAB_BERT, LAB_ELECTRA, LAB_HEADS, LAB_NSP, LAB_QA, LAB_SENTIMENT, LAB_SUMMARIZER,
                                      add_heads)
from playground.tasks.lab.summarizer import SUMMARY_STEPS, train_summarizer
from playground.tasks.question_answering import answer_question

BATCH_SIZE = 32
SENTIMENT_LEARNING_RATE = LEARNING_RATES["full"]  # the fine-tuning lab's full fine-tuning rate (1e-3)
SENTIMENT_STEPS = 200
NSP_STEPS = 400
NSP_LEARNING_RATE = 5e-4
NSP_HELDOUT_PAIRS = 600
ELECTRA_STEPS = 700
ELECTRA_LEARNING_RATE = 2e-3
# lab-bert guesses most masked words right, so only ~5 % of the judged tokens are replaced: they weigh this much
# more in the loss, or the discriminator learns to say "original" everywhere and flags nothing at 0.5.
ELECTRA_REPLACED_WEIGHT = 6.0
ELECTRA_MASK_RATE = 0.15
ELECTRA_HELDOUT_SENTENCES = 400
QA_TRAIN_EXAMPLES = 6000
QA_HELDOUT_EXAMPLES = 300
# 1 200, not 600: on validation questions (held-out frames, seed 24; the test is seed 22) 5 seeds each gave
# unanswerable questions recognised 0.84 ± 0.08 vs 0.63 ± 0.04, exact match higher in every seed (docs/lab.md)
QA_STEPS = 1200
QA_LEARNING_RATE = 2e-3
SENTIMENT_LABELS = {0: "NEGATIVE", 1: "POSITIVE"}


@dataclass(frozen=True)
class HeadScore:
    metric: str  # "accuracy" | "ROC AUC"
    value: float  # on the held-out examples
    chance: float  # what guessing gets on the same metric
    heldout: int  # held-out examples (reviews, pairs, or judged tokens)
    trained_on: int  # distinct training examples
    measured_on: str  # what the held-out examples are, in words
    extra: dict[str, float] | None = None  # other held-out numbers (e.g. recall of replaced tokens)


@dataclass
class TrainedHead:
    name: str
    model: Any
    tokenizer: Any
    score: HeadScore
    seconds: float
    steps: int
    seed: int
    trained_from: str = LAB_BERT  # lab-summarizer: "scratch" (a Pegasus of its own)

    def info(self) -> dict[str, Any]:
        """The head's entry in the run's manifest (`heads`)."""
        return {"score": asdict(self.score), "seconds": round(self.seconds, 1), "steps": self.steps,
                "seed": self.seed, "trained_from": self.trained_from}


# ---- shared pieces -----------------------------------------------------------------------------------------

def _tokenizer(bert_dir: Path):
    """A private copy of lab-bert's tokenizer (saved unchanged with the head: padding is done here, never set on
    the tokenizer, so its tokenizer.json stays lab-bert's)."""
    tf.logging.set_verbosity_error()  # the load report lists the new head's weights as missing: expected here
    with constructing():
        return tf.AutoTokenizer.from_pretrained(bert_dir)


def _batch(tokenizer, texts: Sequence[str], seconds: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
    """Padded ids and attention mask (and segment ids for pairs)."""
    encoded = tokenizer(list(texts), list(seconds)) if seconds is not None else tokenizer(list(texts))
    ids, mask = padded_batch(encoded["input_ids"], tokenizer.pad_token_id)
    batch = {"input_ids": ids, "attention_mask": mask}
    if seconds is not None:
        types, _ = padded_batch(encoded["token_type_ids"], 0)
        batch["token_type_ids"] = types
    return batch


def _fit(model, loss_of: Callable[[torch.Generator], torch.Tensor], steps: int, learning_rate: float,
         seed: int) -> None:
    """AdamW with a linear decay over `steps`; `loss_of(generator)` draws its own batch. One CPU thread, as the
    lab's runs (on 2 shared cores a second thread costs more than it brings)."""
    with training_threads(TrainSettings().cpu_threads):
        _steps(model, loss_of, steps, learning_rate, seed)
    model.eval()


def _steps(model, loss_of: Callable[[torch.Generator], torch.Tensor], steps: int, learning_rate: float,
           seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / max(1, steps))
    model.train()
    for _ in range(steps):
        loss = loss_of(generator)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)


def _draw(count: int, generator: torch.Generator) -> list[int]:
    return torch.randint(count, (BATCH_SIZE,), generator=generator).tolist()


# ---- sentiment -----------------------------------------------------------------------------------------------

def sentiment_accuracy(model, tokenizer, examples) -> float:
    """Share of `examples` (LabelledSentence) whose label the classifier gets right."""
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(examples), 64):
            chunk = examples[start:start + 64]
            predicted = model(**_batch(tokenizer, [e.text for e in chunk])).logits.argmax(-1)
            correct += int((predicted == torch.tensor([e.label for e in chunk])).sum())
    return correct / len(examples)


OPENINGS = ("On {D},", "{N} said that", "Last {D}", "After the {P},", "{N} told {M} that", "To be honest,",
            "In the end,")


def with_openings(examples, seed: int) -> list:
    """Each example once more, after an opening drawn from the lab world's words ("On Monday, …")."""
    rng = random.Random(seed)
    out = []
    for e in examples:
        opening = rng.choice(OPENINGS).format(D=rng.choice(DAYS), N=rng.choice(NAMES), M=rng.choice(NAMES),
                                              P=rng.choice(PLACES))
        out.append(LabelledSentence(f"{opening} {e.text[0].lower()}{e.text[1:]}", e.label))
    return out


def train_sentiment(bert_dir: Path, seed: int = 0, steps: int = SENTIMENT_STEPS) -> TrainedHead:
    """lab-bert + a classifier on [CLS], fine-tuned on the reviews of the training frames."""
    started = time.perf_counter()
    tokenizer = _tokenizer(bert_dir)
    with constructing():
        torch.manual_seed(seed)  # the new pooler and classifier
        model = tf.BertForSequenceClassification.from_pretrained(
            bert_dir, num_labels=2, id2label=SENTIMENT_LABELS, label2id={v: k for k, v in SENTIMENT_LABELS.items()})
    frames, test = split_examples()
    # More ways to say it than three frames: the head must find the adjective wherever it stands, not at the
    # position the training frames put it (a [CLS] head learns positions as readily as words).
    pool = frames + corpus_reviews() + with_openings(frames, seed)
    labels = torch.tensor([e.label for e in pool])

    def loss_of(generator: torch.Generator) -> torch.Tensor:
        rows = _draw(len(pool), generator)
        return model(**_batch(tokenizer, [pool[i].text for i in rows]), labels=labels[rows]).loss

    _fit(model, loss_of, steps, SENTIMENT_LEARNING_RATE, seed)
    score = HeadScore("accuracy", sentiment_accuracy(model, tokenizer, test), 0.5, len(test), len(pool),
                      "lab reviews in sentence frames never used in training",
                      extra={"training_accuracy": sentiment_accuracy(model, tokenizer, frames)})
    return TrainedHead(LAB_SENTIMENT, model, tokenizer, score, time.perf_counter() - started, steps, seed)


# ---- next-sentence prediction ----------------------------------------------------------------------------------

def nsp_accuracy(model, tokenizer, pairs) -> float:
    """Share of `pairs` (SentencePair) whose IsNext / NotNext the head gets right (index 0 = IsNext)."""
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(pairs), 64):
            chunk = pairs[start:start + 64]
            logits = model(**_batch(tokenizer, [p.first for p in chunk], [p.second for p in chunk]))
            predicted = logits.seq_relationship_logits.argmax(-1)
            correct += int((predicted == torch.tensor([0 if p.is_next else 1 for p in chunk])).sum())
    return correct / len(pairs)


def train_nsp(bert_dir: Path, seed: int = 0, steps: int = NSP_STEPS) -> TrainedHead:
    """lab-bert (its masked-LM head kept) + the pooler and next-sentence head, trained on lab paragraph pairs."""
    started = time.perf_counter()
    tokenizer = _tokenizer(bert_dir)
    with constructing():
        torch.manual_seed(seed)  # the new pooler and seq_relationship layer
        model = tf.BertForPreTraining.from_pretrained(bert_dir)
    pairs, test = nsp_pairs(NSP_TRAIN_PAIRS), nsp_pairs(NSP_HELDOUT_PAIRS, heldout=True)
    labels = torch.tensor([0 if p.is_next else 1 for p in pairs])

    def loss_of(generator: torch.Generator) -> torch.Tensor:
        rows = _draw(len(pairs), generator)
        out = model(**_batch(tokenizer, [pairs[i].first for i in rows], [pairs[i].second for i in rows]))
        return torch.nn.functional.cross_entropy(out.seq_relationship_logits, labels[rows])

    _fit(model, loss_of, steps, NSP_LEARNING_RATE, seed)
    score = HeadScore("accuracy", nsp_accuracy(model, tokenizer, test), 0.5, len(test), len(pairs),
                      "sentence pairs from lab paragraphs drawn with another seed (no training pair repeated)")
    return TrainedHead(LAB_NSP, model, tokenizer, score, time.perf_counter() - started, steps, seed)


# ---- ELECTRA's discriminator ----------------------------------------------------------------------------------

def corrupt_batch(generator_model, tokenizer, texts: Sequence[str], rng: torch.Generator,
                  rate: float = ELECTRA_MASK_RATE) -> dict[str, torch.Tensor]:
    """ELECTRA's input: ~rate of the word pieces masked, each refilled with a token sampled from the generator's
    prediction; `labels` is 1 where the token now differs from the original (a lucky right guess stays 0)."""
    batch = _batch(tokenizer, texts)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids)) | (mask == 0)
    chosen = (torch.rand(ids.shape, generator=rng) < rate) & ~special
    masked = ids.masked_fill(chosen, tokenizer.mask_token_id)
    with torch.no_grad():
        logits = generator_model(input_ids=masked, attention_mask=mask).logits[chosen].float()
        logits[:, tokenizer.all_special_ids] = float("-inf")
        sampled = torch.multinomial(logits.softmax(-1), 1, generator=rng)[:, 0]
    corrupted = ids.clone()
    corrupted[chosen] = sampled
    return {"input_ids": corrupted, "attention_mask": mask, "labels": (corrupted != ids).long(),
            "judged": ~special, "read": mask == 1}


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Probability that a random replaced token scores above a random original one (ties count half)."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    if not len(positive) or not len(negative):
        return float("nan")
    above = (positive[:, None] > negative[None, :]).float().mean()
    ties = (positive[:, None] == negative[None, :]).float().mean()
    return float(above + 0.5 * ties)


def _judged(discriminator, generator_model, tokenizer, sentences: Sequence[str], seed: int
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """(probability "replaced", 1 if replaced) for every judged token of the sentences, corrupted with `seed`."""
    rng = torch.Generator().manual_seed(seed)
    scores, labels = [], []
    with torch.inference_mode():
        for start in range(0, len(sentences), 64):
            batch = corrupt_batch(generator_model, tokenizer, sentences[start:start + 64], rng)
            logits = discriminator(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            scores.append(logits[batch["judged"]].sigmoid())
            labels.append(batch["labels"][batch["judged"]])
    return torch.cat(scores), torch.cat(labels)


def _precision_recall(score: torch.Tensor, label: torch.Tensor, threshold: float) -> tuple[float, float]:
    flagged = score > threshold
    hits = int((flagged & (label == 1)).sum())
    return hits / max(1, int(flagged.sum())), hits / max(1, int((label == 1).sum()))


def electra_scores(discriminator, generator_model, tokenizer, sentences: Sequence[str], seed: int = 0
                   ) -> dict[str, float]:
    """Held-out ROC AUC, and precision / recall of "replaced" at probability 0.5, over every judged token."""
    score, label = _judged(discriminator, generator_model, tokenizer, sentences, seed)
    precision, recall = _precision_recall(score, label, 0.5)
    return {"roc_auc": roc_auc(score, label), "precision": precision, "recall": recall,
            "replaced_share": float(label.float().mean()), "tokens": float(len(label))}


def calibrate(discriminator, generator_model, tokenizer, sentences: Sequence[str], seed: int) -> float:
    """Shift the output bias so that probability 0.5 — where the tab flags a token — is the threshold with the
    best F1 on these (training) sentences; returns that threshold before the shift."""
    score, label = _judged(discriminator, generator_model, tokenizer, sentences, seed)

    def f1(threshold: float) -> float:
        precision, recall = _precision_recall(score, label, threshold)
        return 2 * precision * recall / max(1e-9, precision + recall)

    best = max((i / 100 for i in range(2, 99)), key=f1)
    with torch.no_grad():
        discriminator.discriminator_predictions.dense_prediction.bias -= math.log(best / (1 - best))
    return best


def _electra_from_bert(bert) -> Any:
    """An ELECTRA discriminator of lab-bert's shape whose body starts as lab-bert's (ELECTRA shares embeddings
    between generator and discriminator; here the whole body starts shared, then they part)."""
    c = bert.config
    config = tf.ElectraConfig(
        vocab_size=c.vocab_size, embedding_size=c.hidden_size, hidden_size=c.hidden_size,
        num_hidden_layers=c.num_hidden_layers, num_attention_heads=c.num_attention_heads,
        intermediate_size=c.intermediate_size, max_position_embeddings=c.max_position_embeddings,
        pad_token_id=c.pad_token_id, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    with constructing():
        model = tf.ElectraForPreTraining(config)
    body = {f"electra.{k[len('bert.'):]}": v for k, v in bert.state_dict().items() if k.startswith("bert.")}
    missing, _ = model.load_state_dict(body, strict=False)
    if any(k.startswith("electra.") for k in missing):
        raise PlaygroundError(f"lab-bert's body does not fit ELECTRA's ({missing[:3]}).")
    return model


def train_electra(bert_dir: Path, seed: int = 0, steps: int = ELECTRA_STEPS) -> TrainedHead:
    """A discriminator that tells lab-bert's replacements from the original tokens of corpus sentences."""
    started = time.perf_counter()
    tokenizer = _tokenizer(bert_dir)
    with constructing():
        generator_model = tf.BertForMaskedLM.from_pretrained(bert_dir)
        torch.manual_seed(seed)  # the discriminator's new head
        model = _electra_from_bert(generator_model)
    generator_model.eval().requires_grad_(False)
    sentences = list(dict.fromkeys(builtin_corpus()))
    heldout = builtin_heldout()[:ELECTRA_HELDOUT_SENTENCES]

    def loss_of(rng: torch.Generator) -> torch.Tensor:
        batch = corrupt_batch(generator_model, tokenizer, [sentences[i] for i in _draw(len(sentences), rng)], rng)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        judged = batch["read"]  # every token it reads, [CLS] and [SEP] too (never replaced: it learns to say so)
        return torch.nn.functional.binary_cross_entropy_with_logits(
            logits[judged], batch["labels"][judged].float(), pos_weight=torch.tensor(ELECTRA_REPLACED_WEIGHT))

    _fit(model, loss_of, steps, ELECTRA_LEARNING_RATE, seed)
    calibrate(model, generator_model, tokenizer, sentences[:ELECTRA_HELDOUT_SENTENCES], seed + 2)
    numbers = electra_scores(model, generator_model, tokenizer, heldout, seed=seed + 1)
    score = HeadScore("ROC AUC", numbers["roc_auc"], 0.5, int(numbers["tokens"]), len(sentences),
                      f"tokens of {len(heldout)} held-out corpus sentences corrupted by lab-bert",
                      extra={k: numbers[k] for k in ("precision", "recall", "replaced_share")})
    return TrainedHead(LAB_ELECTRA, model, tokenizer, score, time.perf_counter() - started, steps, seed)


# ---- extractive question answering (SQuAD 2.0 style) ------------------------------------------------------------

def _qa_batch(tokenizer, examples: Sequence[QAExample]) -> dict[str, torch.Tensor]:
    """Question + context pairs with the answer's first and last token (both 0, [CLS], when unanswerable)."""
    enc = tokenizer([e.question for e in examples], [e.context for e in examples], return_offsets_mapping=True)
    starts, ends = [], []
    for i, e in enumerate(examples):
        first, last = e.answer_start, e.answer_start + len(e.answer)
        inside = [j for j, (seq, (a, b)) in enumerate(zip(enc.sequence_ids(i), enc["offset_mapping"][i]))
                  if seq == 1 and a < last and b > first] if e.answer else []
        starts.append(inside[0] if inside else 0)
        ends.append(inside[-1] if inside else 0)
    ids, mask = padded_batch(enc["input_ids"], tokenizer.pad_token_id)
    types, _ = padded_batch(enc["token_type_ids"], 0)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
            "start_positions": torch.tensor(starts), "end_positions": torch.tensor(ends)}


def qa_scores(loaded: LoadedModel, examples: Sequence[QAExample]) -> dict[str, float]:
    """Exact match through the QA tab's own span selection (SQuAD 2.0: the null score can win), overall and on
    the answerable and the unanswerable questions apart, and SQuAD's token F1 overall."""
    right = {"answerable": [], "unanswerable": []}
    f1 = []
    for e in examples:
        answer = answer_question(loaded, e.question, e.context, version="2").answer
        said = answer.text.strip().lower() if answer else ""
        right["answerable" if e.answer else "unanswerable"].append(said == e.answer.lower())
        f1.append(token_f1(said, e.answer))  # SQuAD's F1: partial credit for a span that overlaps the answer
    every = right["answerable"] + right["unanswerable"]
    return {"exact_match": sum(every) / len(every), "f1": sum(f1) / len(f1),
            **{f"{k}_exact_match": sum(v) / max(1, len(v)) for k, v in right.items()},
            "unanswerable_share": len(right["unanswerable"]) / len(every)}


def train_qa(bert_dir: Path, seed: int = 0, steps: int = QA_STEPS) -> TrainedHead:
    """lab-bert + start/end logits, trained on questions in the training frames about lab paragraphs."""
    started = time.perf_counter()
    tokenizer = _tokenizer(bert_dir)
    with constructing():
        torch.manual_seed(seed)  # the new span head
        model = tf.BertForQuestionAnswering.from_pretrained(bert_dir)
    train, test = qa_examples(QA_TRAIN_EXAMPLES), qa_examples(QA_HELDOUT_EXAMPLES, heldout=True)

    def loss_of(generator: torch.Generator) -> torch.Tensor:
        return model(**_qa_batch(tokenizer, [train[i] for i in _draw(len(train), generator)])).loss

    _fit(model, loss_of, steps, QA_LEARNING_RATE, seed)
    numbers = qa_scores(LoadedModel(LAB_QA, "question-answering", tokenizer, model, 0, str(bert_dir)), test)
    score = HeadScore("exact match", numbers["exact_match"], numbers["unanswerable_share"], len(test), len(train),
                      "questions in held-out frames about lab paragraphs of another seed, a third unanswerable",
                      extra={k: v for k, v in numbers.items() if k != "exact_match"})
    return TrainedHead(LAB_QA, model, tokenizer, score, time.perf_counter() - started, steps, seed)


# ---- summarization: a small Pegasus of its own (`summarizer.py`) ------------------------------------------------

def train_summary_head(bert_dir: Path, seed: int = 0, steps: int = SUMMARY_STEPS) -> TrainedHead:
    """lab-summarizer: gap-sentence pre-training, then summaries of lab paragraphs; `bert_dir` is not used (it has
    its own SentencePiece tokenizer and weights), only the run folder it is added to."""
    trained = train_summarizer(seed=seed, steps=steps)
    numbers = trained.numbers
    score = HeadScore("fact recall", numbers["fact_recall"], numbers["guessing_fact_recall"], int(numbers["paragraphs"]),
                      int(numbers["trained_on"]), "held-out lab paragraphs (another seed, none trained on), greedy summaries",
                      extra={k: numbers[k] for k in ("rouge_l", "all_facts", "validation_fact_recall")})
    return TrainedHead(LAB_SUMMARIZER, trained.model, trained.tokenizer, score, trained.seconds, trained.steps, seed,
                       trained_from="scratch")


# ---- all of them, into a run folder ---------------------------------------------------------------------------

TRAINERS: dict[str, Callable[..., TrainedHead]] = {LAB_SENTIMENT: train_sentiment, LAB_NSP: train_nsp,
                                                   LAB_ELECTRA: train_electra, LAB_QA: train_qa,
                                                   LAB_SUMMARIZER: train_summary_head}


def train_heads(run_dir: Path, names: Sequence[str] = LAB_HEADS, seed: int = 0,
                report: Callable[[TrainedHead], None] | None = None) -> Path:
    """Train the named heads on `run_dir`'s lab-bert and add them to that run folder (manifest and hashes
    updated; each head written whole or not at all). Returns the run folder."""
    unknown = [n for n in names if n not in TRAINERS]
    if unknown:
        raise PlaygroundError(f"Unknown lab head(s) {', '.join(unknown)}; choose from {', '.join(TRAINERS)}.")
    bert_dir = Path(run_dir) / LAB_BERT
    if not (bert_dir / "config.json").is_file():
        raise PlaygroundError(f"{run_dir} has no lab-bert to train heads on; run `python -m playground pretrain`.")
    trained = []
    for name in names:
        head = TRAINERS[name](bert_dir, seed=seed)
        if report is not None:
            report(head)
        trained.append(head)
    return add_heads(Path(run_dir), {h.name: h.model for h in trained}, {h.name: h.tokenizer for h in trained},
                     {h.name: h.info() for h in trained})
