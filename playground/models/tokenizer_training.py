"""Training real tokenizers on a corpus: BERT's WordPiece, GPT-2's / RoBERTa's byte-level BPE, and unigram
SentencePiece models laid out like the Hub's Pegasus and XLM-RoBERTa. The tiny models (`tiny.py`) train them on
their small built-in corpus; the Pretraining lab on the corpus it trains its models on.

`tokenizers`, `sentencepiece` and `transformers` are imported at the top: only the tiny build (`tiny_build.py`) and
the lab's networks import this module, and the page reaches both lazily.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Sequence

import sentencepiece as spm
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizerFast, GPT2TokenizerFast, RobertaTokenizerFast

from playground.models.construction import constructs

WORDPIECE_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
GPT2_MAX_LENGTH = 1024  # GPT-2's context: the byte-level BPE tokenizer's model_max_length unless told otherwise


@constructs
def wordpiece_tokenizer(lowercase: bool, corpus: Sequence[str], vocab_size: int, max_length: int,
                        reproducible: bool = False):
    """A BERT WordPiece tokenizer trained on `corpus` ([CLS] A [SEP] B [SEP] template, BERT's specials).

    `reproducible=True` (the Pretraining lab) makes the same corpus always give the same vocabulary and ids;
    without it the trainer's hash-map order varies between runs (harmless for the tiny models, whose
    weights are noise anyway, and their tests are calibrated on that trainer's usual output).
    """
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


@constructs
def byte_level_bpe_tokenizer(roberta: bool, corpus: Sequence[str], vocab_size: int,
                             max_length: int = GPT2_MAX_LENGTH):
    """A GPT-2 (or RoBERTa) byte-level BPE tokenizer trained on `corpus`, for inputs up to `max_length` tokens."""
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
        return RobertaTokenizerFast(tokenizer_object=tok, model_max_length=max_length, bos_token="<s>",
                                    eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                    pad_token="<pad>", mask_token="<mask>")
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return GPT2TokenizerFast(tokenizer_object=tok, model_max_length=max_length, bos_token="<|endoftext|>",
                             eos_token="<|endoftext|>", unk_token="<|endoftext|>")


def pegasus_sentencepiece(directory: Path, corpus: Sequence[str], vocab_size: int = 300) -> Path:
    """A unigram SentencePiece model trained on `corpus`, written as `spiece.model` like the Hub's google/pegasus-*
    (`vocab_size` pieces at most: fewer when the corpus has fewer)."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(corpus) * 4), model_writer=buffer, vocab_size=vocab_size, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0, minloglevel=2,
        hard_vocab_limit=False,
    )
    path = directory / "spiece.model"
    path.write_bytes(buffer.getvalue())
    return path


def xlm_roberta_sentencepiece(directory: Path, corpus: Sequence[str], max_length: int) -> None:
    """A multilingual unigram SentencePiece model laid out like the Hub's xlm-roberta-base (the fairseq ids
    <s> <pad> </s> <unk> first, <mask> last are added by transformers when it converts the model)."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(corpus) * 4), model_writer=buffer, vocab_size=400,
        model_type="unigram", unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0, minloglevel=2,
        hard_vocab_limit=False,
    )
    (directory / "sentencepiece.bpe.model").write_bytes(buffer.getvalue())
    (directory / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": max_length}))
