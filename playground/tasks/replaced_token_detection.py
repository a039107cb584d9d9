"""ELECTRA's pre-training objective, live: replaced-token detection.

A generator — BERT, a masked LM — corrupts a sentence: ~15% of its word pieces are masked and each is refilled
with a token *sampled* from BERT's own prediction for that slot (one forward pass for all of them, a seeded
draw per slot). ELECTRA's discriminator then reads the corrupted sentence and gives, for every token, the
probability that it was replaced. As in ELECTRA's own labels, a slot where the generator happened to sample
the original token counts as original, not replaced (Clark et al. 2020, Section 2).

Choices here that ELECTRA's pre-training code does not make: the generator is a separate, full-size, frozen,
already trained BERT (ELECTRA trains a masked-LM generator, usually smaller, together with the discriminator;
`generator_identity` says so next to every result), special tokens ([CLS], [SEP], [MASK], [UNK], [PAD]) are never sampled,
so the corrupted sentence stays readable, and the selection is the masked-LM simulator's (a fixed
round(rate × maskable tokens), at least one, drawn without replacement with a seeded RNG).
The user's own sentence can also be judged as typed; then nobody knows which tokens are "really" replaced.
"""

from __future__ import annotations

import dataclasses

from dataclasses import dataclass
from typing import Any, Sequence

from playground.core.errors import PlaygroundError
from playground.core.text_input import clean_text
from playground.core.tokens import TokenizedText, display_piece, tokenize
from playground.core.types import LoadedModel
from playground.lm.masked_lm import lm_logits
from playground.models.vocabularies import sharing_vocabulary
from playground.tasks.cards import lab_head_note
from playground.tasks.context import AppContext
from playground.tasks.mlm_simulator import (FILL_TASK, MASKABLE_KINDS, check_mask_rate, check_seed, plan_masking,
                                            rate_from_percent)

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

RTD_TASK = "replaced-token-detection"  # the model it loads: ELECTRA's discriminator
DEFAULT_MASK_RATE = 0.15
THRESHOLD = 0.5  # a token is flagged as replaced when the discriminator gives it more than this
WHY_EVERY_TOKEN = (
    "ELECTRA's discriminator learns from every token — each one is an \"original or replaced?\" question with a "
    "known answer — while BERT's masked-LM loss covers only the ~15% of tokens it masked, so the same sentence "
    "gives ELECTRA a training signal at every position (Clark et al. 2020, Sections 1–2)."
)
EXAMPLE = "The chef cooked a delicious meal for the guests in the small restaurant."


@dataclass(frozen=True)
class TokenVerdict:
    position: int
    token: str  # what the discriminator read (readable piece)
    token_id: int
    kind: str  # token kind of the original token ("special", "word", ...)
    original: str | None  # the token before the generator's turn; None when nobody corrupted the sentence
    selected: bool  # masked and refilled by the generator
    replaced: bool | None  # differs from the original (None: the user's own sentence, truth unknown)
    probability_replaced: float  # the discriminator's sigmoid output for this token
    flagged: bool  # probability_replaced > threshold
    generator_probability: float | None  # BERT's probability of the token it sampled here


@dataclass(frozen=True)
class DetectionResult:
    discriminator: str
    generator: str | None  # None when the sentence was judged as typed
    text: str  # the sentence as given
    corrupted_text: str  # what the discriminator read, decoded
    corrupted: bool
    mask_rate: float | None
    seed: int | None
    tokens: tuple[TokenVerdict, ...]
    judged: int  # tokens the discriminator gives a verdict for: every one
    selected: int  # tokens the generator masked and refilled
    replaced: int  # of those, the ones that really changed
    caught: int | None  # replaced and flagged
    missed: int | None  # replaced, not flagged
    false_alarms: int | None  # original, flagged
    threshold: float = THRESHOLD
    why: str = WHY_EVERY_TOKEN
    generator_identity: str | None = None  # what the generator here is, next to what ELECTRA's was
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Corruption:
    input_ids: tuple[int, ...]  # the corrupted sentence
    positions: tuple[int, ...]  # the generator's slots
    sampled_probabilities: tuple[float, ...]  # per slot: the generator's probability of what it sampled


