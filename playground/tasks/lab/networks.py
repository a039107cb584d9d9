"""The Pretraining lab's networks: size presets, a small BERT, GPT and LSTM (`lstm.py`) built with tokenizers
trained on the corpus, and a saved run's models loaded back: the LSTM (which the ModelStore does not serve) and a
model's body without its LM head (for fine-tuning).

torch and transformers are imported at the top: the page reaches this module lazily (`lab.networks`, through
`playground/tasks/lab/__init__.py`); the presets are in `settings.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch
import transformers as tf

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.models.construction import constructs
from playground.models.loader import model_nbytes
from playground.models.tokenizer_training import byte_level_bpe_tokenizer, wordpiece_tokenizer
from playground.tasks.lab.lstm import LstmConfig, LstmLanguageModel
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM
from playground.tasks.lab.settings import DEFAULT_PRESET, MAX_POSITIONS, PRESETS, LabPreset, check_preset

__all__ = ["DEFAULT_PRESET", "MAX_POSITIONS", "PRESETS", "LabPreset", "build_models", "build_tokenizers",
           "check_preset", "count_parameters", "language_model_body", "load_lstm"]


def build_tokenizers(corpus: Sequence[str], preset: LabPreset):
    """(WordPiece for BERT, byte-level BPE for GPT and the LSTM), trained on `corpus`."""
    wordpiece = wordpiece_tokenizer(lowercase=True, corpus=corpus, vocab_size=preset.vocab_size,
                                    max_length=MAX_POSITIONS, reproducible=True)
    bpe = byte_level_bpe_tokenizer(roberta=False, corpus=corpus, vocab_size=preset.vocab_size)
    bpe.model_max_length = MAX_POSITIONS
    return wordpiece, bpe


@constructs
def build_models(preset: LabPreset, wordpiece, bpe, seed: int) -> dict[str, Any]:
    """Freshly initialised {lab-bert, lab-gpt, lab-lstm}, the same on every call with the same seed."""
    torch.manual_seed(seed)
    bert = tf.BertForMaskedLM(tf.BertConfig(
        vocab_size=len(wordpiece), hidden_size=preset.hidden, num_hidden_layers=preset.layers,
        num_attention_heads=preset.heads, intermediate_size=4 * preset.hidden, max_position_embeddings=MAX_POSITIONS,
        pad_token_id=wordpiece.pad_token_id, hidden_dropout_prob=preset.dropout, attention_probs_dropout_prob=preset.dropout))
    gpt = tf.GPT2LMHeadModel(tf.GPT2Config(
        vocab_size=len(bpe), n_embd=preset.hidden, n_layer=preset.layers, n_head=preset.heads,
        n_positions=MAX_POSITIONS, bos_token_id=bpe.eos_token_id, eos_token_id=bpe.eos_token_id,
        pad_token_id=bpe.eos_token_id, activation_function="gelu", resid_pdrop=preset.dropout,
        embd_pdrop=preset.dropout, attn_pdrop=preset.dropout))
    lstm = LstmLanguageModel(LstmConfig(vocab_size=len(bpe), embedding_size=preset.hidden,
                                        hidden_size=preset.lstm_hidden, dropout=preset.dropout,
                                        pad_token_id=bpe.eos_token_id))
    return {LAB_BERT: bert, LAB_GPT: gpt, LAB_LSTM: lstm}


def count_parameters(model) -> int:
    seen: set[int] = set()
    return sum(p.numel() for p in model.parameters() if not (id(p) in seen or seen.add(id(p))))


@constructs
def load_lstm(run_dir: Path, name: str = LAB_LSTM):
    """The lab LSTM of a run as a LoadedModel (it is not a transformers class, so the ModelStore does not load it)."""
    directory = Path(run_dir) / name
    try:
        model = LstmLanguageModel.from_pretrained(directory)
        tokenizer = tf.AutoTokenizer.from_pretrained(directory)
    except (OSError, ValueError) as exc:
        raise PlaygroundError(f"The lab LSTM in {directory} cannot be loaded ({exc}). Train the lab models again: "
                              "`python -m playground pretrain`.") from exc
    model.requires_grad_(False)
    return LoadedModel(name=name, task="text-generation", tokenizer=tokenizer, model=model,
                       nbytes=model_nbytes(model), source=str(directory))


@constructs
def language_model_body(run_dir: Path, name: str, pretrained: bool, seed: int = 0):
    """(body, tokenizer, hidden size) of a lab model without its LM head: its pre-trained weights, or the same
    architecture freshly initialised (`pretrained=False`) — the fine-tuning lab's two contenders."""
    directory = Path(run_dir) / name
    tokenizer = tf.AutoTokenizer.from_pretrained(directory)
    if tokenizer.pad_token_id is None:  # GPT-2 style tokenizers have no padding token; the mask hides it anyway
        tokenizer.pad_token = tokenizer.eos_token
    config = tf.AutoConfig.from_pretrained(directory)
    torch.manual_seed(seed)  # from scratch: the same start for the same seed
    if pretrained:
        tf.logging.set_verbosity_error()  # the unused LM head is expected
        body = tf.AutoModel.from_pretrained(directory, config=config)
    else:
        body = tf.AutoModel.from_config(config)
    hidden = getattr(config, "hidden_size", None) or config.n_embd
    return body, tokenizer, hidden
