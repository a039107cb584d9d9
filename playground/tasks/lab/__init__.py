"""The Pretraining lab, one room: train a small BERT, GPT and LSTM side by side on the same text, then measure the
direction test and the fine-tuning curve on the result.

    corpus.py     the built-in corpus, an uploaded or pasted one, the held-out gaps and the sentiment examples
    networks.py   size presets; the three networks built with tokenizers trained on the corpus; a run loaded back
    lstm.py       the LSTM language model (torch at import: the others import it lazily)
    runs.py       the lab folder: atomic saves, the content check, CURRENT, the shipped pair, session runs
    sessions.py   which session trained which run (served to it alone as lab-bert@<run id> / lab-gpt@<run id>)
    pretrain.py   the training run: settings, progress, the one-at-a-time queue, the command line's report
    direction.py  the direction test: left- vs right-decided gaps
    finetune.py   the fine-tuning curve: pre-trained vs from scratch (and a real checkpoint)
    handlers.py   what the tab and the JSON API call: a run per session, Stop, the direction test, fine-tuning
    paragraphs.py short paragraphs of the lab world and next-sentence pairs drawn from them
    heads.py      the lab heads (sentiment, next sentence, ELECTRA's discriminator): lab-bert taught one more
                  thing, scored on held-out data and added to a run (torch at import: reached as `lab.heads`)

The training loop itself is model-facing and lives in `playground/lm/training.py` (`lm/objectives.py`).
"""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"heads"})
