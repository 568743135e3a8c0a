"""The single-camera source kinds as one discriminated union, and the function that opens one.

>>> from pydantic import TypeAdapter
>>> cfg = TypeAdapter(CaptureConfig).validate_python({"type": "usb", "id": "cabin", "device": 1})
>>> type(cfg).__name__
'UsbSourceConfig'
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from amane.vision.sources.capture import CaptureSource
from amane.vision.sources.file import FileSource, FileSourceConfig
from amane.vision.sources.folder import FolderSource, FolderSourceConfig
from amane.vision.sources.stream import StreamSource, StreamSourceConfig
from amane.vision.sources.usb import UsbSource, UsbSourceConfig

CaptureConfig = Annotated[
    FileSourceConfig | StreamSourceConfig | UsbSourceConfig | FolderSourceConfig,
    Field(discriminator="type"),
]
"""One camera: ``file``, ``stream``, ``usb`` or ``folder``."""


def open_capture(config: CaptureConfig) -> CaptureSource:
    """Open the single-camera source a config describes."""
    if isinstance(config, FileSourceConfig):
        return FileSource(config)
    if isinstance(config, StreamSourceConfig):
        return StreamSource(config)
    if isinstance(config, UsbSourceConfig):
        return UsbSource(config)
    return FolderSource(config)
