"""The same text through the tokenizers — BERT's WordPiece, GPT-2's byte-level BPE, Pegasus' unigram model
(trained with the SentencePiece toolkit) and, for other scripts, XLM-R's multilingual one — with facts derived
from the actual tokenization (not static prose): what the tokenizer's normaliser did to the text, what became
unknown, what was lower-cased, what happened to spaces, emoji and non-Latin scripts, and whether decoding
gives the text back.

The text is tokenized exactly as typed: leading, trailing and repeated spaces, tabs and newlines reach the
tokenizers (byte-level BPE turns each into pieces of its own); only control characters other than those,
invalid Unicode and text past `MAX_COMPARE_CHARS` are removed, and a notice says so.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Sequence

from playground.core.errors import ModelUnavailable, PlaygroundError, unavailable
from playground.core.types import LoadedModel
from playground.core.text_input import clean_text
from playground.core.tokens import WORD, WORD_PATTERN, Token, tokenize
from playground.models.vocabularies import tokenizer_scheme
from playground.tasks.context import AppContext
from playground.tasks.multilingual import WHOLE

MAX_COMPARE_CHARS = 1000  # three token strips of a paragraph stay readable
TOPICS = ("normalisation", "special tokens", "unknown words", "casing", "spaces", "emoji", "scripts", "round trip", "length")
EXAMPLES = (
    "Tokenizers aren't trivial: BERT, GPT-2 and Pegasus split 'unbelievable' differently 🤗",
    "I am a data scientist who loves to work with ML, DL and NLP, and I know how to design a data pipeline",
    "Café   naïve  résumé — 東京 2024!!",
    WHOLE["Hindi"],
    " ".join(WHOLE.values()),
)


@dataclass(frozen=True)
class TokenizerView:
    model_name: str
    scheme: str  # "WordPiece" | "byte-level BPE" | "SentencePiece"
    tokens: tuple[Token, ...]  # pieces, ids, kinds and character offsets, special tokens included
    normalized: str  # the text after the tokenizer's own normaliser (lower-casing, accent stripping, …)
    token_count: int
    text_token_count: int  # without the special tokens the tokenizer adds
    special_tokens_added: tuple[str, ...]
    unknown_count: int
    tokens_per_word: float
    decoded: str  # the text's tokens decoded back to a string
    lossless: bool  # decoded == the input text
    max_positions: int
    facts: dict[str, str] = field(default_factory=dict)  # topic -> what this scheme did to this text


@dataclass(frozen=True)
class TokenizerComparison:
    text: str
    views: tuple[TokenizerView, ...]
    notices: tuple[str, ...] = ()


def _quote(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def normalized_text(tokenizer, text: str) -> str:
    """`text` after the tokenizer's own normaliser, the step before it splits anything (BERT uncased:
    clean-up, lower-casing and NFD with the combining marks dropped); unchanged when it has none."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    normalizer = getattr(backend, "normalizer", None)
    return normalizer.normalize_str(text) if normalizer is not None else text


def _marks(text: str) -> int:
    """Combining marks (category Mn) in the canonical decomposition (NFD) of `text`."""
    return sum(unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFD", text))


def _normalisation_fact(tokenizer, text: str, normalized: str) -> str:
    if getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None) is None:
        return "no normaliser: the tokenizer splits the text exactly as typed"
    if normalized == text:
        return "the normaliser left this text unchanged"
    what = []
    if sum(c.isupper() for c in normalized) < sum(c.isupper() for c in text):
        what.append("lower-cased")
    if _marks(normalized) < _marks(text):
        devanagari = any("DEVANAGARI" in unicodedata.name(c, "") for c in text)
        what.append("NFD-decomposed with the combining marks dropped (meant for accents" +
                    ("; in Devanagari it also deletes the virama and several vowel signs)" if devanagari else ")"))
    if any(c in text and c not in normalized for c in "\t\n\r"):
        what.append("tabs and newlines turned into spaces")
    changed = list(dict.fromkeys(f"'{m.group()}' → '{normalized_text(tokenizer, m.group())}'"
                                 for m in WORD.finditer(text) if normalized_text(tokenizer, m.group()) != m.group()))
    return ("the normaliser rewrote the text before splitting it: " + ("; ".join(what) or "Unicode clean-up")
            + (f"; {_quote(changed)}" if changed else ""))


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def _piece_text(tokenizer, scheme: str, token: Token) -> str:
    """The characters a piece stands for, without its scheme's markers (`##`, `Ġ`, `▁`)."""
    if scheme == "byte-level BPE":
        return tokenizer.decode([token.token_id]).strip()
    return token.piece.removeprefix("##").replace("▁", "").strip()


