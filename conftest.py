"""Collection rules for the whole tree (doctests run over src/ too)."""

from __future__ import annotations

import importlib.util

# Training scripts need PyTorch, a training-time extra (`make train-deps`) that CI and users don't install.
_TRAINING = ["src/amane/vision/plates/train.py", "src/amane/vision/plates/train_letters.py"]
collect_ignore = [] if importlib.util.find_spec("torch") else _TRAINING
