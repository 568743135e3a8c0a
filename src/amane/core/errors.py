"""Project-wide exception types."""


class AmaneError(Exception):
    """Base class of every error amane raises on purpose."""


class ConfigError(AmaneError):
    """A configuration file or setting is invalid; the message names the key (and line when known)."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra that installs it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"{module} is not installed: install it with `pip install 'amane[{extra}]'`")
        self.module = module
        self.extra = extra
