"""GPT → Assistant: the last steps of the story, live on the lab models — supervised instruction fine-tuning (SFT)
of lab-gpt, a reward model (lab-bert with a scalar head, Bradley–Terry), and preference tuning (DPO).

    data.py       instruction pairs and preference pairs from the lab world (held-out question frames), the
                  user's own pairs, exact match and token F1
    sft.py        the loss mask (response tokens only), SFT, greedy answers and their scores   (torch at import)
    reward.py     the reward model, its pair accuracy, best-of-n                              (torch at import)
    dpo.py        the DPO loss, DPO training, KL from the SFT model, win rates               (torch at import)
    pipeline.py   one run end to end (SFT → reward model → DPO) and its report card          (torch at import)
    shipped.py    the shipped checkpoints' folder and manifest check (lab-gpt-sft, lab-gpt-dpo, lab-reward)
    checkpoints.py  saving them and loading them back                                         (torch at import)
    ship.py       `python -m playground assistant`: the default run, saved as the shipped checkpoints
    lora.py       SFT of a downloaded gpt2 as a LoRA adapter (peft), within a time budget   (torch at import)
    handlers.py   what the tab and the JSON API call: validated input, the lab's job queue, per-session models

The heavy modules are imported on first use (`playground/core/lazy.py`), so building the page imports no torch.
"""

from playground.core.lazy import lazy_submodules

__getattr__, __dir__ = lazy_submodules(__name__, {"sft", "reward", "dpo", "pipeline", "checkpoints", "lora", "ship"})
