"""BERT vs GPT playground: task logic (no UI) for comparing encoder and decoder language models.

Importing this package is cheap on purpose: torch and transformers are imported by the modules
that need them, so the app can serve its page before any model is loaded.
"""

__version__ = "0.1.0"
