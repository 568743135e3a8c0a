"""Factories behind the built-in plug-in names: the ``options`` of a ``unit.yaml`` entry -> the plug-in.

``plates`` options: ``hotlist`` (the SQLite hotlist file, required) and ``recognizer`` (the
:class:`~amane.vision.plates.recognizer.PlateRecognizerConfig` fields). ``behaviour`` options: either
``file`` (a behaviour YAML) or the :class:`~amane.vision.behavior.config.BehaviorConfig` fields inline
(``cameras: {front: {zones: ..., rules: ...}}``). The plug-in packages are imported only when used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from amane.vision.recognize import SceneAnalyzer, TrackRecognizer


class PlatesOptions(BaseModel):
    """Options of the ``plates`` plug-in."""

    model_config = ConfigDict(extra="forbid")
    hotlist: Path = Field(description="The plate hotlist (SQLite file made by `amane hotlist import`)")
    recognizer: dict[str, Any] = Field(default_factory=dict, description="PlateRecognizerConfig fields")


def plates(options: dict[str, Any]) -> TrackRecognizer:
    """The plate reader checking vehicle tracks against the hotlist."""
    from amane.vision.plates.recognizer import PlateRecognizer, PlateRecognizerConfig
    from amane.watchlists.hotlist import Hotlist

    opts = PlatesOptions.model_validate(options)
    if not opts.hotlist.is_file():
        raise ValueError(f"hotlist file not found: {opts.hotlist}")
    return PlateRecognizer(Hotlist(opts.hotlist), PlateRecognizerConfig.model_validate(opts.recognizer))


def behaviour(options: dict[str, Any]) -> SceneAnalyzer:
    """The behaviour rules engine (zones, loitering, intrusion, ...) over every camera's tracks."""
    from amane.vision.behavior.config import BehaviorConfig, load_behavior_config
    from amane.vision.behavior.engine import BehaviorEngine

    if "file" in options:
        if set(options) != {"file"}:
            raise ValueError("behaviour: give either 'file' or the rules inline, not both")
        return BehaviorEngine(load_behavior_config(options["file"]))
    return BehaviorEngine(BehaviorConfig.model_validate(options))