def check_same_vocabulary(generator: LoadedModel, discriminator: LoadedModel, offered: Sequence[str] = ()) -> None:
    """The generator writes token ids the discriminator reads, so both must spell tokens the same way. `offered`:
    the generators this mode offers that share the discriminator's vocabulary (the only ones the error suggests)."""
    if generator.tokenizer.get_vocab() != discriminator.tokenizer.get_vocab():
        fits = [name for name in offered if name != generator.name]
        advice = (f"Pick a generator with {discriminator.name}'s vocabulary: {' or '.join(fits)}." if fits else
                  f"None of the masked LMs offered here shares {discriminator.name}'s vocabulary; untick "
                  "\"Let BERT corrupt it first\" to judge the sentence as typed.")
        raise PlaygroundError(
            f"{generator.name} and {discriminator.name} have different vocabularies, so {generator.name}'s "
            f"tokens cannot be handed to the discriminator. {advice}")


def generator_choices(ctx: AppContext, discriminator: str) -> list[str]:
    """The masked LMs this mode offers that can be `discriminator`'s generator: those with its vocabulary."""
    return sharing_vocabulary(ctx.catalog, ctx.store.local_models, discriminator, ctx.profile.choices(FILL_TASK))


def default_generator(ctx: AppContext, discriminator: str | None = None) -> str:
    """The generator a tab and the API start with: the first offered masked LM that fits the discriminator."""
    fits = generator_choices(ctx, discriminator or ctx.profile.default(RTD_TASK))
    return fits[0] if fits else ctx.profile.default(FILL_TASK)


def corrupt(generator: LoadedModel, tokens: TokenizedText, rate: float, seed: int) -> Corruption:
    """Mask ~rate of the word pieces, let the generator predict them all in one pass, and sample each slot's
    replacement from its prediction (special tokens excluded), all seeded."""
    # deferred: torch; the page imports this task module, only the model pass needs torch
    import torch

    mask_id = generator.tokenizer.mask_token_id
    if mask_id is None:
        raise PlaygroundError(f"{generator.name} has no mask token, so it cannot act as ELECTRA's generator.")
    candidates = [t.position for t in tokens.tokens if t.kind in MASKABLE_KINDS]
    plan = plan_masking(tokens.input_ids, candidates, rate=rate, seed=seed, mask_id=mask_id, replacement_ids=(),
                        use_80_10_10=False)
    logits = lm_logits(generator, list(plan.input_ids))[0, list(plan.positions)].float()
    logits[:, list(generator.tokenizer.all_special_ids)] = float("-inf")
    probabilities = logits.softmax(-1)
    draws = torch.multinomial(probabilities, 1, generator=torch.Generator().manual_seed(seed))[:, 0]
    ids = list(tokens.input_ids)
    for position, token_id in zip(plan.positions, draws.tolist()):
        ids[position] = int(token_id)
    sampled = tuple(float(probabilities[i, t]) for i, t in enumerate(draws.tolist()))
    return Corruption(input_ids=tuple(ids), positions=plan.positions, sampled_probabilities=sampled)


def parameter_count(lm: LoadedModel) -> int:
    return sum(p.numel() for p in lm.model.parameters())


def generator_identity(generator: LoadedModel, discriminator: LoadedModel) -> str:
    """The generator as it is here — a full-size, frozen, already trained masked LM, counted live — next to
    ELECTRA's, a masked LM trained together with the discriminator (Clark et al. 2020, Sections 2
    and 3.2)."""
    g, d = parameter_count(generator), parameter_count(discriminator)
    return (f"The generator here is `{generator.name}`: a full-size, frozen, already trained masked LM ({g:,} "
            f"parameters, {g / d:.1f}× the discriminator's {d:,}); nothing is trained here. In ELECTRA the generator "
            "is a masked LM trained together with the discriminator, usually smaller (1/4–1/2 of its size worked best, "
            "Clark et al. 2020, Section 3.2), and only the discriminator is kept.")


def replaced_probabilities(discriminator: LoadedModel, input_ids: tuple[int, ...]) -> list[float]:
    """The discriminator's probability, for every token, that it is a replacement (sigmoid of its logit)."""
    # deferred: torch; the page imports this task module, only the model pass needs torch
    import torch

    with torch.inference_mode():
        logits = discriminator.model(input_ids=torch.tensor([list(input_ids)])).logits
    return [float(p) for p in logits.reshape(-1).float().sigmoid()]


