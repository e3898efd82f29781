"""Plain-text and HTML summary tables, assembled from small reusable parts."""
from __future__ import annotations

import html

import pandas as pd


def header_table(left: list[tuple[str, str]], right: list[tuple[str, str]], width: int = 78) -> str:
    half = width // 2
    rows = []
    for i in range(max(len(left), len(right))):
        lk, lv = left[i] if i < len(left) else ("", "")
        rk, rv = right[i] if i < len(right) else ("", "")
        lcell = f"{lk + ':' if lk else '':<20}{lv:>{half - 22}}  "
        rcell = f"{rk + ':' if rk else '':<20}{rv:>{width - half - 20}}"
        rows.append(lcell + rcell)
    return "\n".join(rows)


def frame_table(frame: pd.DataFrame, float_format: str = "{:.4g}") -> str:
    def fmt(v):
        if isinstance(v, float):
            return float_format.format(v)
        return str(v)
    cells = [[""] + [str(c) for c in frame.columns]]
    for idx, row in frame.iterrows():
        cells.append([str(idx)] + [fmt(v) for v in row.tolist()])
    widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = []
    for k, r in enumerate(cells):
        lines.append(r[0].ljust(widths[0]) + "  " + "  ".join(c.rjust(w) for c, w in zip(r[1:], widths[1:])))
        if k == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


class Summary:
    """A titled sequence of text blocks; ``print`` shows text, notebooks show HTML."""

    def __init__(self, title: str, width: int = 78):
        self.title = title
        self.width = width
        self.blocks: list[tuple[str, object]] = []
        self.notes: list[str] = []

    def add_header(self, left, right):
        self.blocks.append(("header", (left, right)))

    def add_table(self, caption: str, frame: pd.DataFrame):
        self.blocks.append(("table", (caption, frame)))

    def add_note(self, text: str):
        self.notes.append(text)

    def as_text(self) -> str:
        rule = "=" * self.width
        out = [self.title.center(self.width), rule]
        for kind, payload in self.blocks:
            if kind == "header":
                out += [header_table(*payload, width=self.width), rule]
            else:
                caption, frame = payload
                out += [caption, frame_table(frame), rule]
        if self.notes:
            out.append("Notes:")
            out += [f"[{i}] {n}" for i, n in enumerate(self.notes, 1)]
        return "\n".join(out)

    def as_html(self) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        for kind, payload in self.blocks:
            if kind == "header":
                left, right = payload
                rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in left + right if k)
                parts.append(f"<table>{rows}</table>")
            else:
                caption, frame = payload
                parts.append(f"<p><b>{html.escape(caption)}</b></p>" + frame.to_html(float_format=lambda v: f"{v:.4g}"))
        if self.notes:
            parts.append("<p>Notes:</p><ol>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ol>")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.as_html()
