"""Static teaching content for the Models tab: the BERT-vs-GPT fact sheet and the timeline.

Plain data (no gradio). The "sizes" row of the fact sheet is computed from the model cards, so the
numbers shown there are the cards' numbers. Each row names the *topics* where the playground shows
the fact live; which tab shows a topic is the UI's business (`playground/ui/page.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.models.cards import CardCatalog

# Topics the playground demonstrates live, in the order a reader meets them.
TOPICS = ("compare", "masked-lm", "next-sentence", "next-token-steps", "tokenizers", "sentiment",
          "question-answering", "summarization", "assistant")


@dataclass(frozen=True)
class FactRow:
    aspect: str
    bert: str
    gpt: str
    topics: tuple[str, ...]  # where the playground demonstrates it live (TOPICS)
    try_it: str  # what to do there


FACT_ROWS: tuple[FactRow, ...] = (
    FactRow("Training objective",
            "Masked language modelling: hide ~15% of the tokens and predict them from both sides",
            "Autoregressive (causal) language modelling: predict the next token from the tokens on its left",
            ("masked-lm", "next-token-steps"), "run one masked-LM step and GPT-2's next-token steps on your own text"),
    FactRow("Sentence pairs",
            "Next-sentence prediction: is sentence B the real continuation of A? (`[CLS]` A `[SEP]` B `[SEP]`; "
            "half the Bs are random sentences from another document, so the topic often gives them away). "
            "BERT's ablation found it helped QNLI, MNLI and SQuAD (Devlin et al. 2019, Table 5); RoBERTa found "
            "that removing it, with inputs packed with full sentences from contiguous text, matched or slightly "
            "beat it (Liu et al. 2019, §4.2); ALBERT moved to sentence order",
            "No sentence-pair objective; one running text",
            ("next-sentence",), "give BERT a real and a random second sentence"),
    FactRow("Architecture",
            "Stack of Transformer **encoder** blocks (self-attention + feed-forward)",
            "Stack of Transformer **decoder** blocks (masked self-attention + feed-forward, no cross-attention)",
            ("compare",), "open “Attention masks and weights”: a full square vs a lower triangle"),
    FactRow("Context direction",
            "**Bidirectional** — every token sees every other token, left and right",
            "**Left-to-right** — token *t* sees only tokens ≤ *t*",
            ("compare",), "“Context direction”: words right of the gap move BERT's prediction, never GPT-2's"),
    FactRow("Parallel or sequential",
            "Parallel everywhere: training and inference read every position in one pass (no generation); a "
            "changed or added token means reading the whole text again",
            "Parallel in training (the causal mask lets one pass predict every position) and when reading the "
            "prompt (one pass, filling the KV cache); **sequential only when generating**: one pass per new "
            "token, each reusing the cached keys and values",
            ("compare", "next-token-steps"), "“Let GPT-2 keep writing” in Compare, then generate step by step"),
    FactRow("Token masking",
            "`[MASK]` replaces input tokens during pre-training (of the chosen 15%: 80% `[MASK]`, 10% random, "
            "10% unchanged)",
            "No `[MASK]` token: the *attention* mask hides future positions instead",
            ("masked-lm", "compare"), "see which tokens get masked, replaced or kept"),
    FactRow("Tokenizer and special tokens",
            "WordPiece (30,522 pieces); `[CLS]` first position (read by classification heads), `[SEP]` separator, "
            "`##` continues a word, `[UNK]` replaces a whole word it cannot spell",
            "Byte-level BPE (50,257 pieces); only `<\\|endoftext\\|>`; a leading space is part of the token",
            ("tokenizers",), "the same text through WordPiece, byte-level BPE and a unigram model trained with the "
            "SentencePiece toolkit (a toolkit for unigram or BPE models over raw text, not a third algorithm)"),
    FactRow("Output",
            "One vector per token; a classification head reads `[CLS]`'s vector (a sentence summary only after "
            "fine-tuning, Devlin et al. 2018, §3.1), token vectors feed tagging and QA heads",
            "A probability distribution over the next token, sampled again and again to generate",
            ("compare",), "the prediction bars on both sides, then “Let GPT-2 keep writing”"),
    FactRow("Typical uses",
            "Classification, sentiment, named-entity recognition, extractive question answering, search",
            "Text generation, completion, dialogue, code, few-shot prompting",
            ("sentiment", "question-answering", "compare"),
            "encoders fine-tuned on SST-2 and SQuAD; GPT-2 writing in Compare"),
    FactRow("Training stages",
            "Pre-training (masked LM + NSP) → optionally unsupervised (language-model) fine-tuning: more masked "
            "LM on the task's own unlabelled text → supervised fine-tuning on labels, the whole network plus a "
            "small head (freezing the encoder and training only the head — the computer-vision analogy of "
            "fixed ImageNet features — is a different, usually weaker recipe)",
            "Pre-training (next token) → optionally unsupervised (language-model) fine-tuning on the task's own "
            "text (ULMFiT's second stage) → supervised fine-tuning (GPT-1 kept the LM loss as an auxiliary "
            "objective); for assistants: SFT → reward model → preference tuning (RLHF/DPO)",
            ("sentiment", "assistant"), "a supervised fine-tuned encoder in Sentiment; pre-trained vs from scratch in "
            "the lab; the lab GPT taken through SFT → reward model → DPO in GPT → Assistant"),
    FactRow("From GPT to ChatGPT (RLHF)",
            "The judge: a reward model reads a question with an answer and gives one score, trained on "
            "chosen / rejected answer pairs (Bradley–Terry). InstructGPT's was a 6B GPT; here lab-bert with a "
            "scalar head plays it — an encoder reads the whole answer at once",
            "Alignment after pre-training: SFT → reward model → preference tuning (RLHF/DPO). Supervised "
            "fine-tuning on demonstrations (SFT), a reward model from people's comparisons, then the policy "
            "optimised against it with PPO (InstructGPT, Ouyang et al. 2022: labellers preferred the 1.3B "
            "InstructGPT to the 175B GPT-3) — or DPO (Rafailov et al. 2023), which tunes on the preference pairs "
            "directly, with no separate reward model at training time",
            ("assistant",), "run base → SFT → reward model → DPO on the lab GPT, judge answers yourself, read the "
            "report card"),
    FactRow("Encoder + decoder together",
            "An encoder reads the whole document in both directions…",
            "…and a decoder writes the output left to right, attending to it (Pegasus, T5, BART)",
            ("summarization",), "summarise a paragraph with Pegasus"),
)

def _fmt(n: int) -> str:
    return f"{n / 1e9:g}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def short_name(card) -> str:
    """"BERT base (uncased)" -> "BERT base"; a card may set `short_name` itself."""
    return str(card.extra.get("short_name") or card.display_name.split(" (")[0].split(":")[0]).strip()


def sizes_row(catalog: CardCatalog) -> FactRow:
    """Parameter counts of the BERT-family encoders and GPT-family decoders, from their cards."""
    def listing(family: str, kind: str) -> str:
        cards = sorted((c for c in catalog.cards if c.family == family and c.architecture_kind == kind
                        and c.parameters and not c.is_fine_tuned), key=lambda c: c.parameters)
        return ", ".join(f"{short_name(c)} {_fmt(c.parameters)}" for c in cards) or "—"

    return FactRow("Sizes (from the model cards)", listing("BERT", "encoder"), listing("GPT", "decoder"),
                   (), "the table above, and “Measure on this machine” in the variant chooser below")


def fact_sheet(catalog: CardCatalog) -> tuple[FactRow, ...]:
    """The fact sheet's rows: the fixed facts, then the sizes from the cards."""
    return (*FACT_ROWS, sizes_row(catalog))


