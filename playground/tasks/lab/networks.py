"""The Pretraining lab's networks: size presets, a small BERT, GPT and LSTM (`lstm.py`) built with tokenizers
trained on the corpus, and a saved run's models loaded back: the LSTM (which the ModelStore does not serve) and a
model's body without its LM head (for fine-tuning).

Nothing here imports torch or transformers at module import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.models.construction import constructs
from playground.models.loader import model_nbytes
from playground.models.tokenizer_training import byte_level_bpe_tokenizer, wordpiece_tokenizer
from playground.tasks.lab.runs import LAB_BERT, LAB_GPT, LAB_LSTM


@dataclass(frozen=True)
class LabPreset:
    """Model sizes (all three get about the same number of parameters) and the batch size."""

    name: str
    hidden: int
    layers: int
    heads: int
    lstm_hidden: int
    vocab_size: int
    batch_size: int
    description: str
    dropout: float = 0.0  # off by default: it costs ~15 % of a step, and the held-out frames test generalisation


PRESETS: dict[str, LabPreset] = {
    "tiny": LabPreset("tiny", hidden=32, layers=1, heads=2, lstm_hidden=64, vocab_size=1000, batch_size=8,
                      description="seconds; for tests and a first look (learns little)"),
    "small": LabPreset("small", hidden=64, layers=2, heads=4, lstm_hidden=128, vocab_size=1600, batch_size=48,
                       description="the default: about 2½ minutes for all three on 2 CPU cores"),
    "medium": LabPreset("medium", hidden=128, layers=3, heads=4, lstm_hidden=256, vocab_size=2000, batch_size=32,
                        description="about 3× the default's time; learns more per step"),
}
DEFAULT_PRESET = "small"
MAX_POSITIONS = 128  # position embeddings of the lab BERT and GPT: sequence length setting ≤ this


def check_preset(name: str) -> LabPreset:
    if name not in PRESETS:
        raise PlaygroundError(f"Unknown model size '{name}'. Choose one of: {', '.join(PRESETS)}.")
    return PRESETS[name]


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
    import torch  # heavy: deferred from start-up
    import transformers as tf  # heavy: deferred from start-up

    from playground.tasks.lab.lstm import LstmConfig, LstmLanguageModel  # torch at import: imported lazily

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
    from transformers import AutoTokenizer  # heavy: deferred from start-up

    from playground.tasks.lab.lstm import LstmLanguageModel  # torch at import: imported lazily

    directory = Path(run_dir) / name
    try:
        model = LstmLanguageModel.from_pretrained(directory)
        tokenizer = AutoTokenizer.from_pretrained(directory)
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
    import torch  # heavy: deferred from start-up
    import transformers as tf  # heavy: deferred from start-up

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
