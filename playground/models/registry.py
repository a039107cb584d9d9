"""Every task the playground knows, in one table, and the real checkpoint each tiny model imitates.

Per task: the transformers Auto class that carries its head, the Hub model a tab uses by default and the
tiny stand-ins used offline and in tests. Which other models may serve a task is said by the model cards
(`tasks:` in model_cards/*.md). `tests/test_registry.py` checks that the table, the cards and the tiny
build agree. Adding a task or a model is one entry here (plus its card).
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.models.cards import CardCatalog, ModelCardInfo


@dataclass(frozen=True)
class Task:
    key: str
    auto_class: str | None  # the transformers Auto class with the task's head; None: the tokenizer alone
    default_model: str | None = None  # Hub id a tab uses unless the user picks another
    tiny_models: tuple[str, ...] = ()  # offline stand-ins (TINY_STAND_INS keys), the default first
    loadable: bool = True  # False: a head the variant chooser only measures; no tab runs it, no card lists it


TASKS: dict[str, Task] = {t.key: t for t in (
    Task("fill-mask", "AutoModelForMaskedLM", "bert-base-uncased", ("tiny-bert", "tiny-xlm-roberta")),
    Task("text-generation", "AutoModelForCausalLM", "gpt2", ("tiny-gpt2",)),
    # BertForPreTraining carries the next-sentence head.
    Task("nsp", "AutoModelForPreTraining", "bert-base-uncased", ("tiny-bert",)),
    Task("sentiment", "AutoModelForSequenceClassification", "distilbert-base-uncased-finetuned-sst-2-english",
         ("tiny-distilbert-sst2",)),
    Task("question-answering", "AutoModelForQuestionAnswering", "distilbert-base-cased-distilled-squad",
         ("tiny-distilbert-squad", "tiny-roberta-squad2")),
    Task("summarization", "AutoModelForSeq2SeqLM", "google/pegasus-xsum", ("tiny-pegasus",)),
    # ElectraForPreTraining carries the discriminator's head: one "replaced?" logit per token.
    Task("replaced-token-detection", "AutoModelForPreTraining", "google/electra-small-discriminator",
         ("tiny-electra",)),
    Task("tokenizer-only", None),
    Task("classification", "AutoModelForSequenceClassification", loadable=False),
)}

# Tasks the model store loads checkpoints for, and the only tasks a card may list.
LOADABLE_TASKS = tuple(key for key, task in TASKS.items() if task.loadable)
# Tasks whose head can be built on a model (the chooser's heads, measured by `measure.py`).
HEADS = tuple(key for key, task in TASKS.items() if task.auto_class)

# Each tiny model (built by `tiny.py`, random weights) -> the Hub checkpoint it imitates: same architecture
# and tokenizer family, so it is described by that checkpoint's card — which is also how the QA tab knows
# whether a tiny model plays a SQuAD 1.1 or a SQuAD 2.0 model.
TINY_STAND_INS = {
    "tiny-bert": "bert-base-uncased",
    "tiny-gpt2": "gpt2",
    "tiny-distilbert-sst2": "distilbert-base-uncased-finetuned-sst-2-english",
    "tiny-distilbert-squad": "distilbert-base-cased-distilled-squad",
    "tiny-roberta-squad2": "deepset/roberta-base-squad2",
    "tiny-pegasus": "google/pegasus-xsum",
    "tiny-electra": "google/electra-small-discriminator",
    "tiny-xlm-roberta": "xlm-roberta-base",
}


# Each lab head (trained here on the lab world, `playground/tasks/lab/heads.py`) -> the real checkpoint whose job
# it does: the tab shows that checkpoint's card numbers next to the lab head's own held-out score.
LAB_STAND_INS = {
    "lab-sentiment": "distilbert-base-uncased-finetuned-sst-2-english",
    "lab-nsp": "bert-base-uncased",
    "lab-electra": "google/electra-small-discriminator",
    "lab-qa": "deepset/roberta-base-squad2",  # SQuAD 2.0: it also says "no answer"
    "lab-summarizer": "google/pegasus-xsum",  # a Pegasus too: SentencePiece, gap-sentence pre-training
}


def card_for(catalog: CardCatalog, name: str) -> ModelCardInfo | None:
    """The card of `name`, or of the checkpoint a tiny model or a lab head stands in for; None for unlisted models."""
    return catalog.by_hub_id(TINY_STAND_INS.get(name, LAB_STAND_INS.get(name, name)))
