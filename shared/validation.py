"""Parameter validation from one constraint table, after scikit-learn's ``utils/_param_validation.py``.

A class declares ``{parameter: [constraint, ...]}``; a value is valid when it satisfies any
constraint of its list (``None`` in the list admits None). Every failure reads the same::

    The 'pooling' parameter of Backbone must be one of ['avg', 'max', None]; got 'median'.

The constraint kinds are the few cnnkit needs: :class:`Options`, :class:`PositiveInt`,
:class:`Interval`, :class:`Boolean`, :class:`ListOf` and :class:`PerStage`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = [
    "Boolean",
    "Constraint",
    "Interval",
    "InvalidParameterError",
    "ListOf",
    "Options",
    "PerStage",
    "PositiveInt",
    "describe",
    "invalid_parameter",
    "validate_parameters",
]


class InvalidParameterError(ValueError):
    """A parameter's value breaks its constraints; the message names the parameter and its owner."""


def invalid_parameter(owner, name, requirement, value) -> InvalidParameterError:
    """The error for ``name`` of ``owner``: ``must be <requirement>; got <value>``."""
    return InvalidParameterError(f"The {name!r} parameter of {owner} must be {requirement}; got {value!r}.")


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _join(descriptions) -> str:
    descriptions = list(descriptions)
    if len(descriptions) == 1:
        return descriptions[0]
    return f"{', '.join(descriptions[:-1])} or {descriptions[-1]}"


class Constraint:
    """One kind of acceptable value, with the words an error uses for it."""

    description = ""
    plural = ""

    def is_satisfied_by(self, value) -> bool:
        raise NotImplementedError

    def describe(self, value) -> str:
        """What the constraint asks for, worded for the failing ``value``."""
        return self.description

    def __str__(self):
        return self.description


class _NoneConstraint(Constraint):
    description = "None"
    plural = "None"

    def is_satisfied_by(self, value) -> bool:
        return value is None


class Options(Constraint):
    """One of a fixed set of values (strings, ints or None), listed sorted in the error."""

    def __init__(self, *values):
        self.values = values
        listed = sorted((v for v in values if v is not None), key=lambda v: (str(type(v)), v))
        listed += [None] if None in values else []
        self.description = f"one of [{', '.join(repr(v) for v in listed)}]"
        self.plural = f"values from [{', '.join(repr(v) for v in listed)}]"

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, (bool, np.bool_, list, tuple, dict, set, np.ndarray)):
            return False
        return any(value is option if option is None else value == option for option in self.values)


class PositiveInt(Constraint):
    description = "a positive int"
    plural = "positive ints"

    def is_satisfied_by(self, value) -> bool:
        return _is_int(value) and value > 0


class Boolean(Constraint):
    description = "a bool"
    plural = "bools"

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))


class Interval(Constraint):
    """A real number between ``low`` and ``high``; ``closed`` is "left", "right", "both" or "neither"."""

    def __init__(self, low, high, closed="both"):
        self.low, self.high, self.closed = low, high, closed
        left = "[" if closed in ("left", "both") else "("
        right = "]" if closed in ("right", "both") else ")"
        self.description = f"a float in {left}{low}, {high}{right}"
        self.plural = f"floats in {left}{low}, {high}{right}"

    def is_satisfied_by(self, value) -> bool:
        if not isinstance(value, Real) or isinstance(value, (bool, np.bool_)) or np.isnan(value):
            return False
        above = value >= self.low if self.closed in ("left", "both") else value > self.low
        below = value <= self.high if self.closed in ("right", "both") else value < self.high
        return bool(above and below)


class ListOf(Constraint):
    """A list or tuple whose every item satisfies one of ``items`` (a constraint list)."""

    def __init__(self, items, *, non_empty=False, description=None):
        self.items = [_make_constraint(c) for c in items]
        self.non_empty = non_empty
        self.plural = f"lists of {_join(c.plural for c in self.items)}"
        default = f"a {'non-empty ' if non_empty else ''}list of {_join(c.plural for c in self.items)}"
        self.description = description or default

    def is_satisfied_by(self, value) -> bool:
        if not isinstance(value, (list, tuple, range, np.ndarray)) or np.ndim(value) != 1:
            return False
        if self.non_empty and len(value) == 0:
            return False
        return all(_satisfies(self.items, item) for item in value)


class PerStage(Constraint):
    """A value shared by every stage, or a list with one value per stage.

    Only a ``list`` means per stage, so a tuple can be one value (parallel kernel branches).
    Whether the list's length matches the number of stages is the owner's check.
    """

    def __init__(self, items):
        self.items = [_make_constraint(c) for c in items]
        self.description = _join(c.description for c in self.items)
        self.plural = _join(c.plural for c in self.items)

    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, list):
            return all(_satisfies(self.items, item) for item in value)
        return _satisfies(self.items, value)

    def describe(self, value, stages=None) -> str:
        if isinstance(value, list):
            count = f" ({stages})" if stages is not None else ""
            return f"a list with one entry per stage{count}, each {self.description}"
        return self.description


def _make_constraint(constraint) -> Constraint:
    return _NoneConstraint() if constraint is None else constraint


def _satisfies(constraints, value) -> bool:
    return any(c.is_satisfied_by(value) for c in constraints)


def describe(constraints, value) -> str:
    """The requirement of a constraint list, worded for the failing ``value``."""
    constraints = [_make_constraint(c) for c in constraints]
    return _join(c.describe(value) for c in constraints)


def validate_parameters(owner, constraints, params) -> None:
    """Raise :class:`InvalidParameterError` for the first entry of ``params`` its constraints reject."""
    for name, allowed in constraints.items():
        value = params[name]
        allowed = [_make_constraint(c) for c in allowed]
        if not _satisfies(allowed, value):
            raise invalid_parameter(owner, name, describe(allowed, value), value)
