"""Loading recogniser and analyser plug-ins named in ``unit.yaml``.

A plug-in is built by a factory ``module:function`` that takes the entry's ``options`` (a dict the
plug-in validates with its own pydantic config) and returns a
:class:`~amane.vision.recognize.TrackRecognizer` or a :class:`~amane.vision.recognize.SceneAnalyzer`.
The built-in names map to these factories:

============  ==================================================
name          factory
============  ==================================================
plates        ``amane.unit.plugin_factories:plates``
faces         ``amane.vision.faces.recognizer:build_recognizer``
behaviour     ``amane.unit.plugin_factories:behaviour``
============  ==================================================

A name whose module is not installed (or not written yet) is a clear :class:`ConfigError`, not a
silent no-op: remove it from the config or install what provides it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from amane.config.unit import RecognizerEntry
from amane.core.errors import ConfigError
from amane.unit.pipeline import Plugin
from amane.vision.recognize import SceneAnalyzer, TrackRecognizer

logger = logging.getLogger(__name__)

BUILTIN_FACTORIES: dict[str, str] = {
    "plates": "amane.unit.plugin_factories:plates",
    "faces": "amane.vision.faces.recognizer:build_recognizer",
    "behaviour": "amane.unit.plugin_factories:behaviour",
}


def resolve_factory(entry: RecognizerEntry) -> Callable[[dict[str, Any]], object]:
    """The factory of a configured plug-in; ConfigError when it cannot be imported."""
    spec = entry.factory or BUILTIN_FACTORIES.get(entry.name)
    if spec is None:
        raise ConfigError(
            f"recognizer {entry.name}: unknown name; give a factory 'module:function' "
            f"(built-in names: {sorted(BUILTIN_FACTORIES)})"
        )
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(
            f"recognizer {entry.name}: cannot import {module_name} ({err}); install the plug-in "
            f"or remove/disable it in unit.yaml"
        ) from err
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ConfigError(f"recognizer {entry.name}: {spec} is not a callable factory")
    return factory  # type: ignore[no-any-return]


def load_plugins(entries: list[RecognizerEntry]) -> tuple[list[Plugin], list[Plugin]]:
    """Build the enabled plug-ins: (track recognisers, scene analysers)."""
    recognizers: list[Plugin] = []
    analyzers: list[Plugin] = []
    for entry in entries:
        if not entry.enabled:
            continue
        factory = resolve_factory(entry)
        try:
            impl = factory(dict(entry.options))
        except ImportError as err:
            raise ConfigError(f"recognizer {entry.name}: the plug-in is not installed ({err})") from err
        except (ValueError, TypeError, ConfigError) as err:
            raise ConfigError(f"recognizer {entry.name}: bad options: {err}") from err
        except OSError as err:  # a model or list file it needs is missing or unreadable
            raise ConfigError(f"recognizer {entry.name}: cannot start: {err}") from err
        cameras = frozenset(entry.cameras) if entry.cameras else None
        if isinstance(impl, TrackRecognizer):
            recognizers.append(Plugin(impl, cameras))
        elif isinstance(impl, SceneAnalyzer):
            analyzers.append(Plugin(impl, cameras))
        else:
            raise ConfigError(
                f"recognizer {entry.name}: the factory returned {type(impl).__name__}, "
                "neither a TrackRecognizer nor a SceneAnalyzer"
            )
        logger.info("plug-in %s loaded (%s)", entry.name, type(impl).__name__)
    return recognizers, analyzers