def detect_replaced_tokens(discriminator: LoadedModel, text: str, generator: LoadedModel | None = None, *,
                           mask_rate: float = DEFAULT_MASK_RATE, seed: int = 0,
                           offered: Sequence[str] = ()) -> DetectionResult:
    """Judge every token of `text` with ELECTRA's discriminator; with a `generator`, corrupt the sentence first."""
    cleaned = clean_text(text)
    tokens = tokenize(discriminator, cleaned.text)
    notices = list(cleaned.notices) + list(tokens.notes)
    if cleaned.mask_count:
        notices.append("The discriminator reads [MASK] as an ordinary token; ELECTRA never sees one in its input, "
                       "because the generator has filled every mask before the discriminator reads the sentence.")
    corruption = None
    if generator is not None:
        check_same_vocabulary(generator, discriminator, offered)
        corruption = corrupt(generator, tokens, check_mask_rate(mask_rate), check_seed(seed))
    ids = corruption.input_ids if corruption else tuple(tokens.input_ids)
    probabilities = replaced_probabilities(discriminator, ids)
    sampled = dict(zip(corruption.positions, corruption.sampled_probabilities)) if corruption else {}
    verdicts = tuple(
        TokenVerdict(
            position=t.position, token=display_piece(discriminator.tokenizer, token_id), token_id=token_id,
            kind=t.kind, original=t.display if corruption else None, selected=t.position in sampled,
            replaced=(token_id != t.token_id) if corruption else None, probability_replaced=p,
            flagged=p > THRESHOLD, generator_probability=sampled.get(t.position))
        for t, token_id, p in zip(tokens.tokens, ids, probabilities))
    replaced = [v for v in verdicts if v.replaced]
    specials = set(discriminator.tokenizer.all_special_ids)
    return DetectionResult(
        discriminator=discriminator.name, generator=generator.name if generator else None, text=cleaned.text,
        corrupted_text=discriminator.tokenizer.decode([i for i in ids if i not in specials]),
        corrupted=corruption is not None, mask_rate=float(mask_rate) if corruption else None,
        seed=int(seed) if corruption else None, tokens=verdicts, judged=len(verdicts),
        selected=len(sampled), replaced=len(replaced),
        caught=sum(v.flagged for v in replaced) if corruption else None,
        missed=sum(not v.flagged for v in replaced) if corruption else None,
        false_alarms=sum(v.flagged and not v.replaced for v in verdicts) if corruption else None,
        generator_identity=generator_identity(generator, discriminator) if corruption else None,
        notices=tuple(notices))


# ---- handlers: context first, the result out (the JSON endpoint `replaced_tokens` serves replaced_tokens_api) --

def replaced_tokens_api(ctx: AppContext, text: str, corrupt: bool = True, mask_rate: float = 0.15, seed: int = 0,
                        model: str = "google/electra-small-discriminator",
                        generator: str = "bert-base-uncased") -> DetectionResult:
    """ELECTRA's discriminator: for every token of `text`, the probability that it was replaced. With corrupt,
    the generator (BERT) first masks mask_rate of the tokens and refills each with a token sampled from its
    prediction (seeded), so the result also says which tokens really were replaced."""
    loaded = ctx.models((model, RTD_TASK), *([(generator, FILL_TASK)] if corrupt else []))  # names every missing one
    result = detect_replaced_tokens(loaded[0], text, loaded[1] if corrupt else None, mask_rate=mask_rate, seed=seed,
                                    offered=generator_choices(ctx, model))
    note = lab_head_note(ctx, model)  # a lab head: what it is and its held-out score
    return dataclasses.replace(result, notices=(*result.notices, note)) if note else result


def replaced_tokens_percent(ctx: AppContext, text: str, corrupt: bool, rate_percent: Any, seed: Any, model: str,
                            generator: str) -> DetectionResult:
    """Replaced-token detection from the UI (mask rate in percent)."""
    return replaced_tokens_api(ctx, text, bool(corrupt), rate_from_percent(rate_percent), seed, model, generator)
