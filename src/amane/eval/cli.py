"""The ``amane eval`` command group; each evaluation registers itself in its own module."""

from __future__ import annotations

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Measure accuracy and speed on evaluation data.")


def _register() -> None:
    """Each evaluation module contributes its command (imported here, after ``eval_app`` exists)."""
    from amane.eval.faces import faces_command

    eval_app.command("faces")(faces_command)
    from amane.eval.plates import plates_command

    eval_app.command("plates")(plates_command)
    from amane.eval.behavior import behavior_command

    eval_app.command("behavior")(behavior_command)


_register()