@dataclass(frozen=True)
class TimelineEvent:
    year: int
    title: str
    note: str
    citation: str
    kind: str  # "recurrent" | "attention" | "encoder" | "decoder" | "alignment" — colour in the figure
    card: str | None = None  # slug of the model card that describes it, if any


TIMELINE: tuple[TimelineEvent, ...] = (
    TimelineEvent(1986, "RNN", "a hidden state carried from word to word, trained by backpropagation through time",
                  "Rumelhart, Hinton & Williams 1986; Elman 1990", "recurrent"),
    TimelineEvent(1997, "LSTM", "gated memory cells keep gradients alive over long sequences",
                  "Hochreiter & Schmidhuber 1997", "recurrent"),
    TimelineEvent(2014, "GRU", "a simpler gated unit with two gates",
                  "Cho et al. 2014", "recurrent"),
    TimelineEvent(2014, "Encoder–decoder", "one RNN reads the input into a vector, another writes the output",
                  "Sutskever, Vinyals & Le 2014; Cho et al. 2014", "recurrent"),
    TimelineEvent(2015, "Attention", "the decoder looks back at every encoder state instead of one vector",
                  "Bahdanau, Cho & Bengio 2015 (arXiv 2014)", "attention"),
    TimelineEvent(2017, "Transformer", "attention only, no recurrence: every position processed in parallel in training "
                  "(a decoder still generates one token at a time)",
                  "Vaswani et al. 2017", "attention"),
    TimelineEvent(2017, "RLHF", "a reward model learned from human comparisons, and a policy optimised against it "
                  "(Atari games, simulated robots)", "Christiano et al. 2017", "alignment"),
    TimelineEvent(2018, "ULMFiT", "pre-train a language model, then fine-tune it for each task (LSTM)",
                  "Howard & Ruder 2018", "recurrent", "history--ulmfit"),
    TimelineEvent(2018, "ELMo", "contextual word vectors from a bidirectional LSTM language model (a forward and a "
                  "backward LSTM, concatenated)", "Peters et al. 2018", "recurrent", "history--elmo"),
    TimelineEvent(2018, "GPT", "the same recipe with a Transformer decoder, left to right",
                  "Radford et al. 2018", "decoder", "history--gpt-1"),
    TimelineEvent(2018, "BERT", "a Transformer encoder pre-trained with masked tokens: bidirectional",
                  "Devlin et al. 2018", "encoder", "bert-base-uncased"),
    TimelineEvent(2019, "GPT-2", "a bigger decoder on WebText; zero-shot tasks emerge",
                  "Radford et al. 2019", "decoder", "gpt2"),
    TimelineEvent(2019, "BERT variants", "RoBERTa, XLM, DistilBERT, ALBERT, TinyBERT; ELECTRA (2020)",
                  "Liu et al.; Lample & Conneau; Sanh et al.; Lan et al.; Jiao et al.; Clark et al.", "encoder",
                  "roberta-base"),
    TimelineEvent(2019, "Megatron-LM", "an 8.3B-parameter GPT-2-style decoder, each layer split across GPUs",
                  "Shoeybi et al. 2019", "decoder", "history--megatron-lm"),
    TimelineEvent(2020, "GPT-3", "175B parameters; tasks by prompting with a few examples",
                  "Brown et al. 2020", "decoder", "history--gpt-3"),
    TimelineEvent(2022, "Instruction tuning + RLHF", "RLHF (from 2017) applied to following instructions: SFT on "
                  "demonstrations, then a reward model and PPO (InstructGPT, 1.3B–175B; the published method "
                  "behind ChatGPT-style assistants; run the same stages on the lab GPT in GPT → Assistant)",
                  "Ouyang et al. 2022", "alignment", "history--instructgpt-rlhf"),
)

# Which timeline colours an architecture kind may take (cards.ARCHITECTURE_KINDS -> TimelineEvent.kind).
# "alignment" is a training method, not an architecture, so any decoder card may carry it.
_TIMELINE_KINDS = {"encoder": ("encoder",), "decoder": ("decoder", "alignment"), "lstm": ("recurrent",),
                   "encoder-decoder": ("attention",)}


def timeline_problems(catalog: CardCatalog, events: tuple[TimelineEvent, ...] = TIMELINE) -> list[str]:
    """Events whose colour contradicts their model card's architecture (empty list = consistent)."""
    problems = []
    for e in events:
        card = catalog.by_slug(e.card) if e.card else None
        if e.card and card is None:
            problems.append(f"{e.title}: no model card {e.card!r}")
        elif card and e.kind not in _TIMELINE_KINDS.get(card.architecture_kind, ()):
            problems.append(f"{e.title}: drawn as {e.kind!r}, but its card {card.slug} has architecture "
                            f"{card.architecture_kind!r}")
    return problems
