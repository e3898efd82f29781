"""Docstring sections generated from the core's option table (``csrc/options/schema.cpp``), so
that the documented options, defaults, choices and what each applies to cannot drift from
what the core accepts. ``tests/test_docs.py`` checks that every option is documented."""
from __future__ import annotations

import textwrap

from ctxstats import _options

_GROUP_TITLES = {"model": "Model", "encoder": "Encoder (neural: mlp, ngam; archetypes: any encoder)",
                 "spline": "Spline encoder", "penalty": "Penalty", "solver": "Solver",
                 "inference": "Inference", "personalized": "Personalized regression"}


def applies_to(row: dict) -> str:
    """What an option applies to, as the table says ("all" when it says nothing)."""
    parts = []
    for key, label in (("encoders", "encoders"), ("solvers", "solvers"), ("families", "families")):
        if row.get(key):
            parts.append(f"{label} {', '.join(row[key])}")
    return "; ".join(parts) if parts else "every encoder, solver and family"


def _type_text(name: str, row: dict, model: str) -> str:
    t = row["type"]
    if row.get("choices"):
        t = "{" + ", ".join(repr(c) for c in row["choices"]) + "}"
    bounds = []
    if row.get("low") is not None:
        bounds.append(f"{'>' if row.get('low_open') else '>='} {row['low']:g}")
    if row.get("high") is not None:
        bounds.append(f"{'<' if row.get('high_open') else '<='} {row['high']:g}")
    default = _options.default(name, model)
    extra = "".join(f"; {k}: {v!r}" for k, v in row["default_for"].items() if k != model)
    return f"{t}{' (' + ', '.join(bounds) + ')' if bounds else ''}, default {default!r}{extra}"


def options_section(model: str = "glm", skip: tuple[str, ...] = (), indent: str = "    ") -> str:
    """A numpydoc "Options" section: every user option of ``model`` by group, with its type,
    bounds or choices, default, what it applies to and the table's doc."""
    out = ["Options", "-------",
           "From the core's option table (``ctxstats.option_schema()``; R: ``ctx_option_schema()``), "
           "the same in both languages. ``None`` means the default; an option that does not apply "
           "to the chosen encoder, solver or family is an error naming it."]
    for group in _options.GROUPS:
        names = [n for n in _options.names(model, (group,)) if n not in skip]
        if not names:
            continue
        out.append("")
        out.append(f"*{_GROUP_TITLES.get(group, group)}*")
        out.append("")
        for name in names:
            row = _options.SCHEMA[name]
            out.append(f"{name} : {_type_text(name, row, model)}")
            body = f"{row['doc']} Applies to: {applies_to(row)}."
            out.extend(textwrap.wrap(body, 92, initial_indent=indent, subsequent_indent=indent))
    return textwrap.indent("\n".join(out), indent)


def with_options(doc: str | None, model: str = "glm", skip: tuple[str, ...] = ()) -> str:
    """``doc`` followed by the generated options section."""
    return (doc or "").rstrip() + "\n\n" + options_section(model, skip) + "\n"
