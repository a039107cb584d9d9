"""What each model really sees: token pieces, ids, special tokens and character offsets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Sequence

from playground.core.types import LoadedModel

# Lazy imports: torch and transformers are imported inside the functions that need them, so importing this
# module (and starting the app) stays fast.


def _combining_marks() -> str:
    """A regex character class body of the combining marks (Unicode category M*) of the scripts up to U+2000
    and of the combining blocks after it. Python's \\w leaves them out, so without them a Hindi word such as
    'पेरिस' would fall apart at its vowel signs."""
    blocks = (range(0x300, 0x2000), range(0x20D0, 0x2100), range(0xFE20, 0xFE30))
    ranges: list[list[int]] = []
    for code in (c for block in blocks for c in block if unicodedata.category(chr(c)).startswith("M")):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


WORD = re.compile(rf"\w[\w{_combining_marks()}]*")  # letters and digits, with the combining marks they carry
WORD_PATTERN = re.compile(rf"{WORD.pattern}|[^\w\s]")  # a word, or one punctuation mark

# One line per special token, shown next to the token list.
SPECIAL_TOKEN_ROLES = {
    "[CLS]": "a token with its own embedding, always first, whose final vector a classification head is trained "
             "to read (NSP, then fine-tuning); not a meaningful sentence summary without fine-tuning (BERT paper, "
             "Section 3.1)",
    "[SEP]": "end of a segment (separates sentence A from sentence B)",
    "[MASK]": "a hidden token the model must predict",
    "[PAD]": "padding to equal length; attention ignores it",
    "[UNK]": "a whole word WordPiece cannot spell: the entire word is replaced, not just the unknown character",
    "<s>": "start of sequence (RoBERTa's [CLS])",
    "</s>": "end of sequence / segment (RoBERTa's [SEP], Pegasus' EOS)",
    "<mask>": "a hidden token the model must predict (RoBERTa)",
    "<pad>": "padding; also Pegasus' decoder start token",
    "<|endoftext|>": "GPT-2's only special token: separates documents (used here as a start token)",
}


@dataclass(frozen=True)
class Token:
    position: int
    token_id: int
    piece: str  # exactly as the tokenizer's vocabulary spells it (`Ġcompany`, `##ing`)
    display: str  # readable: `␣company`, `##ing`, `<bytes f0 9f>`
    kind: str  # "special" | "mask" | "unknown" | "word" | "continuation"
    start: int | None = None  # character span in the input text (None for special tokens)
    end: int | None = None


@dataclass(frozen=True)
class TokenizedText:
    model_name: str
    scheme: str
    tokens: tuple[Token, ...]
    truncated_tokens: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def input_ids(self) -> list[int]:
        return [t.token_id for t in self.tokens]


def tokenizer_scheme(tokenizer) -> str:
    name = type(tokenizer).__name__.lower()
    # SentencePiece first: XLM-RoBERTa's and ALBERT's class names contain "roberta" / "bert" too.
    if "pegasus" in name or "albert" in name or "t5" in name or "xlm" in name:
        return "SentencePiece"
    if "bert" in name and "roberta" not in name or "electra" in name:
        return "WordPiece"
    if "gpt2" in name or "roberta" in name:
        return "byte-level BPE"
    return type(tokenizer).__name__


def display_piece(tokenizer, token_id: int) -> str:
    """A readable form of one vocabulary piece: byte-level space marker `Ġ` → `␣`, newline `Ċ` → `↵`,
    and incomplete UTF-8 byte pieces (parts of an emoji) as their bytes."""
    piece = tokenizer.convert_ids_to_tokens(int(token_id))
    if piece is None:
        return f"<id {token_id}>"
    if token_id in tokenizer.all_special_ids:
        return piece
    if tokenizer_scheme(tokenizer) == "byte-level BPE":
        decoded = tokenizer.decode([int(token_id)])
        if "\ufffd" in decoded:
            # deferred: transformers (seconds to import); only a loaded byte-level BPE tokenizer gets here
            from transformers.convert_slow_tokenizer import bytes_to_unicode

            to_byte = {v: k for k, v in bytes_to_unicode().items()}
            return "<bytes " + " ".join(f"{to_byte.get(c, 0):02x}" for c in piece) + ">"
        return decoded.replace(" ", "␣").replace("\n", "↵")
    return piece


def token_kind(tokenizer, token_id: int, piece: str, scheme: str, glued: bool = False) -> str:
    """"special" | "mask" | "unknown" | "word" | "continuation".

    WordPiece marks continuations itself (`##ing`); a BPE / SentencePiece piece continues a word when it is
    `glued` to the previous letter, which only the caller, holding the text and offsets, can tell.
    """
    if token_id == tokenizer.mask_token_id:
        return "mask"
    if token_id == tokenizer.unk_token_id and scheme != "byte-level BPE":
        return "unknown"
    if token_id in tokenizer.all_special_ids:
        return "special"
    if scheme == "WordPiece":
        return "continuation" if piece.startswith("##") else "word"
    return "continuation" if glued else "word"


def _glued(previous: Token | None, text: str, start: int) -> bool:
    """Whether the piece starting at `start` continues the previous piece's word (no space or symbol between)."""
    return (previous is not None and previous.kind in ("word", "continuation") and previous.end == start
            and 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum())


