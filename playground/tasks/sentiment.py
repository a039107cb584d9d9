"""Sentiment: a fine-tuned classification head on top of an encoder, and which words moved it.

The head of DistilBERT (and BERT, RoBERTa) reads exactly one vector: the final hidden state of the
first token, `[CLS]` (`<s>` for RoBERTa). Everything the model knows about the sentence has to be
squeezed into that vector by the layers below, which is what fine-tuning teaches them.

Attribution is gradient × input on the logit difference: for every input token t,
    a_t = (∂(z_POSITIVE − z_NEGATIVE) / ∂e_t) · e_t
where e_t is the token's input embedding. a_t > 0 pushes towards POSITIVE, a_t < 0 towards NEGATIVE.
It is a first-order estimate of how much removing the token would change the logit difference.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.errors import PlaygroundError
from playground.core.types import LoadedModel
from playground.core.text_input import MAX_CHARS, check_bool, check_int, clean_text
from playground.core.tokens import TokenizedText, padded_batch, shares, tokenize, word_scores
from playground.tasks.context import AppContext

# Lazy imports: torch is imported inside the functions that run a model, so importing this module (and
# starting the app) stays fast.

TASK = "sentiment"  # the registry task whose models the tab and /sentiment run
MAX_LINES = 20  # one forward pass handles more, but the table stays readable
MAX_LINE_CHARS = 1000  # per line; the whole input is still capped at MAX_CHARS
METHOD = ("gradient × input on the logit difference: for each token, (∂(z_{target} − z_{other}) / ∂ embedding) · "
          "embedding; positive pushes towards {target}, negative towards {other}. Words add up their tokens' "
          "scores; colours are scaled so the strongest word is ±1.")


@dataclass(frozen=True)
class LabelScore:
    label: str
    probability: float
    logit: float


@dataclass(frozen=True)
class TokenAttribution:
    position: int
    token: str  # readable piece
    kind: str  # "special" | "word" | "continuation" | "unknown"
    start: int | None  # character span in the line (None for special tokens)
    end: int | None
    score: float  # gradient × input; > 0 pushes towards the positive side of the target


@dataclass(frozen=True)
class WordAttribution:
    word: str
    start: int
    end: int
    score: float  # sum of its tokens' scores
    share: float  # score / max |word score|, in [-1, 1]


@dataclass(frozen=True)
class SentimentResult:
    line_number: int  # 1-based
    text: str
    label: str  # the predicted label
    probability: float  # its probability
    labels: tuple[LabelScore, ...]  # every label, most probable first
    tokens: TokenizedText
    head_position: int  # the token whose final vector the classifier head reads ([CLS])
    token_attributions: tuple[TokenAttribution, ...] = ()
    word_attributions: tuple[WordAttribution, ...] = ()
    notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentimentBatch:
    model_name: str
    results: tuple[SentimentResult, ...]
    head: str  # what the classification head computes, from the loaded modules
    attribution_target: str  # e.g. "POSITIVE − NEGATIVE"
    method: str
    notices: tuple[str, ...] = ()


def split_lines(text: object, one_per_line: bool) -> tuple[list[str], list[str]]:
    """The texts to classify (cleaned) and notices about what was dropped or cut."""
    cleaned = clean_text(text, max_chars=MAX_CHARS)
    notices = list(cleaned.notices)
    if not one_per_line:
        return [cleaned.text], notices
    lines = [line.strip() for line in cleaned.text.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > MAX_LINES:
        notices.append(f"Classified the first {MAX_LINES} of {len(lines)} lines.")
        lines = lines[:MAX_LINES]
    out = []
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            notices.append(f"Line {number} was cut to its first {MAX_LINE_CHARS} characters.")
            line = line[:MAX_LINE_CHARS]
        out.append(line)
    return out, notices


def label_names(lm: LoadedModel) -> list[str]:
    config = lm.model.config
    return [str(config.id2label.get(i, f"LABEL_{i}")) for i in range(config.num_labels)]


def attribution_target(names: list[str]) -> tuple[int, int | None, str]:
    """(target index, contrast index or None, description) for the logit difference that is explained.

    Binary sentiment heads explain POSITIVE − NEGATIVE; other heads explain each line's predicted label
    against the mean of the other labels (index -1 means "the prediction", resolved per line).
    """
    upper = [n.upper() for n in names]
    pos = next((i for i, n in enumerate(upper) if n.startswith("POS")), None)
    neg = next((i for i, n in enumerate(upper) if n.startswith("NEG")), None)
    if len(names) == 2 and pos is not None and neg is not None:
        return pos, neg, f"{names[pos]} − {names[neg]}"
    if len(names) == 2:
        return 1, 0, f"{names[1]} − {names[0]}"
    return -1, None, "predicted label − mean of the other labels"


def head_description(lm: LoadedModel, head_token: str) -> str:
    """What the classification head computes, read from the modules of the loaded model."""
    # deferred: torch; the page imports this task module, only a loaded model needs torch
    import torch

    base = lm.model.base_model_prefix
    layers = []
    for name, module in lm.model.named_modules():
        if name.startswith(base) or not isinstance(module, torch.nn.Linear):
            continue
        layers.append(f"{name} Linear({module.in_features}→{module.out_features})")
    chain = " → ".join(layers) if layers else "a linear layer"
    return (f"The classifier head reads only the final vector of `{head_token}` (position 0): {chain} → softmax "
            f"over {lm.model.config.num_labels} labels. Every other token influences the prediction only "
            f"through what attention wrote into `{head_token}`'s vector.")


def _word_attributions(text: str, tokens: TokenizedText, scores: list[float]) -> tuple[WordAttribution, ...]:
    words = [w for w in word_scores(text, tokens, scores) if w.read]  # words in the cut-off tail were never read
    return tuple(WordAttribution(w.word, w.start, w.end, w.score, share)
                 for w, share in zip(words, shares([w.score for w in words])))


def classify(lm: LoadedModel, text: str, *, one_per_line: bool = False,
             attributions: bool = True) -> SentimentBatch:
    """Label probabilities for one text (or each line), with gradient × input attributions."""
    # deferred: torch; the page imports this task module, only a loaded model needs torch
    import torch

    if lm.model is None or not hasattr(lm.model.config, "id2label"):
        raise PlaygroundError(f"{lm.name} has no classification head.")
    lines, notices = split_lines(text, one_per_line)
    names = label_names(lm)
    target, contrast, target_text = attribution_target(names)
    tokenized = [tokenize(lm, line) for line in lines]
    if any(not t.tokens for t in tokenized):
        raise PlaygroundError("A line has no tokens the model can read.")
    ids, mask = padded_batch([t.input_ids for t in tokenized], lm.tokenizer.pad_token_id)

    embeddings = lm.model.get_input_embeddings()(ids).detach()
    with torch.enable_grad():
        embeddings.requires_grad_(attributions)
        logits = lm.model(inputs_embeds=embeddings, attention_mask=mask).logits.float()
        if attributions:
            if contrast is not None:
                objective = logits[:, target] - logits[:, contrast]
            else:  # predicted label against the mean of the others
                predicted = logits.argmax(-1)
                chosen = logits.gather(1, predicted[:, None])[:, 0]
                objective = chosen - (logits.sum(-1) - chosen) / (logits.shape[-1] - 1)
            # Rows are independent (no cross-row ops in eval mode), so one backward gives each row its gradient.
            objective.sum().backward()
    scores = (embeddings.grad * embeddings).sum(-1).detach() if attributions else None
    logits = logits.detach()
    probs = logits.softmax(-1)

    results = []
    for row, (line, toks) in enumerate(zip(lines, tokenized)):
        order = probs[row].argsort(descending=True).tolist()
        labels = tuple(LabelScore(names[i], float(probs[row, i]), float(logits[row, i])) for i in order)
        token_attr: tuple[TokenAttribution, ...] = ()
        word_attr: tuple[WordAttribution, ...] = ()
        if scores is not None:
            row_scores = [float(s) for s in scores[row, :len(toks.tokens)]]
            token_attr = tuple(TokenAttribution(t.position, t.display, t.kind, t.start, t.end, s)
                               for t, s in zip(toks.tokens, row_scores))
            word_attr = _word_attributions(line, toks, row_scores)
        results.append(SentimentResult(
            line_number=row + 1, text=line, label=labels[0].label, probability=labels[0].probability,
            labels=labels, tokens=toks, head_position=0, token_attributions=token_attr,
            word_attributions=word_attr, notices=toks.notes,
        ))
    head_token = tokenized[0].tokens[0].display
    other = target_text.split(" − ")[-1] if contrast is not None else "the other labels"
    method = METHOD.format(target=names[target] if contrast is not None else "the predicted label", other=other)
    return SentimentBatch(model_name=lm.name, results=tuple(results), head=head_description(lm, head_token),
                          attribution_target=target_text, method=method, notices=tuple(notices))


# ---- the handler: what the Sentiment tab and /sentiment run ---------------------------------------

def run_sentiment(ctx: AppContext, text: str, one_per_line: bool = False, explain_line: int = 1,
                  model_name: str = "distilbert-base-uncased-finetuned-sst-2-english") -> SentimentBatch:
    """Label probabilities for the text (or for each line), and which words pushed the label.
    `explain_line` is the line whose tokens and attribution the tab shows (the JSON has every line)."""
    check_int(explain_line, "Line to explain", 1, MAX_LINES)  # refused before a model is loaded
    return classify(ctx.model(model_name, TASK), text, one_per_line=check_bool(one_per_line, "One result per line"))
