"""Tiny models with random weights and real tokenizers trained here, for tests and offline demos.

`build_tiny_models()` writes BERT, GPT-2, DistilBERT (sentiment, cased QA), RoBERTa (SQuAD 2.0 style
QA) and Pegasus checkpoints, each with a tokenizer trained on a small built-in corpus with
`tokenizers` / `sentencepiece`, into a cache directory — in well under a second — and returns
{name: directory}. Their predictions are noise; their shapes, tokenizers and code paths are real.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

TINY_VERSION = "v1"
TINY_LABEL = "tiny untrained models — predictions are noise; run with the default models for real ones"
MAX_POSITIONS = 64

CORPUS = [
    "Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas.",
    "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.",
    "I am a data scientist who loves to work with ML, DL and NLP, and I know how to design a data pipeline.",
    "BERT reads the whole sentence at once and predicts the masked words from both sides.",
    "GPT predicts the next word from the words on its left, one token at a time.",
    "The movie was wonderful, the acting was great and I loved every minute of it.",
    "The food was terrible, the service was slow and I will never go back.",
    "Paris is the capital of France. The cat sat on the mat. Machine learning models learn from data.",
    "Question answering models find the answer span inside a context paragraph.",
    "Pegasus is trained to generate the gap sentences that were removed from a document.",
    "Transformers use attention to let every token look at other tokens in the sequence.",
    "Who founded Tesla? Where is it headquartered? What does the company make?",
    "She walked to the store, bought some bread and milk, and then went home happily.",
    "Language models are unsupervised multitask learners trained on large amounts of text.",
    "unbelievable tokenization playground encoder decoder bidirectional autoregressive",
]

WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def default_tiny_dir() -> Path:
    root = os.environ.get("PLAYGROUND_TINY_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "bert-gpt-playground"
    )
    return Path(root) / f"tiny-{TINY_VERSION}"


TINY_NAMES = (
    "tiny-bert", "tiny-gpt2", "tiny-distilbert-sst2", "tiny-distilbert-squad",
    "tiny-roberta-squad2", "tiny-pegasus",
)


def build_tiny_models(target: Path | None = None) -> dict[str, Path]:
    """Build (once) and return {name: checkpoint directory} for every tiny model."""
    target = Path(target) if target else default_tiny_dir()
    if not (target / "COMPLETE").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tiny-", dir=target.parent))
        try:
            _build_all(staging)
            (staging / "COMPLETE").write_text(TINY_VERSION)
            try:
                staging.rename(target)  # atomic: concurrent builders cannot see half a build
            except OSError:
                if not (target / "COMPLETE").exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return {name: target / name for name in TINY_NAMES}


# ---- tokenizers --------------------------------------------------------------------------

def wordpiece_tokenizer(lowercase: bool, corpus: Sequence[str] = CORPUS, vocab_size: int = 400,
                        max_length: int = MAX_POSITIONS, reproducible: bool = False):
    """A BERT WordPiece tokenizer trained on `corpus` ([CLS] A [SEP] B [SEP] template, BERT's specials).

    `reproducible=True` (the Pretraining lab) makes the same corpus always give the same vocabulary and ids;
    without it the trainer's hash-map order varies between runs (harmless for the tiny models, whose
    weights are noise anyway, and their tests are calibrated on that trainer's usual output).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = list(WORDPIECE_SPECIALS)
    if reproducible:
        # The trainer numbers the "##x" pieces in hash-map order, which decides ties between merges; listing a
        # "##x" for every character up front, sorted (on top of `vocab_size`), fixes the vocabulary.
        characters = sorted({ch for text in corpus for ch in normalizer.normalize_str(text) if not ch.isspace()})
        specials += [f"##{ch}" for ch in characters]
        vocab_size += len(characters)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                              show_progress=False))
    if reproducible:  # a fresh model with that vocabulary, renumbered: specials first, then alphabetical
        pieces = sorted(set(tok.get_vocab()) - set(WORDPIECE_SPECIALS))
        tok = Tokenizer(models.WordPiece({p: i for i, p in enumerate(WORDPIECE_SPECIALS + pieces)},
                                         unk_token="[UNK]"))
        tok.normalizer = normalizer
        tok.pre_tokenizer = pre_tokenizer
        tok.decoder = decoders.WordPiece()
        tok.add_special_tokens(WORDPIECE_SPECIALS)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return BertTokenizerFast(
        tokenizer_object=tok, do_lower_case=lowercase, model_max_length=max_length,
        unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]",
    )