def padded_batch(rows: Sequence[Sequence[int]], pad_id: int | None):
    """Id rows of different lengths as one right-padded batch (pad id 0 when the tokenizer has none), and the
    attention mask that hides the padding: two (rows × longest) LongTensors."""
    # deferred: torch (seconds to import); the page imports this module, only a model's batch needs torch
    import torch

    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), 0 if pad_id is None else pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, :len(row)] = 1
    return ids, mask


def tokenize(lm: LoadedModel, text: str, *, max_length: int | None = None, keep: str = "start",
             add_special_tokens: bool = True) -> TokenizedText:
    """Tokenise `text` as the model will see it, truncated to `max_length` tokens.

    keep="start" (encoders) drops tokens from the end; keep="end" (left-to-right LMs) keeps the most
    recent tokens. Either way the number of dropped tokens is reported.
    """
    tokenizer = lm.tokenizer
    limit = max_length or lm.max_positions
    enc = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True, truncation=False,
                    verbose=False)
    ids, offsets = list(enc["input_ids"]), list(enc["offset_mapping"])
    dropped = max(0, len(ids) - limit)
    if dropped:
        if keep == "end":
            ids, offsets = ids[-limit:], offsets[-limit:]
        else:
            specials = set(tokenizer.all_special_ids)
            tail = [i for i in range(len(ids)) if i >= len(ids) - 1 and ids[i] in specials]  # keep final [SEP]
            keep_idx = list(range(limit - len(tail))) + tail
            ids, offsets = [ids[i] for i in keep_idx], [offsets[i] for i in keep_idx]
    scheme = tokenizer_scheme(tokenizer)
    tokens: list[Token] = []
    special_ids = set(tokenizer.all_special_ids)
    for position, (token_id, (start, end)) in enumerate(zip(ids, offsets)):
        piece = tokenizer.convert_ids_to_tokens(int(token_id))
        is_special = token_id in special_ids and token_id not in (tokenizer.mask_token_id, tokenizer.unk_token_id)
        kind = token_kind(tokenizer, token_id, piece, scheme, _glued(tokens[-1] if tokens else None, text, start))
        tokens.append(Token(
            position=position, token_id=int(token_id), piece=piece, display=display_piece(tokenizer, token_id),
            kind=kind, start=None if is_special else int(start), end=None if is_special else int(end),
        ))
    notes = []
    if dropped:
        side = "beginning" if keep == "end" else "end"
        notes.append(f"The input is {len(ids) + dropped} tokens; {lm.name} reads at most {limit}, "
                     f"so {dropped} token(s) were dropped from the {side}.")
    return TokenizedText(model_name=lm.name, scheme=scheme, tokens=tuple(tokens), truncated_tokens=dropped,
                         notes=tuple(notes))


# ---- from token scores to word scores ---------------------------------------------------------------

@dataclass(frozen=True)
class WordScore:
    word: str
    start: int  # character span in the text
    end: int
    score: float  # the sum of the scores of the tokens that overlap the word
    read: bool  # whether any token covers it (False: the word lies in a cut-off tail)


def word_scores(text: str, tokens: TokenizedText, scores: Sequence[float],
                pattern: re.Pattern = WORD_PATTERN) -> list[WordScore]:
    """Per-token scores summed per word of `text`; a token counts for every word its characters overlap."""
    out = []
    for match in pattern.finditer(text):
        start, end = match.start(), match.end()
        covering = [s for t, s in zip(tokens.tokens, scores) if t.start is not None and t.start < end and t.end > start]
        out.append(WordScore(match.group(), start, end, sum(covering), bool(covering)))
    return out


def shares(values: Sequence[float]) -> list[float]:
    """Each value over the largest magnitude, so the strongest is ±1 (all zeros stay zeros)."""
    strongest = max((abs(v) for v in values), default=0.0) or 1.0
    return [v / strongest for v in values]


