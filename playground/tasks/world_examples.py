"""Every tab's default input and examples in the lab world, used when the lab models are active
(`python app.py --models lab`); the other modes keep each tab's real-world examples (Tesla, a harbour road…).

The lab models know only the small world of the lab corpus (`playground/tasks/lab/corpus.py`): a sentence about
Tesla gives them noise. These are sentences a teacher would pick from that world: its facts, its everyday
sentences and its reviews, mostly in the corpus's *held-out* frames ("After school, the …", "On Sunday …"), so a
right answer shows what the model learned, not a line it memorised. The first example of each tab is its
default, and `tests/test_world_examples.py` checks that lab-bert / lab-gpt answer the defaults right: Compare's
gap is filled with the word the world says, the masked-LM simulator recovers every slot on its default seed.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.tasks.context import AppContext
from playground.tasks.lab.corpus import ANIMALS, OBJECTS, SUBJECT_FRAMES_HELDOUT


@dataclass(frozen=True)
class GapExample:
    """A sentence with one gap and the word the lab world puts there."""

    text: str
    answer: str


# Compare: the first gap is decided only by the words to its right (BERT reads them, GPT-2 cannot); the third only
# by the words to its left, so both models can get it.
COMPARE = (
    GapExample(SUBJECT_FRAMES_HELDOUT[1].format(N="[MASK]", P=ANIMALS["dog"][1]), "dog"),
    GapExample(f"On Sunday she {OBJECTS['window'][0]} the [MASK] and let the fresh air in.", "window"),
    GapExample("Who croaked all night on Sunday? It was the [MASK].", "frog"),
    GapExample(SUBJECT_FRAMES_HELDOUT[0].format(N="[MASK]", P=ANIMALS["bird"][0]), "bird"),
    GapExample("On Sunday Tom opened the [MASK] and stayed dry in the rain.", "umbrella"),
)
# The masked-LM simulator: on seed 0 and 15 %, lab-bert recovers every selected slot of the first text.
MASKED_LM = ("After school, the dog barked at the mailman. After school, the chef cooked a delicious meal.",
             "On Sunday she opened the window and let the fresh air in.")
# Next-sentence prediction: pairs of the kind lab-nsp was trained on (sentences of one lab paragraph, or one from
# another paragraph), neither of them a training pair.
NEXT_SENTENCE = {
    "true continuation": ("On Sunday, Anna went to the market.", "At the market, Anna bought some bread."),
    "random sentence": ("On Sunday, Anna went to the market.", "Tokyo is the capital of Japan."),
}
REPLACED_TOKENS = "On Sunday the chef tasted the soup in the kitchen."
STEP_PROMPTS = ("Who croaked all night on Sunday? It was the", "Every morning the dog", "Anna loved the movie; it was")
WRITING_PROMPTS = ("On Sunday the dog", "It was rainy on Monday, so Anna", "The capital of Italy is")
TOKENIZERS = ("After school, the dog wagged its tail and the frog croaked all night.",
              "Tom hated the concert; it was dreadful, so he asked for a refund.")
SENTIMENT = (
    ("Anna loved the movie; it was wonderful, and she told every friend about it.", False),
    ("The concert was dreadful, and Ben asked for a refund.\nIt was a charming hotel, so Rosa wanted to go back "
     "again.\nSam said the album was boring and left early.", True),
)
# Question answering: a paragraph of three lab facts as lab-qa was trained on, questions in its held-out frames.
# The last is not answered by the paragraph (it names no capital of Japan): lab-qa recognises about 80 % of such
# held-out questions (its card note says so); it still misses some that ask about another person ("What drink did
# Tom have?" → "tea").
QA_CONTEXT = ("On Sunday, Anna went to the market. There Anna bought some bread. Then Anna drank tea. Paris is the "
              "capital of France. The dog barked at the mailman.")
QUESTION_ANSWERING = (
    (QA_CONTEXT, "Tell me the capital of France."),
    (QA_CONTEXT, "What drink did Anna have?"),
    (QA_CONTEXT, "Tell me which animal barked at the mailman."),
    (QA_CONTEXT, "What city is the capital of Japan?"),  # not in the paragraph: a SQuAD 2.0-style head says so
)
QA_ANSWERS = ("Paris", "tea", "dog", None)  # None: "no answer in the context"
SUMMARIZATION = (
    # A paragraph of lab facts as lab-summarizer was trained on (`lab/summary_data.py`), but none of its training
    # paragraphs: its summary restates the facts (Anna, market, Sunday, bread, tea, sunny) and drops the filler.
    "On Sunday, Anna went to the market. At the market, Anna bought some bread. Nobody else came along. Then Anna "
    "drank a cup of tea. The weather was sunny all day.",
    # two held-out paragraphs (`summary_examples(…, "heldout", …)`): a show and an evening, fillers to drop
    "On Saturday, Sam went to the school. Everyone was busy. Later Sam saw the album and said it was excellent. The "
    "weather was cold all day. In the evening Sam called a friend. The streets were quiet.",
    "On Wednesday, Oscar went to the beach. At the beach, Oscar bought some eggs. In the evening Oscar cleaned the "
    "kitchen. Nobody else came along.",
)


def lab_world(ctx: AppContext) -> bool:
    """Whether the tabs start from the lab world: the lab models are the app's models (`--models lab`)."""
    return ctx.profile.name == "lab"
