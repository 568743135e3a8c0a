"""amane (أمان, "safety"): smart patrol vehicle and the command centre it reports to."""

__version__ = "0.1.0"