def _covering(tokens: Sequence[Token], start: int, end: int) -> list[Token]:
    """Tokens overlapping the characters [start, end), lone space markers (`▁`, `Ġ`) left out."""
    return [t for t in tokens if t.start is not None and t.start < end and t.end > start
            and t.piece not in ("▁", "Ġ")]


def _unknown_fact(text: str, scheme: str, content: Sequence[Token], unk: str) -> str:
    unknown = [t for t in content if t.kind == "unknown"]
    if scheme == "byte-level BPE":
        byte_pieces = [t for t in content if t.display.startswith("<bytes")]
        if byte_pieces:
            chars = list(dict.fromkeys(repr(text[t.start:t.end]) for t in byte_pieces))
            first = f"no unknown token exists: {len(byte_pieces)} byte piece(s) spell {_quote(chars)}"
        else:
            first = "no unknown token exists: any character it lacks would be spelled as raw UTF-8 bytes"
    elif unknown:
        spans = [repr(text[t.start:t.end]) for t in unknown]
        first = f"{unk} appeared {len(unknown)}× — for {_quote(spans)}"
        whole = [s for s, t in zip(spans, unknown) if t.end - t.start > 1]
        if whole and scheme == "WordPiece":
            first += f"; a word it cannot spell is lost whole ({_quote(whole)})"
    else:
        first = f"no {unk}: every character has a piece"
    # Rare words are not unknown: they are split into known pieces. Show the most split word.
    splits = []
    for match in WORD.finditer(text):
        pieces = _covering(content, match.start(), match.end())
        if len(pieces) > 1 and all(p.kind in ("word", "continuation") for p in pieces):
            splits.append((len(pieces), match.group(), pieces))
    if splits:
        n, word, pieces = max(splits, key=lambda s: s[0])
        first += f"; rare words are split into known pieces: '{word}' → {' · '.join(p.display for p in pieces)}"
    return first


def _casing_fact(text: str, tokenizer, scheme: str, content: Sequence[Token]) -> str:
    if not any(c.isupper() for c in text):
        return "the text has no capital letters, so casing does not show here"
    lowered, kept, stripped = [], [], []
    for token in content:
        if token.kind not in ("word", "continuation"):
            continue
        surface = text[token.start:token.end].strip()
        piece = _piece_text(tokenizer, scheme, token)
        if piece == surface and any(c.isupper() for c in surface):
            kept.append(repr(surface))
        elif piece == surface.lower() != surface:
            lowered.append(f"{surface!r} → {piece!r}")
        elif piece == _strip_accents(surface.lower()) != surface.lower():
            stripped.append(f"{surface!r} → {piece!r}")
    parts = []
    if lowered:
        parts.append(f"lower-cased: {_quote(lowered)} — 'Apple' and 'apple' become the same tokens")
    if kept:
        parts.append(f"case kept ({_quote(list(dict.fromkeys(kept)))} as typed) — 'Apple' and 'apple' are "
                     "different tokens")
    if stripped:
        parts.append(f"accents stripped: {_quote(stripped)}")
    return "; ".join(parts) or "capital letters occur only inside pieces the vocabulary could not spell"


def _spaces_fact(text: str, scheme: str, content: Sequence[Token]) -> str:
    spaces = sum(c.isspace() for c in text)
    if scheme == "WordPiece":
        glued = sum(t.piece.startswith("##") for t in content)
        return (f"spaces are not tokens: the text is split at spaces and punctuation first and its {spaces} "
                f"space(s) vanish; {glued} piece(s) marked ## continue the word before them")
    if scheme == "byte-level BPE":
        marked = sum(t.display.startswith("␣") for t in content)
        only = sum(t.display.strip("␣↵") == "" for t in content)
        note = f"spaces are part of the tokens: {marked} piece(s) start with a space (shown ␣)"
        return note + (f"; {only} piece(s) are nothing but spaces" if only else "")
    marked = sum(t.piece.startswith("▁") for t in content)
    alone = sum(t.piece == "▁" for t in content)
    note = f"a space becomes ▁ at the start of the next piece: {marked} piece(s) carry ▁"
    return note + (f", {alone} of them a lone ▁" if alone else "")


