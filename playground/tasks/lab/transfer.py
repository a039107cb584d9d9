"""How a classifier is trained on a language model's body — the fine-tuning lab's recipes (torch at import: the
lab's light modules reach this one lazily, as `playground.tasks.lab.transfer`).

    full     every weight trained at one learning rate (the classic recipe)
    frozen   the body frozen, only a linear head trained on its pooled vectors (computer vision's "freeze the
             features"): the body's weights stay bit-identical
    gradual  ULMFiT's gradual unfreezing with discriminative learning rates: the head first, then one more layer
             group from the top every `steps / groups` steps (top layer, …, embeddings last); a group `k` below
             the head learns at `learning_rate / 2.6**k`

ULMFiT's three stages are pre-training (the lab run), unsupervised (language-model) fine-tuning on the target
domain's unlabelled text (`lm_finetune`: the same objective the model was pre-trained with, on the review
sentences without their labels), then supervised fine-tuning with gradual unfreezing.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
import transformers as tf
from accelerate import Accelerator
from torch import nn

from playground.core.errors import PlaygroundError
from playground.core.tokens import padded_batch
from playground.lm.objectives import PooledClassifier
from playground.lm.training import (MASKED, Objective, TrainSettings, hold_training_threads, mask_for_mlm,
                                     release_training_threads)
from playground.models.construction import constructing, constructs
from playground.tasks.lab.corpus import LabelledSentence
from playground.tasks.lab.lstm import LstmLanguageModel
from playground.tasks.lab.networks import language_model_body, load_lstm
from playground.tasks.lab.runs import LAB_BERT, LAB_LSTM

RECIPES = ("full", "frozen", "gradual")
DISCRIMINATIVE_FACTOR = 2.6  # ULMFiT's ratio between the learning rates of neighbouring layer groups
LM_BATCH = 32


class BudgetReached(Exception):
    """A time budget ran out (between two steps)."""


@dataclass
class BodyOutput:
    last_hidden_state: torch.Tensor


class LstmBody(nn.Module):
    """The lab LSTM without its output layer: one hidden vector per token, like a transformer body."""

    def __init__(self, language_model: LstmLanguageModel) -> None:
        super().__init__()
        self.config = language_model.config
        self.embedding = language_model.embedding
        self.lstm = language_model.lstm

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> BodyOutput:
        hidden, _ = self.lstm(self.embedding(input_ids))
        return BodyOutput(last_hidden_state=hidden)


def _tokenizer_with_padding(tokenizer):
    if tokenizer.pad_token_id is None:  # GPT-2 style tokenizers have none; the attention mask hides it anyway
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


@constructs
def lab_body(run_dir: Path, name: str, pretrained: bool, seed: int = 0):
    """(body, tokenizer, hidden size): a lab model without its LM head, pre-trained or freshly initialised."""
    if name != LAB_LSTM:
        return language_model_body(run_dir, name, pretrained, seed=seed)
    loaded = load_lstm(run_dir, name)
    language_model = loaded.model
    if not pretrained:
        torch.manual_seed(seed)  # from scratch: the same start for the same seed
        language_model = LstmLanguageModel(loaded.model.config)
    body = LstmBody(language_model).requires_grad_(True)
    return body, _tokenizer_with_padding(loaded.tokenizer), language_model.config.hidden_size


def layer_groups(body: nn.Module) -> list[list[nn.Parameter]]:
    """The body's parameters in layer groups, bottom (embeddings) to top; parameters no pooling reads (BERT's
    pooler) are left out. Unknown bodies are one group."""
    if isinstance(body, LstmBody):
        return [list(body.embedding.parameters()), list(body.lstm.parameters())]
    if hasattr(body, "embeddings") and hasattr(body, "encoder"):  # BERT
        return [list(body.embeddings.parameters())] + [list(layer.parameters()) for layer in body.encoder.layer]
    if hasattr(body, "embeddings") and hasattr(body, "transformer"):  # DistilBERT
        return [list(body.embeddings.parameters())] + [list(layer.parameters()) for layer in body.transformer.layer]
    if hasattr(body, "h") and hasattr(body, "wte"):  # GPT-2: the final layer norm belongs to the top block
        groups = [list(body.wte.parameters()) + list(body.wpe.parameters())] + [list(b.parameters()) for b in body.h]
        groups[-1] += list(body.ln_f.parameters())
        return groups
    return [list(body.parameters())]


def unfreeze_steps(groups: int, steps: int) -> list[int]:
    """The step at which each group starts training, top down: the head (index 0) at step 0, then the top body
    group, …, the embeddings last; equal phases (ULMFiT unfreezes one group per epoch)."""
    return [round(k * steps / (groups + 1)) for k in range(groups + 1)]


def encode(tokenizer, texts: list[str], device, max_tokens: int = 512) -> dict:
    """A padded batch, each row cut to `max_tokens` here, per call: asking the tokenizer to truncate or pad would
    set that state on its Rust backend, which the model store shares with every other request."""
    keeps_last = tokenizer.num_special_tokens_to_add() > 0  # an encoder's closing [SEP] survives the cut
    rows = []
    for row in tokenizer(texts)["input_ids"]:
        if len(row) > max_tokens:
            row = row[:max_tokens - 1] + row[-1:] if keeps_last else row[:max_tokens]
        rows.append(row)
    ids, mask = padded_batch(rows, tokenizer.pad_token_id)
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


def max_tokens(body) -> int:
    """The longest input the body's position embeddings allow (a user's line may be longer)."""
    config = body.config
    return int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None) or 512)


def _param_groups(model: PooledClassifier, recipe: str, learning_rate: float) -> tuple[list[dict], list[list]]:
    """Optimiser groups and the top-down unfreezing order (head first) for `recipe`."""
    head = list(model.head.parameters())
    if recipe == "frozen":
        model.body.requires_grad_(False)
        return [{"params": head, "lr": learning_rate}], [head]
    if recipe == "full":
        return [{"params": list(model.parameters()), "lr": learning_rate}], [list(model.parameters())]
    top_down = [head] + layer_groups(model.body)[::-1]
    model.body.requires_grad_(False)
    return ([{"params": group, "lr": learning_rate / DISCRIMINATIVE_FACTOR ** k} for k, group in enumerate(top_down)],
            top_down)


def train_and_score(body, tokenizer, hidden: int, pooling: str, train: Sequence[LabelledSentence],
                    test: Sequence[LabelledSentence], steps: int, learning_rate: float, seed: int,
                    recipe: str = "full", deadline: float | None = None, release: bool = False,
                    on_unfreeze: Callable[[int, int], None] | None = None) -> float:
    """Train a linear head (and, by `recipe`, the body) on `train`; accuracy on `test`."""
    if recipe not in RECIPES:
        raise PlaygroundError(f"Unknown fine-tuning recipe '{recipe}'. Choose one of: {', '.join(RECIPES)}.")
    with constructing():  # a new layer: its init functions are what a concurrent load patches
        torch.manual_seed(seed + 1)  # the new head starts the same for both contenders
        model = PooledClassifier(body, hidden, pooling=pooling)
    limit = max_tokens(body)
    accelerator = Accelerator()
    threads = hold_training_threads(TrainSettings().cpu_threads, accelerator.device.type)
    try:
        groups, top_down = _param_groups(model, recipe, learning_rate)
        starts = unfreeze_steps(len(top_down) - 1, steps) if recipe == "gradual" else [0]
        optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
        model, optimizer = accelerator.prepare(model, optimizer)
        generator = torch.Generator().manual_seed(seed)
        batch_size = min(16, len(train))
        texts, labels = [e.text for e in train], torch.tensor([e.label for e in train])
        model.train()
        for step in range(steps):
            if deadline is not None and time.perf_counter() > deadline:
                raise BudgetReached
            for index, start in enumerate(starts):
                if start == step and recipe == "gradual":
                    for p in top_down[index]:
                        p.requires_grad_(True)
                    if on_unfreeze:
                        on_unfreeze(step, index)
            order = torch.randperm(len(train), generator=generator)[:batch_size]
            enc = encode(tokenizer, [texts[i] for i in order], accelerator.device, limit)
            loss = model(**enc, labels=labels[order].to(accelerator.device)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return accuracy(model, tokenizer, test, accelerator.device, limit)
    finally:
        # free_memory's full garbage collection costs more than a small lab run itself on the CPU; it matters
        # for an accelerator's cache and for a large checkpoint's copy, so those get it.
        if release or accelerator.device.type != "cpu":
            accelerator.free_memory()
        release_training_threads(threads)


def accuracy(model, tokenizer, test: Sequence[LabelledSentence], device, limit: int = 512) -> float:
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, len(test), 64):
            chunk = test[start:start + 64]
            enc = encode(tokenizer, [e.text for e in chunk], device, limit)
            predicted = model(**enc).logits.argmax(-1).cpu()
            correct += int((predicted == torch.tensor([e.label for e in chunk])).sum())
    return correct / len(test)


# ---- ULMFiT's second stage: unsupervised (language-model) fine-tuning on the target domain --------------------

@constructs
def _language_model(run_dir: Path, name: str):
    directory = Path(run_dir) / name
    if name == LAB_LSTM:
        loaded = load_lstm(run_dir, name)
        return loaded.model.requires_grad_(True), _tokenizer_with_padding(loaded.tokenizer)
    tokenizer = _tokenizer_with_padding(tf.AutoTokenizer.from_pretrained(directory))
    auto = tf.AutoModelForMaskedLM if name == LAB_BERT else tf.AutoModelForCausalLM
    return auto.from_pretrained(directory), tokenizer


def lm_finetune(run_dir: Path, name: str, texts: Sequence[str], steps: int, learning_rate: float, seed: int):
    """(body, tokenizer, hidden size) after `steps` steps of the model's own pre-training objective (masked or
    next token) on `texts` — unlabelled target-domain text — starting from the pre-trained weights."""
    model, tokenizer = _language_model(run_dir, name)
    masked = name == LAB_BERT
    objective = Objective(name, MASKED, model, None, None, pad_id=tokenizer.pad_token_id,
                          mask_id=tokenizer.mask_token_id, special_ids=tuple(tokenizer.all_special_ids),
                          replacement_ids=tuple(sorted(set(range(len(tokenizer))) - set(tokenizer.all_special_ids))),
                          ) if masked else None
    accelerator = Accelerator()
    threads = hold_training_threads(TrainSettings().cpu_threads, accelerator.device.type)
    try:
        optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.01)
        model, optimizer = accelerator.prepare(model, optimizer)
        generator = torch.Generator().manual_seed(seed)
        model.train()
        for _ in range(steps):
            order = torch.randperm(len(texts), generator=generator)[:LM_BATCH]
            enc = encode(tokenizer, [texts[i] for i in order], "cpu")
            if masked:
                input_ids, labels = mask_for_mlm(enc["input_ids"], enc["attention_mask"], objective, generator)
            else:
                input_ids, labels = enc["input_ids"], enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
            loss = model(input_ids=input_ids.to(accelerator.device), attention_mask=enc["attention_mask"].to(
                accelerator.device), labels=labels.to(accelerator.device)).loss
            accelerator.backward(loss)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    finally:
        release_training_threads(threads)
    model = accelerator.unwrap_model(model).eval()
    if name == LAB_LSTM:
        with constructing():
            return LstmBody(model), tokenizer, model.config.hidden_size
    body = model.bert if masked else model.transformer
    hidden = getattr(body.config, "hidden_size", None) or body.config.n_embd
    return body, tokenizer, int(hidden)


def copied(body):
    """A private copy of a body (the ULMFiT stage-2 body is reused by every size of one repeat)."""
    with constructing():
        return copy.deepcopy(body)

