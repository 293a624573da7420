"""The click group, shared options and the one place errors become exit codes."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from planner.errors import PlannerError

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_SOLVER = 0, 1, 2, 3, 4


class LazyGroup(click.Group):
    """A click group whose command modules are imported only when that command runs.

    `planner solve` should not pay for pandas, dask or plotly: importing every command module
    up front cost ~1.5 s of a 2 s solve. A module registers its command on ``main`` when imported.
    """

    lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            importlib.import_module(self.lazy[name])
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks instead of short error messages.")
@click.version_option(package_name="planner")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """planner: driver-tree KPI planning — back-solve a target, then phase, split, track and explain it."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug or bool(os.environ.get("PLANNER_DEBUG"))


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn planner errors (and unexpected ones) into a message on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool((click.get_current_context().find_root().obj or {}).get("debug"))
        try:
            return func(*args, **kwargs)
        except PlannerError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: never show a traceback unasked
            if debug:
                raise
            click.echo(f"error: internal error: {type(exc).__name__}: {exc}\n"
                       "Hint: run again with `planner --debug ...` and report the traceback.", err=True)
            sys.exit(EXIT_SOLVER)

    return wrapper


def output_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                        help="Write the result to this file instead of the terminal.")(func)


def format_option(choices: tuple[str, ...] = ("table", "json", "csv")) -> Callable[..., Any]:
    def deco(func: Callable[..., Any]) -> Callable[..., Any]:
        return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                            show_default=True, help="Output format.")(func)
    return deco
