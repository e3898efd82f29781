"""The options of every model, as the C++ core defines them.

The core holds one table of every option (``csrc/options/schema.cpp``: name, type, default,
bounds or choices, what it applies to, a one-line doc) and one parser that checks them; the R
package reads the same table. Python keeps no default or bound of its own: a ``None`` argument
means "the table's default", and every check (types, ranges, whether an option applies to the
chosen encoder, solver and family) is the core's, with the same message as in R.
"""
from __future__ import annotations

from ctxstats import _core

#: name -> the table's row (type, default, default_for, low/high, choices, models, encoders,
#: solvers, families, internal, doc).
SCHEMA: dict[str, dict] = {row["name"]: row for row in _core.option_schema()}


def option_schema() -> list[dict]:
    """Every option of every model, from the core's table (the R package's
    ``ctx_option_schema()`` returns the same rows)."""
    return _core.option_schema()


def given(**options) -> dict:
    """The options a user gave: ``None`` means "the default" and is left out."""
    return {k: v for k, v in options.items() if v is not None}


def resolve(model: str, options: dict, solver_known: bool = True) -> dict:
    """Checks ``options`` of ``model`` ("glm" or "personalized") and returns every option that
    applies, with the table's defaults filled (ValueError / TypeError naming the option)."""
    return _core.resolve_options(model, options, solver_known)


def default(name: str, model: str = "glm", encoder: str | None = None, family: str | None = None):
    """The table's default of one option for ``model``, ``encoder`` and ``family`` (the core
    decides: a default given for an encoder and a family together, as ``"ngam & gaussian"``,
    wins over one given for the encoder alone)."""
    if name not in SCHEMA:
        raise KeyError(name)
    return _core.option_default(name, model, encoder or "", family or "")


GROUPS = ("model", "encoder", "spline", "personalized", "penalty", "solver", "inference")


def names(model: str, groups: tuple[str, ...] = GROUPS) -> list[str]:
    """The user's options of ``model`` in the given groups (model, encoder, spline, penalty,
    solver, personalized, inference), in the table's order."""
    return [n for n, r in SCHEMA.items()
            if r["group"] in groups and not r["internal"] and (not r["models"] or model in r["models"])]


def doc_lines(model: str) -> str:
    """One line per option of ``model``: name, default and doc, for docstrings."""
    lines = []
    for name in names(model):
        row = SCHEMA[name]
        extra = "".join(f", {k}: {v!r}" for k, v in row["default_for"].items())
        scope = "; ".join(f"{key} {', '.join(row[key])}" for key in ("encoders", "solvers", "families") if row.get(key))
        lines.append(f"    {name} (default {default(name, model)!r}{extra}): {row['doc']}"
                     + (f" Applies to: {scope}." if scope else ""))
    return "\n".join(lines)