def _emoji_fact(text: str, content: Sequence[Token]) -> str:
    found = list(dict.fromkeys((i, ch) for i, ch in enumerate(text) if _is_emoji(ch)))
    if not found:
        return "no emoji in the text (add one, e.g. 🤗, to see how each scheme copes)"
    seen, notes = set(), []
    for index, ch in found:
        if ch in seen:
            continue
        seen.add(ch)
        pieces = _covering(content, index, index + 1)
        shown = " ".join(p.display for p in pieces[:4]) + (" …" if len(pieces) > 4 else "")
        notes.append(f"{ch} → {len(pieces)} piece(s): {shown}")
    return "; ".join(notes[:3])


def _special_fact(tokens: Sequence[Token]) -> str:
    added = [t for t in tokens if t.start is None]
    if not added:
        return "adds none: the model reads only the text's own pieces"
    last = len(tokens) - 1
    where = [f"{t.display} at the {'start' if t.position == 0 else 'end' if t.position == last else 'middle'}"
             for t in added]
    return f"adds {_quote(where, 4)}"


def script_of(word: str) -> str:
    """The Unicode script of a word's first letter ("Latin", "Devanagari", "CJK", …), from its character name."""
    letter = next((c for c in word if c.isalpha()), None)
    if letter is None:
        return "digits" if any(c.isdigit() for c in word) else "symbols"
    first = unicodedata.name(letter, "UNKNOWN").split()[0]
    return "CJK" if first == "CJK" else first.capitalize()


def _scripts_fact(text: str, content: Sequence[Token], unk: str) -> str:
    """How the words of each non-Latin script came out: pieces per word, [UNK]s and one-character pieces."""
    words: dict[str, list[tuple[str, list[Token]]]] = {}
    for match in WORD_PATTERN.finditer(text):
        script = script_of(match.group())
        if script not in ("Latin", "digits", "symbols"):
            words.setdefault(script, []).append((match.group(), _covering(content, match.start(), match.end())))
    if not words:
        return "only Latin script here (try the Hindi example to see how each vocabulary copes with another script)"
    notes = []
    for script, found in words.items():
        pieces = [p for _, covering in found for p in covering]
        unknown = sum(p.kind == "unknown" for p in pieces)
        single = sum(p.kind != "unknown" and len(_bare(p)) == 1 for p in pieces)
        word, covering = max(found, key=lambda f: len(f[0]))
        note = (f"{script}: {len(found)} word(s) → {len(pieces)} piece(s), {len(pieces) / len(found):.1f} per word"
                + (f", {unknown}× {unk}" if unknown else "")
                + (f", {single} single-character piece(s)" if single else "")
                + f"; '{word}' → {' · '.join(p.display for p in covering[:8]) or 'nothing'}"
                + (" …" if len(covering) > 8 else ""))
        notes.append(note)
    return "; ".join(notes)


def _bare(token: Token) -> str:
    """A piece without its scheme's word markers (`##`, `▁`, `␣`)."""
    return token.display.removeprefix("##").replace("▁", "").replace("␣", "")


def _round_trip_fact(text: str, decoded: str) -> str:
    if decoded == text:
        return "lossless: decoding the ids gives back exactly the input text"
    at = next((i for i, (x, y) in enumerate(zip(text, decoded)) if x != y), min(len(text), len(decoded)))
    return (f"not lossless: decoding gives {decoded[max(0, at - 10):at + 30]!r} where the text has "
            f"{text[max(0, at - 10):at + 30]!r}")


