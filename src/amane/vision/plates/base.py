"""What every plate OCR engine returns, and the protocol it implements.

An engine reads one plate crop (BGR, roughly cut around the plate) into a :class:`PlateRead`:
normalised text, an overall confidence and per-character confidences (used by per-track voting).

>>> r = PlateRead("57626ب8", 0.9, (0.99, 0.98, 0.97, 0.99, 0.95, 0.9, 0.99))
>>> r.text, r.confidence
('57626ب8', 0.9)
>>> PlateRead.empty().text
''
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy.typing as npt

Image = npt.NDArray[Any]
"""A uint8 image, BGR (H, W, 3) or grey (H, W); typed loosely since OpenCV returns untyped arrays."""


@dataclass(frozen=True)
class PlateRead:
    """One reading of one plate."""

    text: str
    """Normalised (see :func:`amane.core.plates.normalize_plate`), left to right as on the plate."""
    confidence: float
    """In [0, 1]: the product-like confidence of the whole string."""
    char_confidences: tuple[float, ...] = field(default=())
    """One value per character of ``text`` (may be empty when the engine gives none)."""
    engine: str = ""

    def __post_init__(self) -> None:
        if self.char_confidences and len(self.char_confidences) != len(self.text):
            raise ValueError(
                f"char_confidences has {len(self.char_confidences)} values for "
                f"{len(self.text)} characters of {self.text!r}"
            )
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    @classmethod
    def empty(cls, engine: str = "") -> PlateRead:
        """Nothing read."""
        return cls("", 0.0, (), engine)


@runtime_checkable
class PlateOCR(Protocol):
    """A plate OCR engine plug-in (one file: pydantic config + class)."""

    name: str

    def read(self, crop: Image) -> PlateRead:
        """Read one plate crop (BGR or grey uint8)."""
        ...
