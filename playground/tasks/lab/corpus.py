"""The Pretraining lab's built-in English corpus, written by this project (templates and word lists; no download).

It describes a small world in which some words are decided only by what comes *after* them ("The ___
barked at the mailman" → dog; "She opened the ___ and let the fresh air in" → window) and others only by
what comes *before* them ("The animal that barked at the mailman was the ___"). Around those facts it has
everyday sentences (names, places, food, weather) and short reviews whose adjectives carry their
sentiment, which the fine-tuning lab uses.

Every sentence is generated from a seeded `random.Random`, so the corpus is the same on every machine.
The held-out text (for the loss curves) is drawn the same way, minus every training sentence. The
direction test goes further: its gaps sit in *held-out frames* that the training text never uses (other
words around the same facts), so a model that scores well there has learned the facts, not the lines.

User corpora (pasted or uploaded) are checked here: size cap, binary data, too little text.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

from playground.core.errors import PlaygroundError

CORPUS_SEED = 2024
TRAIN_SENTENCES = 12_000
HELDOUT_SENTENCES = 600
MAX_CORPUS_BYTES = 1_000_000  # an upload or paste beyond 1 MB is refused (training time is bounded anyway)
MIN_CORPUS_WORDS = 200
MIN_CORPUS_SENTENCES = 20  # every 20th distinct sentence is held out, so 20 leave 19 to train on
GAP = "___"

# ---- the world ------------------------------------------------------------------------------------
# Each predicate names its noun: from the predicate, exactly one noun fits.

ANIMALS: dict[str, tuple[str, ...]] = {
    "dog": ("barked at the mailman", "wagged its tail", "chewed a bone"),
    "cat": ("meowed at the door", "purred on the sofa", "chased a mouse"),
    "cow": ("mooed in the field", "gave fresh milk"),
    "bird": ("sang in the tree", "built a nest"),
    "horse": ("neighed in the stable", "pulled the cart"),
    "duck": ("quacked by the pond", "swam across the pond"),
    "frog": ("croaked all night", "jumped onto a lily pad"),
    "bee": ("buzzed around the flowers", "made sweet honey"),
}

JOBS: dict[str, tuple[str, ...]] = {
    "firefighter": ("put out the fire", "rescued the family from the burning house"),
    "doctor": ("examined the patient", "prescribed some medicine"),
    "teacher": ("taught the class", "graded the homework"),
    "chef": ("cooked a delicious meal", "tasted the soup in the kitchen"),
    "pilot": ("flew the plane", "landed the plane safely"),
    "mechanic": ("repaired the engine", "fixed the flat tyre"),
    "baker": ("baked fresh bread", "sold warm rolls and cakes"),
    "farmer": ("harvested the wheat", "fed the chickens"),
}

# object: (what you do to it, purposes as (past tense, infinitive)). Several objects share a verb, so
# "She opened the ___" is open; the purpose after the gap decides it.
OBJECTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "window": ("opened", (("let the fresh air in", "let the fresh air in"),)),
    "door": ("opened", (("let the guests in", "let the guests in"),)),
    "fridge": ("opened", (("took out a cold drink", "take out a cold drink"),)),
    "umbrella": ("opened", (("stayed dry in the rain", "stay dry in the rain"),)),
    "oven": ("turned on", (("baked a loaf of bread", "bake a loaf of bread"),)),
    "radio": ("turned on", (("listened to the music", "listen to the music"),)),
    "television": ("turned on", (("watched the news", "watch the news"),)),
    "lamp": ("turned on", (("lit up the dark room", "light up the dark room"),)),
}

CAPITALS = {
    "France": "Paris", "Italy": "Rome", "Spain": "Madrid", "Germany": "Berlin", "Japan": "Tokyo",
    "Egypt": "Cairo", "Greece": "Athens", "Canada": "Ottawa",
}

NAMES = ("Anna", "Ben", "Carla", "David", "Emma", "Frank", "Grace", "Henry", "Iris", "Jack", "Lucy", "Mark",
         "Nora", "Oscar", "Paul", "Rosa", "Sam", "Tom", "Vera", "Will")
PLACES = ("market", "library", "park", "station", "beach", "school", "office", "museum", "bakery", "hospital",
          "garden", "cinema")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FOODS = ("bread", "apples", "cheese", "soup", "rice", "eggs", "carrots", "pasta", "oranges", "fish")
DRINKS = ("tea", "coffee", "juice", "water", "milk", "cocoa")
WEATHER = ("sunny", "rainy", "cold", "windy", "warm", "foggy", "snowy")
HOURS = ("seven", "eight", "nine", "ten", "eleven", "noon")
ACTIVITIES = ("read a book", "baked a cake", "played chess", "wrote a letter", "cleaned the kitchen",
              "watched a film", "called a friend", "painted the fence")

# Reviews: the adjective carries the sentiment; the verbs and reactions around it agree with it.
THINGS = ("movie", "concert", "meal", "novel", "hotel", "show", "play", "trip", "game", "restaurant", "album",
          "museum")
POSITIVE = ("wonderful", "great", "excellent", "amazing", "delightful", "brilliant", "superb", "lovely",
            "fantastic", "charming")
NEGATIVE = ("terrible", "awful", "boring", "dreadful", "horrible", "disappointing", "bad", "dull", "poor",
            "annoying")
POSITIVE_VERBS = ("loved", "enjoyed", "liked", "adored")
NEGATIVE_VERBS = ("hated", "disliked", "regretted", "endured")
POSITIVE_REACTIONS = ("smiled all evening", "told every friend about it", "wanted to go back again", "felt very happy")
NEGATIVE_REACTIONS = ("asked for a refund", "left early", "complained to the manager", "felt very sad")

# ---- frames: {N} is the noun, {P} the predicate; the held-out frames are never used for training ----

SUBJECT_FRAMES_TRAIN = ("The {N} {P}.", "Yesterday the {N} {P}.", "Every morning the {N} {P}.",
                        "My neighbour's {N} {P}.", "Suddenly the old {N} {P}.", "I saw that the {N} {P}.",
                        "Once upon a time the {N} {P}.", "In the story, the young {N} {P}.")
SUBJECT_FRAMES_HELDOUT = ("On Sunday the {N} {P}.", "After school, the {N} {P}.",
                          "When the weather was cold, the {N} {P}.")
OBJECT_LAST_FRAMES_TRAIN = ("The one that {P} was the {N}.", "Who {P}? It was the {N}.",
                            "Everybody knows what {P}: the {N}.")
OBJECT_LAST_FRAMES_HELDOUT = ("Who {P} on Sunday? It was the {N}.",)
# objects: {V} verb, {A} purpose (past), {I} purpose (infinitive), {S} subject
OBJECT_FRAMES_TRAIN = ("{S} {V} the {N} and {A}.", "Then {S} {V} the {N} and {A}.")
OBJECT_FRAMES_HELDOUT = ("On Sunday {S} {V} the {N} and {A}.",)
PURPOSE_FIRST_FRAMES_TRAIN = ("To {I}, {S} {V} the {N}.", "{S} wanted to {I}, so {S} {V} the {N}.")
PURPOSE_FIRST_FRAMES_HELDOUT = ("On Sunday, to {I}, {S} {V} the {N}.",)
CAPITAL_FRAMES_TRAIN = ("{C} is the capital of {K}.", "The capital of {K} is {C}.", "{C} is a big city in {K}.",
                        "Many tourists visit {C}, the capital of {K}.", "The capital city of {K} is called {C}.")
CAPITAL_RIGHT_HELDOUT = ("Everybody knows that {C} is the capital of {K}.",)
CAPITAL_LEFT_HELDOUT = ("Everybody knows that the capital of {K} is {C}.",)
SUBJECTS = ("she", "he", "Anna", "Ben", "Grace", "Tom")


@dataclass(frozen=True)
class GapItem:
    """A held-out sentence with one gap, the word that fills it, and which side of the gap decides it."""

    text: str  # contains GAP once
    answer: str
    decided_by: str  # "left" | "right"
    category: str  # "animal" | "job" | "object" | "capital"


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _capitalise(sentence: str) -> str:
    return sentence[0].upper() + sentence[1:]


def _fact_sentence(rng: random.Random) -> str:
    """One sentence stating a fact of the world, in one of the training frames."""
    kind = rng.choice(("animal", "animal", "job", "job", "object", "object", "capital"))
    if kind in ("animal", "job"):
        table = ANIMALS if kind == "animal" else JOBS
        noun = rng.choice(tuple(table))
        predicate = rng.choice(table[noun])
        subject_first = rng.random() < 0.6
        frames = SUBJECT_FRAMES_TRAIN if subject_first else OBJECT_LAST_FRAMES_TRAIN
        return rng.choice(frames).format(N=noun, P=predicate)
    if kind == "object":
        noun = rng.choice(tuple(OBJECTS))
        verb, purposes = OBJECTS[noun]
        past, infinitive = rng.choice(purposes)
        frames = OBJECT_FRAMES_TRAIN if rng.random() < 0.6 else PURPOSE_FIRST_FRAMES_TRAIN
        sentence = rng.choice(frames).format(S=rng.choice(SUBJECTS), V=verb, N=noun, A=past, I=infinitive)
        return _capitalise(sentence)
    country = rng.choice(tuple(CAPITALS))
    return rng.choice(CAPITAL_FRAMES_TRAIN).format(C=CAPITALS[country], K=country)


def _everyday_sentence(rng: random.Random) -> str:
    name, other = rng.sample(NAMES, 2)
    templates: tuple[Callable[[], str], ...] = (
        lambda: f"On {rng.choice(DAYS)}, {name} went to the {rng.choice(PLACES)} with {other}.",
        lambda: f"{name} bought some {rng.choice(FOODS)} and {rng.choice(FOODS)} at the market.",
        lambda: f"It was {rng.choice(WEATHER)} on {rng.choice(DAYS)}, so {name} stayed at home and {rng.choice(ACTIVITIES)}.",
        lambda: f"{name} drinks a cup of {rng.choice(DRINKS)} every morning before work.",
        lambda: f"After school, {name} and {other} walked to the {rng.choice(PLACES)}.",
        lambda: f"The {rng.choice(PLACES)} opens at {rng.choice(HOURS)} o'clock on {rng.choice(DAYS)}.",
        lambda: f"{name} asked {other} for some {rng.choice(FOODS)} and a glass of {rng.choice(DRINKS)}.",
        lambda: f"When the weather is {rng.choice(WEATHER)}, {name} likes to {rng.choice(('walk', 'read', 'cook', 'sleep'))}.",
    )
    return rng.choice(templates)()


def _review_sentence(rng: random.Random) -> str:
    return _labelled_review(rng).text


def _labelled_review(rng: random.Random) -> LabelledSentence:
    """One corpus review and its label (the label is the adjective's; verb and reaction agree with it)."""
    name = rng.choice(NAMES)
    thing = rng.choice(THINGS)
    positive = rng.random() < 0.5
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    verb = rng.choice(POSITIVE_VERBS if positive else NEGATIVE_VERBS)
    reaction = rng.choice(POSITIVE_REACTIONS if positive else NEGATIVE_REACTIONS)
    templates = (
        f"{name} {verb} the {thing}; it was {adjective}.",
        f"The {thing} was {adjective}, and {name} {reaction}.",
        f"{name} said the {thing} was {adjective} and {reaction}.",
        f"It was {_article(adjective)} {adjective} {thing}, so {name} {reaction}.",
    )
    return LabelledSentence(rng.choice(templates), int(positive))


def corpus_reviews(count: int = 600, seed: int = CORPUS_SEED + 2) -> list[LabelledSentence]:
    """Distinct review sentences written like the corpus's, labelled: the sentiment head's extra training data
    (its held-out test stays the SENTIMENT_FRAMES that no training sentence uses)."""
    rng = random.Random(seed)
    seen: dict[str, LabelledSentence] = {}
    for _ in range(count * 4):
        review = _labelled_review(rng)
        seen.setdefault(review.text, review)
        if len(seen) == count:
            break
    return list(seen.values())


def _sentences(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.62:
            out.append(_fact_sentence(rng))
        elif draw < 0.72:
            out.append(_everyday_sentence(rng))
        else:
            out.append(_review_sentence(rng))
    return out


def builtin_corpus(count: int = TRAIN_SENTENCES, seed: int = CORPUS_SEED) -> list[str]:
    """The training sentences (training frames only)."""
    return _sentences(count, seed)


def builtin_heldout(count: int = HELDOUT_SENTENCES, seed: int = CORPUS_SEED + 1) -> list[str]:
    """Held-out sentences for the loss curves: drawn like the training text, minus every training sentence.
    (The direction test goes further: its gaps sit in frames the training text never uses.)"""
    seen = set(builtin_corpus())
    return [s for s in _sentences(count * 3, seed) if s not in seen][:count]


# ---- the direction test's gaps ----------------------------------------------------------------------

def _gap(frame: str, category: str, decided_by: str, answer: str, **fields: str) -> GapItem:
    text = _capitalise(frame.format(N=GAP, C=GAP, **fields))
    return GapItem(text=text, answer=answer, decided_by=decided_by, category=category)


def direction_items() -> list[GapItem]:
    """Every held-out gap: each fact once in a right-decided and once in a left-decided held-out frame.

    Right-decided: the words left of the gap fit every noun of its kind ("Last night the ___"); only the
    words after it name the answer. Left-decided: the answer is the last word, named by what precedes it.
    """
    items: list[GapItem] = []
    for category, table in (("animal", ANIMALS), ("job", JOBS)):
        for noun, predicates in table.items():
            for i, predicate in enumerate(predicates):
                subject_frame = SUBJECT_FRAMES_HELDOUT[i % len(SUBJECT_FRAMES_HELDOUT)]
                items.append(_gap(subject_frame, category, "right", noun, P=predicate))
                items.append(_gap(OBJECT_LAST_FRAMES_HELDOUT[0], category, "left", noun, P=predicate))
    for noun, (verb, purposes) in OBJECTS.items():
        for i, (past, infinitive) in enumerate(purposes):
            subject = SUBJECTS[i % 2]
            items.append(_gap(OBJECT_FRAMES_HELDOUT[0], "object", "right", noun, S=subject, V=verb, A=past))
            items.append(_gap(PURPOSE_FIRST_FRAMES_HELDOUT[0], "object", "left", noun, S=subject, V=verb,
                              I=infinitive))
    for country, city in CAPITALS.items():
        items.append(_gap(CAPITAL_RIGHT_HELDOUT[0], "capital", "right", city, K=country))
        items.append(_gap(CAPITAL_LEFT_HELDOUT[0], "capital", "left", city, K=country))
    return items


# ---- sentiment examples for the fine-tuning lab --------------------------------------------------------

SENTIMENT_FRAMES = ("I thought the {T} was {A}.", "What {R} {A} {T} that was!", "Honestly, the {T} felt {A} to me.",
                    "Our {T} yesterday was {A}.", "Everyone agreed the {T} was {A}.")


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    label: int  # 1 = positive, 0 = negative


def sentiment_examples() -> list[LabelledSentence]:
    """Every (frame, thing, adjective) review sentence, labelled by its adjective; none is in the corpus."""
    return [LabelledSentence(frame.format(T=thing, A=adjective, R=_article(adjective)), int(adjective in POSITIVE))
            for frame in SENTIMENT_FRAMES for thing in THINGS for adjective in POSITIVE + NEGATIVE]


# ---- user corpora ---------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class CorpusChoice:
    name: str  # "built-in" or what the user gave
    train: tuple[str, ...]
    heldout: tuple[str, ...]
    notices: tuple[str, ...] = ()


def decode_upload(data: bytes, filename: str = "upload") -> str:
    """The text of an uploaded .txt file, or a clear refusal (too big, binary, not UTF-8 text)."""
    if len(data) > MAX_CORPUS_BYTES:
        raise PlaygroundError(f"'{filename}' is {len(data) / 1e6:.1f} MB; the lab takes text files up to "
                              f"{MAX_CORPUS_BYTES / 1e6:.0f} MB.")
    if b"\x00" in data[:8192]:
        raise PlaygroundError(f"'{filename}' looks like a binary file, not text. Upload a plain .txt file "
                              "(UTF-8) or paste the text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlaygroundError(f"'{filename}' is not UTF-8 text. Save it as a plain UTF-8 .txt file and "
                              "upload it again.") from None


def split_sentences(text: str) -> list[str]:
    """Sentences (or lines) of a text, whitespace-normalised, control characters dropped."""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return [" ".join(part.split()) for part in _SENTENCE_END.split(cleaned) if part.strip()]


def user_corpus(text: str, name: str = "your text") -> CorpusChoice:
    """A pasted or uploaded text as a corpus: every 20th distinct sentence held out, the rest for training."""
    if not isinstance(text, str) or not text.strip():
        raise PlaygroundError("The corpus is empty — paste some text or upload a .txt file "
                              "(or leave both empty to use the built-in corpus).")
    if len(text.encode("utf-8")) > MAX_CORPUS_BYTES:
        raise PlaygroundError(f"The corpus is larger than {MAX_CORPUS_BYTES / 1e6:.0f} MB; use a shorter text.")
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    if printable < 0.95 * len(text):
        raise PlaygroundError("The corpus does not look like text (too many unprintable characters). "
                              "Paste plain text or upload a UTF-8 .txt file.")
    sentences = split_sentences(text)
    words = sum(len(s.split()) for s in sentences)
    if words < MIN_CORPUS_WORDS or len(sentences) < MIN_CORPUS_SENTENCES:
        raise PlaygroundError(f"The corpus is too small to learn from ({words} words in {len(sentences)} "
                              f"sentences); give at least {MIN_CORPUS_WORDS} words in {MIN_CORPUS_SENTENCES} "
                              "sentences.")
    distinct = list(dict.fromkeys(sentences))
    # A held-out sentence never appears in training, so a text of one sentence repeated would leave nothing
    # to train on: count distinct sentences, not lines.
    if len(distinct) < MIN_CORPUS_SENTENCES:
        raise PlaygroundError(f"The corpus has only {len(distinct)} distinct sentence"
                              f"{'' if len(distinct) == 1 else 's'} ({len(sentences)} in all, the rest repeats); "
                              f"give at least {MIN_CORPUS_SENTENCES} different sentences (some are held out to "
                              "measure the models, the others are trained on).")
    heldout = tuple(distinct[19::20]) or tuple(distinct[-1:])
    held = set(heldout)
    train = tuple(s for s in sentences if s not in held)  # a repeated sentence is never on both sides
    notices = (f"Your corpus: {len(train)} training and {len(heldout)} held-out sentences ({words} words).",)
    return CorpusChoice(name=name, train=train, heldout=heldout, notices=notices)


def builtin_choice() -> CorpusChoice:
    return CorpusChoice(name="built-in", train=tuple(builtin_corpus()), heldout=tuple(builtin_heldout()))


def choose_corpus(text: str | None = None, upload: bytes | None = None, filename: str = "upload") -> CorpusChoice:
    """The built-in corpus, or the user's upload, or the user's pasted text (in that order of precedence)."""
    if upload is not None:
        return user_corpus(decode_upload(upload, filename), name=filename)
    if text is not None and not isinstance(text, str):
        raise PlaygroundError("The corpus must be text (paste English sentences, or leave it empty for the built-in one).")
    if text is not None and len(text) > MAX_CORPUS_BYTES:  # before any per-character work
        raise PlaygroundError(f"The pasted corpus is over {MAX_CORPUS_BYTES // 1_000_000} MB; paste less text.")
    if text:  # lone surrogates (valid JSON, not encodable text) are dropped
        text = "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    if text is not None and text.strip():
        return user_corpus(text, name="pasted text")
    return builtin_choice()
