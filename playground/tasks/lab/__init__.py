"""The Pretraining lab, one room: train a small BERT, GPT and LSTM side by side on the same text, then measure the
direction test and the fine-tuning curve on the result.

    corpus.py     the built-in corpus, an uploaded or pasted one, the held-out gaps and the sentiment examples
    networks.py   size presets; the three networks built with tokenizers trained on the corpus; a run loaded back
    lstm.py       the LSTM language model (torch at import: the others import it lazily)
    runs.py       the lab folder: atomic saves, the content check, CURRENT, the shipped pair, session runs
    sessions.py   which session trained which run (served to it alone as lab-bert@<run id> / lab-gpt@<run id>)
    pretrain.py   the training run: settings, progress, the one-at-a-time queue, the command line's report
    direction.py  the direction test: left- vs right-decided gaps
    finetune.py   the fine-tuning curve: pre-trained vs from scratch (and ULMFiT's three stages, a real checkpoint)
    transfer.py   the fine-tuning recipes: full, frozen encoder, gradual unfreezing; LM fine-tuning (torch at import)
    study.py      the measured study behind the lab's defaults and its shipped results (`python -m playground finetune-study`)
    handlers.py   what the tab and the JSON API call: a run per session, Stop, the direction test, fine-tuning

The training loop itself is model-facing and lives in `playground/lm/training.py` (`lm/objectives.py`).
"""

from playground.core.lazy import lazy_submodules

# torch at import: reached as `lab.transfer` / `lab.lstm` at call time, so the page is built without torch
__getattr__, __dir__ = lazy_submodules(__name__, {"transfer", "lstm"})
