"""Training code for factdesk verification models (needs the `train` extra: torch, transformers, onnx)."""

import os

# Everything is trained from local files; never reach for the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
