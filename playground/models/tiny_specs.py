"""What the tiny models are made of: their shrunken sizes per config class and the small corpora their
tokenizers are trained on. Plain data, shared by `tiny.py` (the cache), `tiny_build.py` (the builder) and
`architecture_specs.py` (tiny twins of the real configs)."""

from __future__ import annotations

from typing import Any

MAX_POSITIONS = 64

# Shrunken sizes per config class: the real model classes and code paths, a few thousand parameters. The
# tiny build pairs them with its own tokenizers; `architectures.py` with the real configs (tiny twins).
_SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
TINY_SIZES: dict[str, dict[str, Any]] = {
    "BertConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS),
    "RobertaConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS + 2),  # 2 positions reserved for padding
    "XLMRobertaConfig": dict(_SMALL, max_position_embeddings=MAX_POSITIONS + 2),
    "DistilBertConfig": dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=MAX_POSITIONS),
    "AlbertConfig": dict(_SMALL, embedding_size=16, max_position_embeddings=MAX_POSITIONS),
    "ElectraConfig": dict(_SMALL, embedding_size=16, max_position_embeddings=MAX_POSITIONS),
    "GPT2Config": dict(n_embd=32, n_layer=2, n_head=2, n_positions=MAX_POSITIONS),
    "PegasusConfig": dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=MAX_POSITIONS),
}

CORPUS = [
    "Tesla is an American electric vehicle and clean energy company headquartered in Austin, Texas.",
    "Tesla was founded in 2003 by Martin Eberhard and Marc Tarpenning.",
    "I am a data scientist who loves to work with ML, DL and NLP, and I know how to design a data pipeline.",
    "BERT reads the whole sentence at once and predicts the masked words from both sides.",
    "GPT predicts the next word from the words on its left, one token at a time.",
    "The movie was wonderful, the acting was great and I loved every minute of it.",
    "The food was terrible, the service was slow and I will never go back.",
    "Paris is the capital of France. The cat sat on the mat. Machine learning models learn from data.",
    "Question answering models find the answer span inside a context paragraph.",
    "Pegasus is trained to generate the gap sentences that were removed from a document.",
    "Transformers use attention to let every token look at other tokens in the sequence.",
    "Who founded Tesla? Where is it headquartered? What does the company make?",
    "She walked to the store, bought some bread and milk, and then went home happily.",
    "Language models are unsupervised multitask learners trained on large amounts of text.",
    "unbelievable tokenization playground encoder decoder bidirectional autoregressive",
]

# Only XLM-R's tokenizer learns these (the others stay English-only), so Hindi is [UNK] to the tiny BERT's
# WordPiece and pieces to XLM-R's. The real bert-base-uncased has single Devanagari characters: its
# normaliser drops the virama and several vowel signs, and what is left becomes pieces, not [UNK].
MULTILINGUAL_CORPUS = [
    "Paris est la capitale de la France. Le chat est assis sur le tapis.",
    "Tesla est une entreprise américaine de véhicules électriques basée à Austin, au Texas.",
    "BERT lit toute la phrase et prédit les mots masqués des deux côtés.",
    "पेरिस फ्रांस की राजधानी है। बिल्ली चटाई पर बैठी है।",
    "टेस्ला एक अमेरिकी इलेक्ट्रिक वाहन कंपनी है जिसका मुख्यालय ऑस्टिन, टेक्सास में है।",
    "भाषा मॉडल बहुत सारे पाठ से सीखते हैं और अगले शब्द का अनुमान लगाते हैं।",
]
