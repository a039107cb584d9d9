"""The Compare tab's whole computation: one sentence through BERT and GPT-2 side by side.

- `words`: the sentence's words, and the tokens each model reads every word as;
- `attention`: what the attention controls draw (masks seen from one word, one layer and head) and the attention
  of every layer and head a session keeps, so the controls redraw without reading the models again;
- `reading`: the comparison itself, streamed in stages (`stream_compare`) or at once (`compare`);
- `handlers`: the app context and the tab's or a script's inputs → those results (the tab's JSON endpoints).

Everything the tab uses is re-exported here, with the few names from `lm` and `models` its layout and views
need (the influence methods, the generation limit, fast mode's label and note, the result types it formats),
so the UI reads the Compare task through this package alone.
"""

from playground.lm.attention import AttentionMap
from playground.lm.causal_lm import NextTokenResult
from playground.lm.generation import MAX_NEW_TOKENS, GenerationResult
from playground.lm.influence import GRADIENT, OCCLUSION, InfluenceResult
from playground.lm.masked_lm import FillMaskResult, WordProbability
from playground.models.fast_mode import FAST_MODE_LABEL, fast_mode_note
from playground.tasks.compare.attention import (AttentionComparison, AttentionMask, AttentionSource, HeadSummary,
                                                attention_from, attention_mask, head_summary, word_masks)
from playground.tasks.compare.handlers import (FILL_TASK, GEN_TASK, attention_to_export, fill_mask_api,
                                               next_token_api, redraw_attention, run_attention, run_compare,
                                               run_compare_stages, run_generate, tokenize_api)
from playground.tasks.compare.reading import (CONTINUATION_TOKENS, FAST_NOTICE, STAGES, CompareResult, CompareStage,
                                              attention_source, compare, compare_attention, stream_compare)
from playground.tasks.compare.words import SentenceWord, first_gap, sentence_words

__all__ = [
    "AttentionComparison", "AttentionMap", "AttentionMask", "AttentionSource", "CONTINUATION_TOKENS",
    "CompareResult", "CompareStage", "FAST_MODE_LABEL", "FAST_NOTICE", "FILL_TASK", "FillMaskResult", "GEN_TASK",
    "GRADIENT", "GenerationResult", "HeadSummary", "InfluenceResult", "MAX_NEW_TOKENS",
    "NextTokenResult", "OCCLUSION", "STAGES", "SentenceWord", "WordProbability", "attention_from",
    "attention_mask", "attention_source", "attention_to_export", "compare", "compare_attention", "fast_mode_note",
    "fill_mask_api", "first_gap", "head_summary", "next_token_api", "redraw_attention", "run_attention", "run_compare",
    "run_compare_stages", "run_generate", "sentence_words", "stream_compare", "tokenize_api", "word_masks",
]