# ---- sentence pairs, cut without touching the shared tokenizer ---------------------------------------
# A fast tokenizer's truncation and stride are settings of its one Rust object, shared by every request:
# passing `truncation=`/`stride=` switches them on for everyone until the next call switches them off, so
# two requests at once can read each other's settings. Pairs are therefore encoded whole (no truncation,
# which leaves the settings untouched) and cut here, per call, exactly as the tokenizer's own rules do.

@dataclass(frozen=True)
class PairRow:
    """One row of a cut sentence pair, as the model reads it."""

    input_ids: tuple[int, ...]
    type_ids: tuple[int, ...]  # token_type_ids as the tokenizer numbers them
    sequence_ids: tuple[int | None, ...]  # None: special token, 0: first text, 1: second text
    offsets: tuple[tuple[int, int], ...]  # character spans into the first or the second text


def encode_pair(tokenizer, first: str, second: str):
    """The whole pair (special tokens included, nothing cut) as a per-call `tokenizers.Encoding`."""
    return tokenizer(first, second, truncation=False, verbose=False).encodings[0]


def pair_batch(tokenizer, firsts: Sequence[str], seconds: Sequence[str], max_length: int):
    """Sentence pairs as one right-padded batch, each pair cut per call to `max_length` tokens by the
    "longest_first" rule (an empty text is allowed): input_ids, token_type_ids and attention_mask LongTensors.
    The shared tokenizer's truncation and padding settings are never touched."""
    if len(firsts) != len(seconds):
        raise ValueError(f"{len(firsts)} first texts but {len(seconds)} second texts")
    rows, types = [], []
    # one call for the batch (an empty second text stays a pair, as in the tokenizer's own batch call)
    for full in tokenizer(list(firsts), list(seconds), truncation=False, verbose=False).encodings:
        count = {0: full.sequence_ids.count(0), 1: full.sequence_ids.count(1)}
        keep = dict(enumerate(longest_first(count[0], count[1], max_length - (len(full.ids) - count[0] - count[1]))))
        kept = []
        for position, which in enumerate(full.sequence_ids):
            if which is None or keep[which] > 0:  # every special token; each text's first `keep` tokens
                kept.append(position)
                if which is not None:
                    keep[which] -= 1
        rows.append([full.ids[i] for i in kept])
        types.append([full.type_ids[i] for i in kept])
    ids, mask = padded_batch(rows, tokenizer.pad_token_id)
    type_ids, _ = padded_batch(types, 0)
    return {"input_ids": ids, "token_type_ids": type_ids, "attention_mask": mask}


def longest_first(n_first: int, n_second: int, room: int) -> tuple[int, int]:
    """How many tokens of each text fit in `room`: the "longest_first" rule of Hugging Face tokenizers
    (cut the longer text first; when both are too long, each gets half)."""
    if n_first + n_second <= room:
        return n_first, n_second
    short, long_ = sorted((n_first, n_second))
    long_ = short if short > room else max(short, room - short)
    if short + long_ > room:
        short, long_ = room // 2, room // 2 + room % 2
    return (long_, short) if n_first > n_second else (short, long_)


def overflow_spans(n: int, room: int, stride: int) -> list[tuple[int, int]]:
    """Windows over n tokens, `room` per window, neighbours sharing `stride` (the tokenizer's overflow rule)."""
    if n <= room:
        return [(0, n)]
    if not 0 <= stride < room:
        raise ValueError(f"stride must be in [0, {room}), got {stride}")
    spans = []
    for start in range(0, n, room - stride):
        stop = min(start + room, n)
        spans.append((start, stop))
        if stop == n:
            break
    return spans


def pair_rows(encoding, first_keep: int, second_spans: Sequence[tuple[int, int]]) -> list[PairRow]:
    """Rows of a whole pair `encoding`: its special tokens where the template puts them, the first
    `first_keep` tokens of the first text and, per row, one span of the second text's tokens."""
    seq = encoding.sequence_ids
    first = [i for i, s in enumerate(seq) if s == 0]
    second = [i for i, s in enumerate(seq) if s == 1]
    if not first or not second:
        raise ValueError("both texts of a pair need at least one token")
    specials = [i for i, s in enumerate(seq) if s is None]
    before = [i for i in specials if i < first[0]]
    between = [i for i in specials if first[-1] < i < second[0]]
    after = [i for i in specials if i > second[-1]]
    rows = []
    for start, stop in second_spans:
        positions = before + first[:first_keep] + between + second[start:stop] + after
        rows.append(PairRow(
            input_ids=tuple(encoding.ids[i] for i in positions),
            type_ids=tuple(encoding.type_ids[i] for i in positions),
            sequence_ids=tuple(seq[i] for i in positions),
            offsets=tuple(tuple(encoding.offsets[i]) for i in positions),
        ))
    return rows
