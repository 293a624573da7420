"""One exception tree. Each error carries where it happened and how to fix it.

Exit codes (only ``cli`` turns these into process exits):
0 plan, 1 bad input, 2 command-line usage (click), 3 unreachable target, 4 solver failure.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base of every error planner raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.where:
            parts.append(self.where)
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text

    def with_file(self, file: str) -> PlannerError:
        """Attach the file name if none is set yet (errors raised deep inside know no file)."""
        if not self.file:
            self.file = str(file)
        return self


class InputError(PlannerError):
    """A scenario, formula, history or actuals file is malformed or inconsistent (exit 1)."""

    exit_code = 1


class FormulaError(InputError):
    """A formula cannot be parsed or resolved: syntax, unknown name, cycle, dimensions."""


class UnsupportedError(InputError):
    """The model is valid but uses a construct the optimiser cannot compile."""


class SolverError(PlannerError):
    """The solver failed and no verified plan exists (exit 4)."""

    exit_code = 4
