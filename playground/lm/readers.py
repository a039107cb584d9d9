"""A model that reads text, and the one place where BERT and GPT-2 differ in how they read it.

`TextReader` is the small interface: encode a sentence into the tokens the model reads and the position whose
logits predict the slot (`SlotInput`), read it there (`forward_pass`), hide a word for occlusion (`hide`), and
name the attention direction (`direction`, for `attention_mask_pattern`). Two implementations:

- `MaskedReader` (BERT, a masked LM): reads both sides; the slot is the first [MASK], predicted at that mask;
  a word is hidden by turning each of its tokens into the mask token.
- `CausalReader` (GPT-2, a left-to-right LM): reads the left only; each [MASK] is filled with a word and the
  slot is predicted from the token just before it (the next token when there is no gap); a start token is put
  in front where nothing precedes the slot; a word is hidden by deleting its tokens (GPT-2 has no mask token).

`reader_for(lm)` picks one by the model's task. Analyses over "a model reading a sentence" — word influence
(`lm.influence`), and the ones planned next (logit lens, embeddings, KV caches) — are written once against this
interface and differ only where a reader's methods do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import MASK, CleanText, clean_text, with_mask_token
from playground.core.tokens import TokenizedText, tokenize
from playground.core.types import LoadedModel
from playground.lm.passes import ForwardPass, forward_pass

DIRECTIONS = ("bidirectional", "causal")
CUT_OFF = "The [MASK] fell in the part of the text that was cut off; move it earlier."


def attention_mask_pattern(direction: str, n: int) -> list[list[int]]:
    """n × n matrix, 1 where query i may attend to key j: all ones (bidirectional) or lower-triangular (causal)."""
    if direction not in DIRECTIONS:
        raise PlaygroundError(f"Unknown context direction {direction!r}.")
    return [[1 if direction == "bidirectional" or j <= i else 0 for j in range(n)] for i in range(n)]


@dataclass(frozen=True)
class SlotInput:
    """A sentence as one model reads it to predict the slot: what every analysis of the slot starts from."""
    text: str  # the sentence the model reads
    tokens: TokenizedText  # the text's tokens (a start token put in front is not among them)
    input_ids: tuple[int, ...]
    offset: int  # input index of tokens.tokens[0]: 1 when a start token was put in front, else 0
    position: int  # input index whose logits predict the slot
    slot: str
    slot_span: tuple[int, int]  # the slot's characters in `text`
    notices: tuple[str, ...]


@dataclass(frozen=True)
class TextInput:
    """A text as one model reads it whole, with no slot (the views inside the model: embeddings, caches, probes)."""
    text: str
    tokens: TokenizedText  # the text's tokens (a start token put in front is not among them)
    input_ids: tuple[int, ...]
    offset: int  # input index of tokens.tokens[0]

    def covering(self, start: int, end: int) -> list[int]:
        """Input indices of the tokens that overlap the characters start–end of `text`."""
        return [self.offset + i for i, t in enumerate(self.tokens.tokens)
                if t.start is not None and t.end is not None and t.start < end and t.end > start]


@dataclass(frozen=True)
class Variant:
    input_ids: tuple[int, ...]
    position: int  # where the slot is predicted in this variant


def mask_tokens(inp: SlotInput, token_indices: Sequence[int], mask_id: int) -> Variant:
    """The input with the given tokens (indices into inp.tokens) replaced by `mask_id`; nothing moves."""
    hidden = {inp.offset + i for i in token_indices}
    return Variant(tuple(mask_id if j in hidden else t for j, t in enumerate(inp.input_ids)), inp.position)


def delete_tokens(inp: SlotInput, token_indices: Sequence[int], start_id: int | None = None) -> Variant:
    """The input with the given tokens deleted: the slot's position moves left by the deleted tokens before it.
    When that leaves nothing before the slot, the slot is read from `start_id` put in front — what a
    left-to-right model predicts from no context at all."""
    hidden = {inp.offset + i for i in token_indices}
    kept = tuple(t for j, t in enumerate(inp.input_ids) if j not in hidden)
    position = inp.position - sum(j <= inp.position for j in hidden)
    if position < 0 and start_id is not None:
        return Variant((start_id, *kept), 0)
    return Variant(kept, position)


def gap_fillers(fillers: Sequence[str], gaps: int) -> tuple[str, ...]:
    """What fills each of `gaps` gaps: its own filler, or the last one given when there are fewer."""
    return tuple(fillers[i] if i < len(fillers) else fillers[-1] for i in range(gaps))


def fill_masks(text: str, fillers: list[str]) -> tuple[str, tuple[int, int] | None]:
    """Replace each [MASK] with its filler; return the new text and the first filler's span."""
    out, first_span, cursor = [], None, 0
    pieces = text.split(MASK)
    each = gap_fillers(fillers, len(pieces) - 1) if fillers else ()
    for i, piece in enumerate(pieces):
        out.append(piece)
        cursor += len(piece)
        if i < len(pieces) - 1:
            filler = each[i]
            if first_span is None:
                first_span = (cursor, cursor + len(filler))
            out.append(filler)
            cursor += len(filler)
    return "".join(out), first_span


