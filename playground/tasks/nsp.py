"""BERT's second pre-training objective: next-sentence prediction (NSP).

The input is one sequence `[CLS] A [SEP] B [SEP]`; segment ids (token_type_ids) are 0 for `[CLS]`, A and
the first `[SEP]`, and 1 for B and the final `[SEP]`. `BertForPreTraining`'s NSP head reads `[CLS]`'s
final vector and outputs two logits: index 0 = IsNext (B really follows A), index 1 = NotNext.

Every result carries what the ablations found (`ROBERTA_FINDING`) as a notice, so NSP is shown with its
evidence: it helped in BERT's own ablation, and RoBERTa matched or beat it without NSP only under a condition
(inputs packed with full sentences from contiguous text).
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.text_input import clean_text
from playground.core.tokens import display_piece, encode_pair, longest_first, pair_rows, token_kind, tokenizer_scheme
from playground.tasks.cards import lab_head_note
from playground.tasks.context import AppContext

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

NSP_TASK = "nsp"  # BERT with its pre-training heads
LABELS = ("IsNext", "NotNext")  # the order of BertForPreTraining's seq_relationship_logits
ROBERTA_FINDING = (
    "Is NSP needed? In BERT's own ablation it helped: without it QNLI, MNLI and SQuAD 1.1 dropped (Devlin et al. "
    "2019, Table 5). RoBERTa found that removing the NSP loss matched or slightly improved downstream results "
    "when each input is packed with full sentences from contiguous text of one or more documents, up to 512 "
    "tokens (Liu et al. 2019, Section 4.2 and Table 2), and trained without it. Half of NSP's second sentences "
    "are random sentences from another document, so the topic alone often gives them away; ALBERT replaced "
    "NSP with sentence-order prediction — two consecutive segments, in order or swapped — to test coherence "
    "instead (Lan et al. 2019, Section 3.1).")

_FIRST = "Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas."
PRESETS: dict[str, tuple[str, str]] = {
    "true continuation": (_FIRST, "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning."),
    "random sentence": (_FIRST, "The cat sat on the mat."),
}


@dataclass(frozen=True)
class SegmentToken:
    position: int
    token_id: int
    piece: str
    display: str
    segment: int  # token_type_id: 0 = [CLS] + sentence A + first [SEP], 1 = sentence B + final [SEP]
    kind: str  # "special" | "mask" | "unknown" | "word" | "continuation"


@dataclass(frozen=True)
class NSPResult:
    model_name: str
    sentence_a: str
    sentence_b: str
    tokens: tuple[SegmentToken, ...]
    layout: str  # "[CLS] A [SEP] B [SEP]" written with this input's own pieces
    probabilities: dict[str, float]  # {"IsNext": p, "NotNext": 1 - p}
    logits: tuple[float, float]  # (IsNext, NotNext), before softmax
    verdict: str  # the more probable label
    dropped_a: int = 0  # tokens cut from sentence A to fit the model
    dropped_b: int = 0
    notices: tuple[str, ...] = ()


def _segment_lengths(ids, segments, special_ids: set[int]) -> tuple[int, int]:
    """Number of non-special tokens in segment 0 and segment 1."""
    counts = [0, 0]
    for token_id, segment in zip(ids, segments):
        if token_id not in special_ids:
            counts[min(int(segment), 1)] += 1
    return counts[0], counts[1]


def _layout(tokens: tuple[SegmentToken, ...], keep: int = 6) -> str:
    """`[CLS] tesla is an … [SEP] it was … [SEP]`: the real pieces, long segments shortened."""
    parts: list[str] = []
    run: list[str] = []
    for token in tokens:
        if token.kind == "special":
            if run:
                parts.append(" ".join(run if len(run) <= keep else run[: keep - 1] + ["…", run[-1]]))
                run = []
            parts.append(token.display)
        else:
            run.append(token.display)
    if run:
        parts.append(" ".join(run))
    return " ".join(parts)


def next_sentence(lm: LoadedModel, a: str, b: str) -> NSPResult:
    """IsNext / NotNext probabilities for sentence B following sentence A."""
    # deferred: torch; the page imports this task module, only the model pass needs torch
    import torch

    first = clean_text(a, what="sentence A")
    second = clean_text(b, what="sentence B")
    tokenizer = lm.tokenizer
    limit = lm.max_positions
    special_ids = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id, tokenizer.mask_token_id}
    # The whole pair, then cut per call (never via the shared tokenizer's truncation setting): too long, and
    # tokens go from the end of whichever sentence is longer (BERT's own "longest_first" pair truncation).
    full = encode_pair(tokenizer, first.text, second.text)
    n_a, n_b = full.sequence_ids.count(0), full.sequence_ids.count(1)
    if not n_a or not n_b:
        which = "A" if not n_a else "B"
        raise PlaygroundError(f"Sentence {which} has no tokens {lm.name} can read — type a sentence.")
    keep_a, keep_b = longest_first(n_a, n_b, limit - (len(full.ids) - n_a - n_b))
    row = pair_rows(full, keep_a, [(0, keep_b)])[0]
    ids, segments = list(row.input_ids), list(row.type_ids)
    enc = {"input_ids": torch.tensor([ids]), "token_type_ids": torch.tensor([segments]),
           "attention_mask": torch.ones((1, len(ids)), dtype=torch.long)}
    with torch.inference_mode():
        out = lm.model(**enc)
    logits = getattr(out, "seq_relationship_logits", None)
    if logits is None:
        raise PlaygroundError(f"{lm.name} has no next-sentence-prediction head; only BERT's pre-training "
                              "checkpoint (BertForPreTraining) was trained on this objective.")
    probs = logits[0].float().softmax(-1)
    scheme = tokenizer_scheme(tokenizer)  # WordPiece: only BERT's pre-training checkpoint has an NSP head
    pieces = tokenizer.convert_ids_to_tokens(ids)
    tokens = tuple(
        SegmentToken(position=i, token_id=int(t), piece=piece, display=display_piece(tokenizer, int(t)),
                     segment=int(s), kind=token_kind(tokenizer, int(t), piece, scheme))
        for i, (t, piece, s) in enumerate(zip(ids, pieces, segments))
    )
    full_a, full_b = _segment_lengths(full.ids, full.type_ids, special_ids)
    kept_a, kept_b = _segment_lengths(ids, segments, special_ids)
    dropped_a, dropped_b = full_a - kept_a, full_b - kept_b
    notices = list(first.notices) + list(second.notices)
    if dropped_a or dropped_b:
        notices.append(
            f"The pair is {len(full.ids)} tokens with [CLS] and [SEP]s; {lm.name} reads at most {limit}, "
            f"so {dropped_a + dropped_b} were cut from the end of the longer sentence first "
            f"({dropped_a} from A, {dropped_b} from B).")
    notices.append(ROBERTA_FINDING)
    probabilities = {label: float(p) for label, p in zip(LABELS, probs)}
    return NSPResult(
        model_name=lm.name, sentence_a=first.text, sentence_b=second.text, tokens=tokens, layout=_layout(tokens),
        probabilities=probabilities, logits=(float(logits[0, 0]), float(logits[0, 1])),
        verdict=max(probabilities, key=probabilities.get), dropped_a=dropped_a, dropped_b=dropped_b,
        notices=tuple(notices),
    )


def nsp_api(ctx: AppContext, sentence_a: str, sentence_b: str, model: str = "bert-base-uncased") -> NSPResult:
    """IsNext / NotNext probabilities from BERT's next-sentence head for [CLS] A [SEP] B [SEP]."""
    result = next_sentence(ctx.model(model, NSP_TASK), sentence_a, sentence_b)
    note = lab_head_note(ctx, model)  # a lab head: what it is and its held-out accuracy
    return dataclasses.replace(result, notices=(*result.notices, note)) if note else result
