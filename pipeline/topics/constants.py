"""Tuning constants of the topic models (see the package docstring for why each value)."""


#: Bumped whenever a change here can change the topics of a seeded run (part of model_run_id).
ALGORITHM_VERSION = "blogscope-topics-1"
COHERENCE_TOP_N = 10
DIVERSITY_TOP_N = 25
STORED_TOP_N = 20
LABEL_TERMS = 3
REPRESENTATIVE_DOCS = 5
SELECTION_TIE = 0.01
ALIGN_THRESHOLD = 0.5
WARM_START_TOLERANCE = 0.005  # relative reconstruction error a warm start may lose to a cold restart
MODEL_KINDS = ("nmf", "lda")
#: Topic backends: "classic" is NMF / LDA over terms (the default, no extra needed); "embeddings"
#: clusters sentence vectors (the optional extra, see pipeline/topics/embedding_model.py).
BACKENDS = ("classic", "embeddings")