def byte_level_bpe_tokenizer(roberta: bool, corpus: Sequence[str] = CORPUS, vocab_size: int = 600):
    """A GPT-2 (or RoBERTa) byte-level BPE tokenizer trained on `corpus`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import GPT2TokenizerFast, RobertaTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"] if roberta else ["<|endoftext|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    ))
    if roberta:
        tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")))
        return RobertaTokenizerFast(tokenizer_object=tok, model_max_length=MAX_POSITIONS, bos_token="<s>",
                                    eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                    pad_token="<pad>", mask_token="<mask>")
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return GPT2TokenizerFast(tokenizer_object=tok, model_max_length=1024, bos_token="<|endoftext|>",
                             eos_token="<|endoftext|>", unk_token="<|endoftext|>")


def _sentencepiece_model(directory: Path) -> Path:
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS * 4), model_writer=buffer, vocab_size=300, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, minloglevel=2,
        hard_vocab_limit=False,
    )
    path = directory / "spiece.model"
    path.write_bytes(buffer.getvalue())
    return path


# ---- models ------------------------------------------------------------------------------

def _save(model, tokenizer, directory: Path) -> None:
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def _build_all(root: Path) -> None:
    import torch
    import transformers as tf

    torch.manual_seed(0)
    small = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                 max_position_embeddings=MAX_POSITIONS)

    uncased = wordpiece_tokenizer(lowercase=True)
    bert = tf.BertForPreTraining(tf.BertConfig(vocab_size=len(uncased), **small))
    _save(bert, uncased, root / "tiny-bert")

    gpt_tok = byte_level_bpe_tokenizer(roberta=False)
    gpt = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=len(gpt_tok), n_embd=32, n_layer=2, n_head=2,
                                           n_positions=MAX_POSITIONS, bos_token_id=gpt_tok.eos_token_id,
                                           eos_token_id=gpt_tok.eos_token_id))
    _save(gpt, gpt_tok, root / "tiny-gpt2")

    distil = dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=MAX_POSITIONS)
    sst2 = tf.DistilBertForSequenceClassification(tf.DistilBertConfig(
        vocab_size=len(uncased), id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
        **distil))
    _save(sst2, uncased, root / "tiny-distilbert-sst2")

    cased = wordpiece_tokenizer(lowercase=False)
    squad = tf.DistilBertForQuestionAnswering(tf.DistilBertConfig(vocab_size=len(cased), **distil))
    _save(squad, cased, root / "tiny-distilbert-squad")

    rob_tok = byte_level_bpe_tokenizer(roberta=True)
    rob_cfg = dict(small, max_position_embeddings=MAX_POSITIONS + 2)
    squad2 = tf.RobertaForQuestionAnswering(tf.RobertaConfig(
        vocab_size=len(rob_tok), pad_token_id=rob_tok.pad_token_id, bos_token_id=rob_tok.bos_token_id,
        eos_token_id=rob_tok.eos_token_id, **rob_cfg))
    _save(squad2, rob_tok, root / "tiny-roberta-squad2")

    peg_dir = root / "tiny-pegasus"
    peg_dir.mkdir(parents=True)
    _sentencepiece_model(peg_dir)
    # Like the Hub's google/pegasus-* repos: a SentencePiece model plus a tokenizer config, which
    # transformers converts to a fast tokenizer on load.
    (peg_dir / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PegasusTokenizer", "model_max_length": MAX_POSITIONS}))
    peg_tok = tf.AutoTokenizer.from_pretrained(peg_dir)
    pegasus = tf.PegasusForConditionalGeneration(tf.PegasusConfig(
        vocab_size=len(peg_tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=MAX_POSITIONS,
        pad_token_id=peg_tok.pad_token_id, eos_token_id=peg_tok.eos_token_id,
        decoder_start_token_id=peg_tok.pad_token_id, forced_eos_token_id=peg_tok.eos_token_id))
    _save(pegasus, peg_tok, peg_dir)
