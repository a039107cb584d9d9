"""Which models spell tokens the same way, known without loading a model: a pair that hands token ids from one
model to the other (ELECTRA's generator → discriminator) works only within one vocabulary.

A local model (the lab's, a built tiny one) is known by its own tokenizer file: the hash of its vocabulary. A Hub
model is known by its card (tokenizer scheme and vocabulary size: every 30,522-piece WordPiece card is BERT's
uncased vocabulary); a tiny model not built yet by the card of the checkpoint it imitates, kept apart from the
real one (its vocabulary is its own, trained here).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from playground.models.cards import CardCatalog
from playground.models.registry import TINY_STAND_INS, card_for


def _file_key(directory: Path) -> str | None:
    """The hash of the vocabulary in `directory/tokenizer.json` (WordPiece, BPE: a dict; unigram: a list)."""
    path = Path(directory) / "tokenizer.json"
    if not path.is_file():
        return None
    try:
        vocab = json.loads(path.read_text(encoding="utf-8")).get("model", {}).get("vocab")
    except (OSError, ValueError):
        return None
    if not vocab:
        return None
    return "file:" + hashlib.sha256(json.dumps(vocab, sort_keys=True).encode()).hexdigest()[:16]


def vocabulary_key(catalog: CardCatalog, local_models: dict[str, Path], name: str) -> str | None:
    """A name for the vocabulary `name` uses: two models with the same key share token ids. None: unknown (a model
    without a card or a local tokenizer file)."""
    if name in local_models:
        key = _file_key(local_models[name])
        if key:
            return key
    card = card_for(catalog, name)
    if card is None or not card.tokenizer or not card.vocab_size:
        return None
    scheme = card.tokenizer.split()[0].strip("(,")
    return ("tiny:" if name in TINY_STAND_INS else "") + f"{scheme}/{card.vocab_size}"


def sharing_vocabulary(catalog: CardCatalog, local_models: dict[str, Path], name: str,
                       candidates: list[str]) -> list[str]:
    """The candidates whose vocabulary is `name`'s, in their order (none when `name`'s is unknown)."""
    key = vocabulary_key(catalog, local_models, name)
    if key is None:
        return []
    return [c for c in candidates if vocabulary_key(catalog, local_models, c) == key]


def tokenizer_scheme(catalog: CardCatalog, local_models: dict[str, Path], name: str) -> str | None:
    """"WordPiece", "byte-level BPE" or "SentencePiece" (the tokenizer view's columns); None: unknown."""
    path = Path(local_models[name]) / "tokenizer.json" if name in local_models else None
    if path is not None and path.is_file():
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            spec = {}
        kind = spec.get("model", {}).get("type")
        if kind == "WordPiece":
            return "WordPiece"
        if kind == "Unigram":
            return "SentencePiece"
        if kind == "BPE":
            return "byte-level BPE" if "ByteLevel" in json.dumps(spec.get("pre_tokenizer")) else "BPE"
    card = card_for(catalog, name)
    text = (card.tokenizer or "").lower() if card else ""
    return ("WordPiece" if text.startswith("wordpiece") else "byte-level BPE" if text.startswith("byte-level") else
            "SentencePiece" if text.startswith("sentencepiece") else None)
