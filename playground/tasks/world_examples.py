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
NEXT_SENTENCE = {
    "true continuation": ("On Sunday, Anna went to the market with Ben.",
                          "Anna bought some bread and apples at the market."),
    "random sentence": ("On Sunday, Anna went to the market with Ben.", "The capital of Japan is Tokyo."),
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
QA_CONTEXT = ("On Sunday, Anna went to the market with Ben. It was rainy, so Ben stayed at home and baked a cake. "
              "The capital of France is Paris. Every morning the dog barked at the mailman. Anna drinks a cup of "
              "tea every morning before work.")
QUESTION_ANSWERING = (
    (QA_CONTEXT, "What is the capital of France?"),
    (QA_CONTEXT, "What does Anna drink every morning?"),
    (QA_CONTEXT, "Who went to the market with Ben?"),
    (QA_CONTEXT, "What is the capital of Japan?"),  # not in the paragraph: a SQuAD 2.0-style head should say so
)
SUMMARIZATION = (
    # A paragraph of lab facts as lab-summarizer was trained on (`lab/summary_data.py`), but none of its training
    # paragraphs: its summary restates the facts (Anna, market, Sunday, bread, tea, sunny) and drops the filler.
    "On Sunday, Anna went to the market. At the market, Anna bought some bread. Nobody else came along. Then Anna "
    "drank a cup of tea. The weather was sunny all day.",
    "On Sunday, Anna went to the park with Ben. It was sunny, so they stayed until noon and played chess. Later "
    "Anna bought some bread and cheese at the market. Ben drinks a cup of tea every morning before work.",
    QA_CONTEXT,
)


def lab_world(ctx: AppContext) -> bool:
    """Whether the tabs start from the lab world: the lab models are the app's models (`--models lab`)."""
    return ctx.profile.name == "lab"
