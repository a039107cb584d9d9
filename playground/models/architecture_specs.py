"""The real hyper-parameters of every runnable model (copied from each checkpoint's `config.json` on the Hub), and the
Auto class to build for a head: data only, without torch or transformers (`architectures.py` builds from them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from playground.core.errors import PlaygroundError
from playground.models import registry
from playground.models.tiny_specs import TINY_SIZES

# Tiny twins (tests, the app's tiny mode, where measuring full-size models would be pointless): the real
# config with tiny.TINY_SIZES and a small vocabulary of random ids, in which GPT-2's start/end id must fit.
_TINY_VOCAB = 512
_TINY_SPECIAL_IDS = {"GPT2Config": dict(bos_token_id=_TINY_VOCAB - 1, eos_token_id=_TINY_VOCAB - 1)}


@dataclass(frozen=True)
class ArchitectureSpec:
    hub_id: str
    config_class: str  # transformers class name, e.g. "BertConfig"
    auto_class: str  # the Auto class of the released checkpoint (its `architectures` entry)
    config: Mapping[str, Any] = field(default_factory=dict)  # non-default fields of the Hub config.json

    def kwargs(self, tiny: bool = False) -> dict[str, Any]:
        values = dict(self.config)
        if tiny:
            values.update(TINY_SIZES[self.config_class], vocab_size=_TINY_VOCAB,
                          **_TINY_SPECIAL_IDS.get(self.config_class, {}))
        return values


_BERT_LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
_ROBERTA_BASE = dict(vocab_size=50265, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                     pad_token_id=1, bos_token_id=0, eos_token_id=2)
_PEGASUS_LARGE = dict(vocab_size=96103, d_model=1024, encoder_layers=16, decoder_layers=16,
                      encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                      decoder_ffn_dim=4096, activation_function="relu", scale_embedding=True,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)

SPECS: dict[str, ArchitectureSpec] = {s.hub_id: s for s in (
    # BertConfig() defaults are bert-base-uncased: 12 x 768, 12 heads, FFN 3072, vocab 30522, 512 positions.
    ArchitectureSpec("bert-base-uncased", "BertConfig", "AutoModelForMaskedLM"),
    ArchitectureSpec("bert-large-uncased", "BertConfig", "AutoModelForMaskedLM", _BERT_LARGE),
    # DistilBertConfig() defaults are distilbert-base-uncased: 6 x 768, 12 heads, FFN 3072.
    ArchitectureSpec("distilbert-base-uncased", "DistilBertConfig", "AutoModelForMaskedLM"),
    ArchitectureSpec("distilbert-base-uncased-finetuned-sst-2-english", "DistilBertConfig",
                     "AutoModelForSequenceClassification",
                     dict(id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1})),
    ArchitectureSpec("distilbert-base-cased-distilled-squad", "DistilBertConfig", "AutoModelForQuestionAnswering",
                     dict(vocab_size=28996)),
    # ALBERT v2: 128-dim factorised embeddings, one set of layer weights shared by all 12 layers.
    ArchitectureSpec("albert-base-v2", "AlbertConfig", "AutoModelForMaskedLM",
                     dict(vocab_size=30000, embedding_size=128, hidden_size=768, num_hidden_layers=12,
                          num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512,
                          hidden_act="gelu_new", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)),
    ArchitectureSpec("roberta-base", "RobertaConfig", "AutoModelForMaskedLM", _ROBERTA_BASE),
    ArchitectureSpec("deepset/roberta-base-squad2", "RobertaConfig", "AutoModelForQuestionAnswering", _ROBERTA_BASE),
    # XLM-R base: RoBERTa base's shape with a 250,002-piece SentencePiece vocabulary shared by 100 languages.
    ArchitectureSpec("xlm-roberta-base", "XLMRobertaConfig", "AutoModelForMaskedLM",
                     dict(_ROBERTA_BASE, vocab_size=250002)),
    ArchitectureSpec("google/electra-small-discriminator", "ElectraConfig", "AutoModelForPreTraining",
                     dict(embedding_size=128, hidden_size=256, num_hidden_layers=12, num_attention_heads=4,
                          intermediate_size=1024, vocab_size=30522, max_position_embeddings=512)),
    ArchitectureSpec("huawei-noah/TinyBERT_General_4L_312D", "BertConfig", "AutoModel",
                     dict(hidden_size=312, num_hidden_layers=4, num_attention_heads=12, intermediate_size=1200)),
    # GPT2Config() defaults are gpt2 (124M): 12 x 768, 12 heads, 1024 positions, vocab 50257.
    ArchitectureSpec("gpt2", "GPT2Config", "AutoModelForCausalLM"),
    ArchitectureSpec("gpt2-medium", "GPT2Config", "AutoModelForCausalLM", dict(n_embd=1024, n_layer=24, n_head=16)),
    ArchitectureSpec("google/pegasus-xsum", "PegasusConfig", "AutoModelForSeq2SeqLM",
                     dict(_PEGASUS_LARGE, max_position_embeddings=512)),
    ArchitectureSpec("google/pegasus-cnn_dailymail", "PegasusConfig", "AutoModelForSeq2SeqLM",
                     dict(_PEGASUS_LARGE, max_position_embeddings=1024)),
)}


def spec_for(hub_id: str) -> ArchitectureSpec:
    spec = SPECS.get(hub_id)
    if spec is None:
        raise PlaygroundError(f"No architecture is recorded for '{hub_id}'. Measurable models: "
                              f"{', '.join(sorted(SPECS))}.")
    return spec


def auto_class_name(hub_id: str, head: str | None = None) -> str:
    """The Auto class to build: the checkpoint's own, or the one carrying `head` (a registry.HEADS task)."""
    if head is None:
        return spec_for(hub_id).auto_class
    if head not in registry.HEADS:
        raise PlaygroundError(f"Unknown head '{head}'. Choose one of: {', '.join(registry.HEADS)}.")
    return registry.TASKS[head].auto_class
