"""The Pretraining lab, one room: train a small BERT, GPT and LSTM side by side on the same text, then measure the
direction test and the fine-tuning curve on the result.

Light (no torch; the page imports them when it is built):
    corpus.py     the built-in corpus, an uploaded or pasted one, the held-out gaps and the sentiment examples
    runs.py       the lab folder: atomic saves, the content check, CURRENT, the shipped pair, session runs
    sessions.py   which session trained which run (served to it alone as lab-bert@<run id> / lab-gpt@<run id>)
    settings.py   size presets, the run's bounds, defaults and validated settings, the progress it streams
    scoring.py    the direction test's result, tallied from each model's top-1 words
    finetune.py   the fine-tuning curve: pre-trained vs from scratch (and ULMFiT's three stages, a real checkpoint);
                  its bounds, the user's labelled lines, the result — the training itself is `transfer.py`
    slots.py      the hypothesis probe: do antonyms fill the same masked slots?
    study_results.py  the shipped study behind the fine-tuning defaults, read back for the tab
    handlers.py   what the tab and the JSON API call: a run per session, Stop, the direction test, fine-tuning
    paragraphs.py short paragraphs of the lab world and next-sentence pairs drawn from them
    heads.py      the lab heads (sentiment, next sentence, ELECTRA's discriminator): lab-bert taught one more
                  thing, scored on held-out data and added to a run (torch at import: reached as `lab.heads`)

Heavy (torch at their top; `handlers.py` reaches them at call time as `lab.pretrain`, `lab.networks`, …):
    networks.py   the three networks built with tokenizers trained on the corpus; a run loaded back
    lstm.py       the LSTM language model
    pretrain.py   the training run: the one-at-a-time queue, saving, the command line's report
    direction.py  the direction test: left- vs right-decided gaps, predicted by the models
    transfer.py   the fine-tuning recipes: full, frozen encoder, gradual unfreezing; LM fine-tuning
    study.py      the measured study behind the lab's defaults (`python -m playground.tasks.lab.study`)

The training loop itself is model-facing and lives in `playground/lm/training.py` (`lm/objectives.py`).
"""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"direction", "heads", "lstm", "networks", "pretrain", "slots", "transfer"})