def _fillers(fillers: Sequence[str] | None) -> list[str]:
    return [f.strip() or "…" for f in (fillers or [])] or ["…"]


class TextReader(ABC):
    """A model that reads text and predicts one slot of it (see the module docstring). Subclasses set
    `direction` and implement `slot_input`, `hide` and `hiding` (how occlusion hides a word, in words)."""

    direction: str = ""  # "bidirectional" | "causal"

    def __init__(self, lm: LoadedModel) -> None:
        self.lm = lm

    @abstractmethod
    def slot_input(self, text: str, fillers: Sequence[str] | None = None) -> SlotInput:
        """`text` encoded as this model reads it, with the position that predicts its first slot. `fillers`:
        words for the gaps, for a model that cannot read a gap (BERT's guesses in the Compare tab)."""

    @abstractmethod
    def hide(self, inp: SlotInput, token_indices: Sequence[int]) -> Variant:
        """`inp` with the given tokens (indices into inp.tokens) hidden, as occlusion hides a word."""

    @property
    @abstractmethod
    def hiding(self) -> str:
        """How `hide` hides a word, as the occlusion method's description says it."""

    def text_input(self, text: str) -> TextInput:
        """`text` (already cleaned) as this model reads it whole: BERT with its special tokens around it, GPT-2
        with its start token in front (so the first word has something to be read after)."""
        if self.direction == "causal":
            tokens = tokenize(self.lm, text, add_special_tokens=False)
            kept = TokenizedText(model_name=tokens.model_name, scheme=tokens.scheme,
                                 tokens=tokens.tokens[: self.lm.max_positions - 1], notes=tokens.notes)
            start = self.lm.tokenizer.convert_tokens_to_ids(self.lm.tokenizer.bos_token or self.lm.tokenizer.eos_token)
            return TextInput(text, kept, (start, *kept.input_ids), 1)
        tokens = tokenize(self.lm, text)
        return TextInput(text, tokens, tuple(tokens.input_ids), 0)

    def forward_pass(self, inp: SlotInput, **options) -> ForwardPass:
        """One forward pass over `inp`, read at its slot (options as `passes.forward_pass`)."""
        return forward_pass(self.lm, inp.input_ids, [inp.position], **options)

    def attention_pattern(self, n: int) -> list[list[int]]:
        """Which of n tokens each token may attend to (see `attention_mask_pattern`)."""
        return attention_mask_pattern(self.direction, n)


class MaskedReader(TextReader):
    """BERT: reads both sides; the slot is its first [MASK]; occlusion turns a word's tokens into the mask."""

    direction = "bidirectional"

    def slot_input(self, text: str, fillers: Sequence[str] | None = None) -> SlotInput:
        """BERT reads the sentence with its own mask token; the slot is the first [MASK] (`fillers` unused)."""
        cleaned = clean_text(text)
        if cleaned.mask_count == 0:
            raise PlaygroundError("Add a [MASK] to measure which words BERT uses to predict it.")
        return self.input_from_tokens(cleaned, tokenize(self.lm, with_mask_token(cleaned.text, self.mask_token)))

    def input_from_tokens(self, cleaned: CleanText, tokens: TokenizedText) -> SlotInput:
        """The slot input of `tokens` already read (the Compare tab's reading): the slot is their first mask."""
        masks = [t for t in tokens.tokens if t.kind == "mask"]
        if not masks:
            raise PlaygroundError(CUT_OFF)
        return SlotInput(text=with_mask_token(cleaned.text, self.mask_token), tokens=tokens,
                         input_ids=tuple(tokens.input_ids), offset=0, position=masks[0].position,
                         slot=self.mask_token, slot_span=(masks[0].start, masks[0].end),
                         notices=tuple(cleaned.notices) + tuple(tokens.notes))

    @property
    def mask_token(self) -> str:
        return self.lm.tokenizer.mask_token

    def hide(self, inp: SlotInput, token_indices: Sequence[int]) -> Variant:
        return mask_tokens(inp, token_indices, self.lm.tokenizer.mask_token_id)

    @property
    def hiding(self) -> str:
        return f"each word's tokens become {self.lm.tokenizer.convert_ids_to_tokens(self.lm.tokenizer.mask_token_id)}"


@dataclass(frozen=True)
class CausalReading:
    """The sentence as a left-to-right model reads it: each [MASK] filled with a word, and the slot it predicts."""

    text: str  # the sentence with the gaps filled
    tokens: TokenizedText
    slot: int  # token position of the first filled gap (the token count when there is no gap: the next token)
    slot_span: tuple[int, int]  # its characters in `text`
    slot_text: str  # what fills it, or "(next token)"
    had_mask: bool
    fillers: tuple[str, ...] = ()  # what fills each gap, in order (empty without a gap)