def tokenizer_view(lm: LoadedModel, text: str) -> TokenizerView:
    """One tokenizer on `text`: every piece (no truncation) plus facts derived from what it did."""
    tokenizer = lm.tokenizer
    tokenized = tokenize(lm, text, max_length=10**9)  # show everything; the length fact names the limit
    tokens = tokenized.tokens
    scheme = tokenized.scheme
    content = [t for t in tokens if t.start is not None]
    added = [t for t in tokens if t.start is None]
    decoded = tokenizer.decode([t.token_id for t in content], clean_up_tokenization_spaces=False)
    words = max(1, len(text.split()))
    unk = tokenizer.unk_token or "unknown"
    length = f"{len(tokens)} tokens for {words} word(s) ({len(content) / words:.2f} per word)"
    if len(tokens) > lm.max_positions:
        length += f"; over the {lm.max_positions}-token limit, so a model would read only the first {lm.max_positions}"
    normalized = normalized_text(tokenizer, text)
    facts = {
        "normalisation": _normalisation_fact(tokenizer, text, normalized),
        "special tokens": _special_fact(tokens),
        "unknown words": _unknown_fact(text, scheme, content, unk),
        "casing": _casing_fact(text, tokenizer, scheme, content),
        "spaces": _spaces_fact(text, scheme, content),
        "emoji": _emoji_fact(text, content),
        "scripts": _scripts_fact(text, content, unk),
        "round trip": _round_trip_fact(text, decoded),
        "length": length,
    }
    return TokenizerView(
        model_name=lm.name, scheme=scheme, tokens=tokens, normalized=normalized, token_count=len(tokens),
        text_token_count=len(content),
        special_tokens_added=tuple(t.piece for t in added),
        unknown_count=sum(t.kind == "unknown" for t in content), tokens_per_word=len(content) / words,
        decoded=decoded, lossless=decoded == text, max_positions=lm.max_positions, facts=facts,
    )


AS_TYPED = ("Tokenized exactly as typed: every space, tab and newline reaches the tokenizers{removed}. What each "
            "tokenizer's own normaliser makes of the text is its normalised text (and the “normalisation” row).")


def compare_tokenizers(models: Sequence[LoadedModel], text: str, *, notices: Sequence[str] = ()) -> TokenizerComparison:
    """Tokenize `text` as typed with each model's tokenizer (WordPiece, byte-level BPE, SentencePiece, …)."""
    if not models:
        raise PlaygroundError("No tokenizer is available to compare.")
    cleaned = clean_text(text, max_chars=MAX_COMPARE_CHARS, keep_whitespace=True, gaps=False)
    views = tuple(tokenizer_view(lm, cleaned.text) for lm in models)
    removed = "; only what the notes above name was removed or cut" if cleaned.notices else "; nothing was changed"
    return TokenizerComparison(text=cleaned.text, views=views,
                               notices=(*cleaned.notices, AS_TYPED.format(removed=removed), *notices))


def scheme_choices(ctx: AppContext, task: str, scheme: str) -> list[str]:
    """The models of `task` this mode offers whose tokenizer is `scheme` (each column shows one scheme: no
    SentencePiece model in the WordPiece column); all of them when none is known to be."""
    choices = ctx.profile.choices(task)
    fits = [name for name in choices if tokenizer_scheme(ctx.catalog, ctx.store.local_models, name) == scheme]
    return fits or choices


def compare_tokenizers_api(ctx: AppContext, text: str, wordpiece_model: str = "bert-base-uncased",
                           bpe_model: str = "gpt2", sentencepiece_model: str = "google/pegasus-xsum",
                           multilingual_model: str = "") -> TokenizerComparison:
    """The same text through WordPiece, byte-level BPE and SentencePiece, with derived notes; with
    multilingual_model (e.g. xlm-roberta-base), a fourth tokenizer for other scripts."""
    models, missing = [], []
    for name in (wordpiece_model, bpe_model, sentencepiece_model, multilingual_model):
        if not name:  # the optional fourth column
            continue
        try:
            models.append(ctx.model(name, "tokenizer-only"))
        except ModelUnavailable as exc:  # show the others; say which one is missing and how to get it
            missing.append(exc)
    if not models:  # none at all: one error that names every missing one
        raise unavailable(missing) if missing else PlaygroundError("Choose at least one tokenizer.")
    return compare_tokenizers(models, text, notices=[str(exc) for exc in missing])
