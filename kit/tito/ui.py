"""Output: colours, tables and progress through rich on a terminal, plain text otherwise (pipes,
logs, CI), so the same command reads well in both."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

STYLES = {"ok": "green", "fail": "red", "todo": "yellow", "dim": "dim", "title": "bold"}


class UI:
    def __init__(self, rich: bool | None = None):
        self.rich = sys.stdout.isatty() if rich is None else rich
        if self.rich:
            from rich.console import Console
            self.console = Console(highlight=False)

    def say(self, text: str = "", style: str | None = None) -> None:
        if self.rich:
            self.console.print(text, style=STYLES.get(style, style), markup=False)
        else:
            print(text, flush=True)

    def table(self, title: str, columns: list[str], rows: list[list[tuple[str, str | None]]]) -> None:
        "Rows of (text, style) cells under `columns`."
        if self.rich:
            from rich.table import Table
            table = Table(title=title, title_justify="left")
            for column in columns:
                table.add_column(column)
            for row in rows:
                table.add_row(*(f"[{STYLES.get(s, s)}]{escape(t)}[/]" if s else escape(t) for t, s in row))
            self.console.print(table)
            return
        widths = [max(len(c), *(len(r[i][0]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
        lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(t.ljust(w) for (t, _), w in zip(row, widths)).rstrip() for row in rows]
        print("\n".join(lines), flush=True)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator:
        "A progress bar (rich) or nothing (plain); yields `advance(text)`."
        if not self.rich:
            yield lambda text="": None
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda text="": bar.update(task, advance=1, description=f"{description} {text}".strip())


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape
    return rich_escape(text)