class CausalReader(TextReader):
    """GPT-2: reads the left only; the slot is predicted from the token before it; occlusion deletes a word."""

    direction = "causal"

    @property
    def start_id(self) -> int:
        """The start token: what the model predicts from when nothing precedes the slot."""
        tokenizer = self.lm.tokenizer
        return tokenizer.convert_tokens_to_ids(tokenizer.bos_token or tokenizer.eos_token)

    def _notices(self, cleaned: CleanText, tokens: TokenizedText, slot_text: str) -> tuple[str, ...]:
        notes = list(cleaned.notices) + list(tokens.notes)
        if cleaned.mask_count:
            notes.append(f"{self.lm.name} has no mask token: it read the sentence with the gap filled by "
                         f"'{slot_text}', and predicts the slot from the tokens before it.")
        return tuple(notes)

    def slot_input(self, text: str, fillers: Sequence[str] | None = None) -> SlotInput:
        """GPT-2 has no mask token, so it reads the sentence with each [MASK] replaced by a filler word (BERT's
        guess in the Compare tab); the slot's prediction is made at the token just before it, with the start
        token in front. Without a [MASK], the slot is the next token after the whole text."""
        lm = self.lm
        cleaned = clean_text(text)
        fillers = _fillers(fillers)
        model_text, slot_span = fill_masks(cleaned.text, fillers) if cleaned.mask_count else (cleaned.text, None)
        tokens = tokenize(lm, model_text, add_special_tokens=False)
        # A start token in front, so a slot at the very beginning still has a position to be predicted from.
        kept = tokens.tokens[: lm.max_positions - 1]
        input_ids = (self.start_id, *(t.token_id for t in kept))
        if slot_span is None:
            position, slot = len(input_ids) - 1, "(next token)"
            slot_span = (len(model_text), len(model_text))
        else:
            first = next((t.position for t in kept if t.end is not None and t.end > slot_span[0]), None)
            if first is None:
                raise PlaygroundError(CUT_OFF)
            position, slot = first, model_text[slot_span[0]:slot_span[1]]  # logits at bos-shifted index first
        truncated = TokenizedText(model_name=lm.name, scheme=tokens.scheme, tokens=kept)
        return SlotInput(text=model_text, tokens=truncated, input_ids=input_ids, offset=1, position=position,
                         slot=slot, slot_span=slot_span, notices=self._notices(cleaned, tokens, slot))

    def reading(self, cleaned: CleanText, fillers: Sequence[str] = ()) -> CausalReading:
        """The Compare tab's reading: the sentence with each [MASK] replaced by a filler word ("…" if none), the
        most recent tokens kept, and the slot it predicts from the tokens before it (no start token)."""
        lm = self.lm
        fillers = _fillers(fillers)
        if not cleaned.mask_count:
            tokens = tokenize(lm, cleaned.text, keep="end", add_special_tokens=False)
            end = len(cleaned.text)
            return CausalReading(text=cleaned.text, tokens=tokens, slot=len(tokens.tokens), slot_span=(end, end),
                                 slot_text="(next token)", had_mask=False)
        text, span = fill_masks(cleaned.text, fillers)
        tokens = tokenize(lm, text, add_special_tokens=False)
        slot = next((t.position for t in tokens.tokens if t.end is not None and t.end > span[0]), None)
        if slot is None:
            raise PlaygroundError(CUT_OFF)
        return CausalReading(text=text, tokens=tokens, slot=slot, slot_span=span, slot_text=text[span[0]:span[1]],
                             had_mask=True, fillers=gap_fillers(fillers, cleaned.mask_count))

    def input_from_reading(self, cleaned: CleanText, reading: CausalReading) -> SlotInput:
        """The slot input of a Compare-tab reading: read from the token before the slot, or from the start token
        alone put in front when nothing precedes it."""
        ids = tuple(reading.tokens.input_ids)
        ids, offset, position = ((self.start_id, *ids), 1, 0) if reading.slot == 0 else (ids, 0, reading.slot - 1)
        return SlotInput(text=reading.text, tokens=reading.tokens, input_ids=ids, offset=offset, position=position,
                         slot=reading.slot_text, slot_span=reading.slot_span,
                         notices=self._notices(cleaned, reading.tokens, reading.slot_text))

    def hide(self, inp: SlotInput, token_indices: Sequence[int]) -> Variant:
        return delete_tokens(inp, token_indices, self.start_id)

    @property
    def hiding(self) -> str:
        return "each word's tokens are deleted"


_READERS = {"fill-mask": MaskedReader, "text-generation": CausalReader}


def reader_for(lm: LoadedModel) -> TextReader:
    """The reader of `lm`: by its task ("fill-mask" → masked, "text-generation" → causal), else by its config
    (a decoder, or a causal-LM architecture, reads left to right; a model with a mask token reads both ways)."""
    kind = _READERS.get(lm.task)
    if kind is None:
        config = getattr(lm.model, "config", None)
        architectures = getattr(config, "architectures", None) or ()
        if getattr(config, "is_decoder", False) or any(a.endswith(("ForCausalLM", "LMHeadModel"))
                                                       for a in architectures):
            kind = CausalReader
        elif getattr(lm.tokenizer, "mask_token", None) is not None:
            kind = MaskedReader
        else:
            raise PlaygroundError(f"{lm.name} ({lm.task}) reads no slot: it is neither a masked nor a causal LM.")
    return kind(lm)
