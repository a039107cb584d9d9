"""The tiny models themselves: random weights in the real model classes, with tokenizers trained on the tiny corpus.

torch and transformers are imported at the top: `tiny.py` (which the page imports) reaches this module at call time
as `models.tiny_build` (`playground/models/__init__.py`), only when a tiny build is missing or damaged.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import transformers as tf

from playground.models.construction import constructs
from playground.models.tiny_specs import CORPUS, MAX_POSITIONS, MULTILINGUAL_CORPUS, TINY_SIZES
from playground.models.tokenizer_training import (byte_level_bpe_tokenizer, pegasus_sentencepiece,
                                                  wordpiece_tokenizer, xlm_roberta_sentencepiece)


def _save(model, tokenizer, directory: Path) -> None:
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


@constructs
def build_all(root: Path) -> None:
    """Every tiny model with its tokenizer, saved under `root` (one folder each)."""
    torch.manual_seed(0)
    uncased = wordpiece_tokenizer(lowercase=True, corpus=CORPUS, vocab_size=400, max_length=MAX_POSITIONS)
    bert = tf.BertForPreTraining(tf.BertConfig(vocab_size=len(uncased), **TINY_SIZES["BertConfig"]))
    _save(bert, uncased, root / "tiny-bert")

    gpt_tok = byte_level_bpe_tokenizer(roberta=False, corpus=CORPUS, vocab_size=600)
    gpt = tf.GPT2LMHeadModel(tf.GPT2Config(vocab_size=len(gpt_tok), **TINY_SIZES["GPT2Config"],
                                           bos_token_id=gpt_tok.eos_token_id, eos_token_id=gpt_tok.eos_token_id))
    _save(gpt, gpt_tok, root / "tiny-gpt2")

    distil = TINY_SIZES["DistilBertConfig"]
    sst2 = tf.DistilBertForSequenceClassification(tf.DistilBertConfig(
        vocab_size=len(uncased), id2label={0: "NEGATIVE", 1: "POSITIVE"}, label2id={"NEGATIVE": 0, "POSITIVE": 1},
        **distil))
    _save(sst2, uncased, root / "tiny-distilbert-sst2")

    cased = wordpiece_tokenizer(lowercase=False, corpus=CORPUS, vocab_size=400, max_length=MAX_POSITIONS)
    squad = tf.DistilBertForQuestionAnswering(tf.DistilBertConfig(vocab_size=len(cased), **distil))
    _save(squad, cased, root / "tiny-distilbert-squad")

    rob_tok = byte_level_bpe_tokenizer(roberta=True, corpus=CORPUS, vocab_size=600, max_length=MAX_POSITIONS)
    squad2 = tf.RobertaForQuestionAnswering(tf.RobertaConfig(
        vocab_size=len(rob_tok), pad_token_id=rob_tok.pad_token_id, bos_token_id=rob_tok.bos_token_id,
        eos_token_id=rob_tok.eos_token_id, **TINY_SIZES["RobertaConfig"]))
    _save(squad2, rob_tok, root / "tiny-roberta-squad2")

    peg_dir = root / "tiny-pegasus"
    peg_dir.mkdir(parents=True)
    pegasus_sentencepiece(peg_dir, CORPUS)
    # Like the Hub's google/pegasus-* repos: a SentencePiece model plus a tokenizer config, which
    # transformers converts to a fast tokenizer on load.
    (peg_dir / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PegasusTokenizer", "model_max_length": MAX_POSITIONS}))
    peg_tok = tf.AutoTokenizer.from_pretrained(peg_dir)
    pegasus = tf.PegasusForConditionalGeneration(tf.PegasusConfig(
        vocab_size=len(peg_tok), **TINY_SIZES["PegasusConfig"], pad_token_id=peg_tok.pad_token_id, eos_token_id=peg_tok.eos_token_id,
        decoder_start_token_id=peg_tok.pad_token_id, forced_eos_token_id=peg_tok.eos_token_id))
    _save(pegasus, peg_tok, peg_dir)

    # ELECTRA's released discriminator uses BERT's uncased WordPiece, so BERT can be its generator.
    electra = tf.ElectraForPreTraining(tf.ElectraConfig(vocab_size=len(uncased), **TINY_SIZES["ElectraConfig"]))
    _save(electra, uncased, root / "tiny-electra")

    xlmr_dir = root / "tiny-xlm-roberta"
    xlmr_dir.mkdir(parents=True)
    xlm_roberta_sentencepiece(xlmr_dir, CORPUS + MULTILINGUAL_CORPUS, MAX_POSITIONS)
    xlmr_tok = tf.AutoTokenizer.from_pretrained(xlmr_dir)
    xlmr = tf.XLMRobertaForMaskedLM(tf.XLMRobertaConfig(
        vocab_size=len(xlmr_tok), pad_token_id=xlmr_tok.pad_token_id, bos_token_id=xlmr_tok.bos_token_id,
        eos_token_id=xlmr_tok.eos_token_id, **TINY_SIZES["XLMRobertaConfig"]))
    _save(xlmr, xlmr_tok, xlmr_dir)
