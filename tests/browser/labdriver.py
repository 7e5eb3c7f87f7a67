"""Driving one notebook in JupyterLab through Playwright.

JupyterLab is started with `expose_app_in_browser`, so the page has `window.jupyterapp`: the
suite runs the same commands as the menus (`runmenu:run-all`, "Run Selected Cell and All Below"),
whose promises settle when the cells have run, and reads cell models (execution counts, outputs)
from it. What the student sees is checked on the DOM: rendered widget views, their controls,
their output areas. Every wait is a wait for a condition, with a timeout.
"""
from __future__ import annotations

import base64
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from course import ROOT

#: The course whose release/ is tested (TINYTORCH_BROWSER_COURSE: another one, e.g. a scratch course).
COURSE = Path(os.environ.get("TINYTORCH_BROWSER_COURSE") or ROOT).resolve()
_MODULE_DIR = re.compile(r"^\d\d_[a-z0-9_]+$")


def release_modules(course: Path = COURSE) -> list[str]:
    "Modules with a student notebook in release/ (release/NN_name/NN_name.ipynb), in course order."
    release = course / "release"
    if not release.is_dir():
        return []
    return sorted(p.name for p in release.iterdir()
                  if _MODULE_DIR.match(p.name) and (p / f"{p.name}.ipynb").is_file())


RUN_TIMEOUT_MS = 120_000     # one run of the notebook's cells (the reference's cells take < 2 s each)
OPEN_TIMEOUT_MS = 60_000     # page load, notebook model and kernel start
RENDER_TIMEOUT_MS = 20_000   # widget views replacing "Loading widget..."
REACT_TIMEOUT_MS = 15_000    # a widget's output changing after its control changed
SETTLE_MS = 300              # an output counts as settled when unchanged this long, kernel idle
MAX_SCREENSHOT_HEIGHT = 60_000

# Installed once per page as window.tt. Cells are tagged data-tt-cell=<index>, top-level widget
# outputs data-tt-view=<cell>.<output>, the control about to be changed data-tt-control.
HELPERS = r"""
(path) => {
  const app = window.jupyterapp;
  const find = () => {
    for (const w of app.shell.widgets('main')) {
      if (w.context && w.context.path === path) return w;
    }
    return null;
  };
  const withTimeout = (promise, ms, what) => Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)),
  ]);
  const CONTROLS = '.noUi-handle, select, button, input, textarea';
  const DISPLAYS = '.widget-output, .widget-html-content, .widget-htmlmath-content, ' +
                   'img.widget-image, .widget-textarea textarea, div.widget-label';
  const tt = {
    panel: find(),
    kernelStatus() {
      const session = tt.panel.sessionContext.session;
      return session && session.kernel ? session.kernel.status : 'none';
    },
    busy() {
      return tt.kernelStatus() !== 'idle' ||
        tt.panel.content.widgets.some(c => c.model.type === 'code' && c.model.executionState === 'running');
    },
    running() {
      return tt.panel.content.widgets.map((c, i) => [i, c]).filter(
        ([i, c]) => c.model.type === 'code' && c.model.executionState === 'running').map(([i]) => i);
    },
    async run(command, fromIndex, ms) {
      app.shell.activateById(tt.panel.id);
      if (fromIndex !== null) tt.panel.content.activeCellIndex = fromIndex;
      await withTimeout(app.commands.execute(command), ms, command);  // result: not serialisable
    },
    state() {
      return tt.panel.content.widgets.map((cell, i) => {
        cell.node.setAttribute('data-tt-cell', String(i));
        const m = cell.model;
        const info = {index: i, type: m.type, count: null, outputs: []};
        if (m.type !== 'code') return info;
        info.count = m.executionCount;
        const els = cell.node.querySelectorAll(
          '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output');
        info.outputs = m.outputs.toJSON().map((o, k) => {
          const el = els[k] || null;
          const widget = !!(o.data && o.data['application/vnd.jupyter.widget-view+json']);
          if (el && widget) el.setAttribute('data-tt-view', `${i}.${k}`);
          return {type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                  traceback: o.traceback || null, widget,
                  text: el ? el.innerText.slice(0, 400) : null,
                  mime: el ? el.getAttribute('data-mime-type') : null};
        });
        return info;
      });
    },
    view(id) { return document.querySelector(`[data-tt-view="${id}"]`); },
    rendered(el) {
      return !!el.querySelector('.jupyter-widgets') && !/Error displaying widget/.test(el.textContent);
    },
    viewStatus(id) {
      const el = tt.view(id);
      if (!el) return {found: false};
      const text = el.innerText;
      // The last line of the first traceback shown inside the view ("ValueError: boom").
      const tb = Array.from(el.querySelectorAll('.jp-OutputArea-output')).map(o => o.innerText)
        .find(t => t.includes('Traceback (most recent call last)'));
      const tbLine = tb ? tb.split('\n').filter(l => l.trim()).pop().trim() : null;
      return {found: true, rendered: tt.rendered(el), loading: /^\s*Loading widget/.test(el.textContent),
              error: /Error displaying widget/.test(el.textContent), mime: el.getAttribute('data-mime-type'),
              traceback: text.includes('Traceback (most recent call last)'), tracebackLine: tbLine,
              text: text.slice(0, 300)};
    },
    allViewsSettled() {
      tt.state();  // tags the widget outputs there are by now
      return Array.from(document.querySelectorAll('[data-tt-view]')).every(
        el => tt.rendered(el) || /Error displaying widget/.test(el.textContent));
    },
    snapshot(id) {
      const el = tt.view(id);
      if (!el) return null;
      // What a person sees change: text, images, SVG drawings (not markup or style noise).
      const parts = Array.from(el.querySelectorAll(DISPLAYS)).map(d => {
        if (d.tagName === 'IMG') return d.src;
        if (d.tagName === 'TEXTAREA') return d.value;
        const pictures = Array.from(d.querySelectorAll('img, svg')).map(
          p => p.tagName === 'IMG' ? p.src : p.outerHTML);
        return [d.textContent, ...pictures].join('\u0002');
      });
      return {count: parts.length, value: parts.join('\u0001')};
    },
    async ink(id) {
      // For each picture in the view, the fraction of its pixels not of its most common
      // (background) colour: a plot drawn only in part, or blank, has almost none.
      const el = tt.view(id);
      if (!el) return [];
      const fractions = [];
      for (const img of el.querySelectorAll('img')) {
        try { await img.decode(); } catch (e) { fractions.push(null); continue; }
        const w = img.naturalWidth, h = img.naturalHeight;
        if (!w || !h) { fractions.push(0); continue; }
        const canvas = document.createElement('canvas');
        canvas.width = w; canvas.height = h;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const px = new Uint32Array(ctx.getImageData(0, 0, w, h).data.buffer);
        const counts = new Map();
        for (const p of px) counts.set(p, (counts.get(p) || 0) + 1);
        const background = Math.max(...counts.values());  // the most common colour
        fractions.push(1 - background / px.length);
      }
      return fractions;
    },
    pickControl(id) {
      document.querySelectorAll('[data-tt-control]').forEach(e => e.removeAttribute('data-tt-control'));
      const view = tt.view(id);
      const usable = el => !el.disabled && !el.closest('[disabled]') && !el.closest('.mod-disabled') &&
                           el.type !== 'hidden' && !el.closest('.widget-output');
      const el = Array.from(view.querySelectorAll(CONTROLS)).find(usable);
      if (!el) return {kind: 'none'};
      const mark = (target, info) => { target.setAttribute('data-tt-control', '1'); return info; };
      // How the report names the control: its widget class and description ("widget-slider 'n'").
      const box = el.closest('.jupyter-widgets:not(.widget-container)') || el;
      const kind = box.className.split(/\s+/).find(c => c.startsWith('widget-') &&
        !/^widget-(inline-[hv]box|[hv]slider|box)$/.test(c)) || el.tagName.toLowerCase();
      const description = box.querySelector('.widget-label');
      const label = kind + (description && description.textContent.trim().replace('\u200b', '')
        ? ` '${description.textContent.trim()}'` : el.textContent.trim() ? ` '${el.textContent.trim().slice(0, 30)}'` : '');
      if (el.classList.contains('noUi-handle')) {
        const now = parseFloat(el.getAttribute('aria-valuenow'));
        const max = parseFloat(el.getAttribute('aria-valuemax'));
        return mark(el, {kind: 'slider', key: now < max ? 'ArrowRight' : 'ArrowLeft', label});
      }
      if (el.tagName === 'SELECT') {
        if (el.options.length < 2) return {kind: 'fixed', label};
        return mark(el, {kind: 'select', index: (Math.max(el.selectedIndex, 0) + 1) % el.options.length, label});
      }
      if (el.tagName === 'BUTTON') {
        let target = el;
        const group = el.closest('.widget-toggle-buttons');
        if (group && el.classList.contains('mod-active')) {
          target = Array.from(group.querySelectorAll('button')).find(b => !b.classList.contains('mod-active')) || el;
        }
        return mark(target, {kind: 'click', label});
      }
      if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
        let target = el;
        if (el.type === 'radio' && el.checked) {
          const box = el.closest('.widget-radio-box') || view;
          target = Array.from(box.querySelectorAll('input[type=radio]')).find(r => !r.checked) || el;
        }
        return mark(target, {kind: 'click', label});
      }
      if (el.tagName === 'INPUT' && el.type === 'number') {
        const step = parseFloat(el.step) || 1, value = parseFloat(el.value) || 0;
        const max = el.max === '' ? Infinity : parseFloat(el.max);
        return mark(el, {kind: 'fill', value: String(value + step <= max ? value + step : value - step), label});
      }
      return mark(el, {kind: 'fill', value: el.value + ' x', label});
    },
    withTimeout,
  };
  window.tt = tt;
  return !!tt.panel;
}
"""

READY = """(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return false;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.context.isReady && w.sessionContext.session &&
        w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle') return true;
  }
  return false;
}"""


@dataclass
class Output:
    type: str
    ename: str | None
    evalue: str | None
    traceback: list[str] | None
    widget: bool
    text: str | None
    mime: str | None


@dataclass
class Cell:
    index: int
    type: str
    count: int | None
    outputs: list[Output] = field(default_factory=list)

    @property
    def errors(self) -> list[Output]:
        return [o for o in self.outputs if o.type == "error"]

    @property
    def widget_views(self) -> list[str]:
        return [f"{self.index}.{k}" for k, o in enumerate(self.outputs) if o.widget]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def error_line(output: Output) -> str:
    "The last line of an error output, as the student reads it."
    if output.traceback:
        lines = [l for l in _ANSI.sub("", "\n".join(output.traceback)).splitlines() if l.strip()]
        if lines:
            return lines[-1].strip()
    return f"{output.ename}: {output.evalue}"


APP_READY = """async () => {
  if (!window.jupyterapp || !window.jupyterapp.restored) return false;
  await window.jupyterapp.restored;
  return true;
}"""


def open_jupyterlab(page, server) -> None:
    "Load JupyterLab (an empty workspace of its own, nothing restored) in `page`."
    page.goto(f"{server.url}/lab/workspaces/browser-tests?token={server.token}&reset")
    page.wait_for_function(APP_READY, timeout=OPEN_TIMEOUT_MS)
    # The notebook alone on screen (screenshots): no launcher, file browser or nbgrader panel.
    page.evaluate("""() => { jupyterapp.shell.collapseLeft(); jupyterapp.shell.collapseRight();
                             for (const w of Array.from(jupyterapp.shell.widgets('main'))) w.close(); }""")


class LabNotebook:
    """One notebook opened in the JupyterLab of `page`, by its path relative to the server root.
    Use as a context manager: on exit its kernel is shut down and its tab closed unsaved."""

    def __init__(self, page, server, path: str):
        self.page, self.server, self.path = page, server, path
        self.console: list[str] = []

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console.append(f"{message.type}: {message.text}")

    def _on_page_error(self, error) -> None:
        self.console.append(f"pageerror: {error}")

    def __enter__(self) -> "LabNotebook":
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        self.page.remove_listener("console", self._on_console)
        self.page.remove_listener("pageerror", self._on_page_error)

    # --- opening and running -------------------------------------------------------------------

    def open(self) -> None:
        "File › Open (the docmanager:open command), then wait for the kernel to be idle."
        if not self.page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell)"):
            open_jupyterlab(self.page, self.server)  # the page was lost (a crash, a navigation)
        self.page.evaluate("async (path) => { await jupyterapp.commands.execute('docmanager:open', "
                           "{path, factory: 'Notebook'}); }", self.path)
        self.page.wait_for_function(READY, arg=self.path, timeout=OPEN_TIMEOUT_MS)
        assert self.page.evaluate(HELPERS, self.path), f"{self.path}: notebook panel not found"

    def close(self) -> None:
        "Shut the kernel down and close the tab without saving (no dialog)."
        try:
            self.page.evaluate("""() => tt.withTimeout((async () => {
                const panel = tt.panel;
                if (!panel || panel.isDisposed) return;
                await panel.sessionContext.shutdown();
                panel.dispose(); })(), 15000, 'closing the notebook')""")
        except Exception:
            pass  # the next test reloads JupyterLab if this page is unusable

    def _run(self, command: str, from_index: int | None) -> str | None:
        "Run a notebook command to completion; None, or what went wrong."
        try:
            self.page.evaluate("([c, i, ms]) => tt.run(c, i, ms)", [command, from_index, RUN_TIMEOUT_MS])
            self.page.wait_for_function("() => !tt.busy()", timeout=RUN_TIMEOUT_MS)
        except Exception as e:  # Playwright's TimeoutError or the JS timeout
            running = self.page.evaluate("() => tt.running()")
            return (f"`{command}` did not finish within {RUN_TIMEOUT_MS // 1000} s "
                    f"(kernel {self.page.evaluate('() => tt.kernelStatus()')}, cells still running: "
                    f"{running}): {str(e).splitlines()[0]}")
        return None

    def run_all(self) -> str | None:
        "Run › Run All Cells (stops at the first error, as for a student)."
        return self._run("runmenu:run-all", None)

    def run_all_despite_errors(self, code_cells: list[int]) -> str | None:
        """Run All Cells, then "Run Selected Cell and All Below" from the first cell that did not
        run, until every cell in `code_cells` has run (a student going on past a failing test)."""
        problem = self.run_all()
        attempts: dict[int, int] = {}
        while problem is None:
            counts = {c.index: c.count for c in self.cells()}
            pending = [i for i in code_cells if counts.get(i) is None]
            if not pending:
                return None
            first = pending[0]
            attempts[first] = attempts.get(first, 0) + 1
            if attempts[first] > 3:  # once in a while JupyterLab ignores a run command: retry, then report
                return f"cell {first} does not run (no execution count after running it 3 times)"
            problem = self._run("notebook:run-all-below", first)
        return problem

    def cells(self) -> list[Cell]:
        return [Cell(c["index"], c["type"], c["count"], [Output(**o) for o in c["outputs"]])
                for c in self.page.evaluate("() => tt.state()")]

    # --- widgets ---------------------------------------------------------------------------------

    def wait_for_widgets(self) -> None:
        "Wait until every widget output shows a view (or gave up with an error); no failure here."
        try:
            self.page.wait_for_function("() => tt.allViewsSettled()", timeout=RENDER_TIMEOUT_MS)
        except Exception:
            pass  # view_status() tells which ones are stuck

    def view_status(self, view: str) -> dict:
        return self.page.evaluate("(id) => tt.viewStatus(id)", view)

    def snapshot(self, view: str) -> dict | None:
        return self.page.evaluate("(id) => tt.snapshot(id)", view)

    def ink(self, view: str) -> list[float | None]:
        "Per picture in the view, the fraction of non-background pixels (see tt.ink)."
        return self.page.evaluate("(id) => tt.ink(id)", view)

    def change_first_control(self, view: str) -> dict:
        """Change the first control of a widget view as a person would. Returns what was done
        ({'kind': ..., 'label': ...}); kind 'none' or 'fixed' when there is nothing to change."""
        info = self.page.evaluate("(id) => tt.pickControl(id)", view)
        control = self.page.locator("[data-tt-control]")
        if info["kind"] == "slider":
            control.focus()
            self.page.keyboard.press(info["key"])
        elif info["kind"] == "select":
            control.select_option(index=info["index"])
        elif info["kind"] == "click":
            control.click()
        elif info["kind"] == "fill":
            control.fill(info["value"])
            control.press("Enter")
            control.evaluate("(e) => e.blur()")
        return info

    def wait_for_change(self, view: str, before: str) -> str | None:
        """Wait until the view's output differs from `before`, then until it settles (kernel idle,
        unchanged for SETTLE_MS). Returns the settled snapshot, or None if it never changed."""
        deadline = time.monotonic() + REACT_TIMEOUT_MS / 1000
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.page.wait_for_function("([id, before]) => { const s = tt.snapshot(id); "
                                            "return s !== null && s.value !== before; }",
                                            arg=[view, before], timeout=left * 1000)
            except Exception:
                return None
            settled = self.settle(view, deadline)
            if settled != before:  # not just redrawn with the same content
                return settled
        return None

    def settle(self, view: str, deadline: float | None = None) -> str | None:
        deadline = deadline or time.monotonic() + REACT_TIMEOUT_MS / 1000
        current = (self.snapshot(view) or {}).get("value")
        while time.monotonic() < deadline:
            try:
                self.page.wait_for_function("() => !tt.busy()",
                                            timeout=max(1, deadline - time.monotonic()) * 1000)
            except Exception:
                pass
            self.page.wait_for_timeout(SETTLE_MS)
            again = (self.snapshot(view) or {}).get("value")
            if again == current and not self.page.evaluate("() => tt.busy()"):
                return again
            current = again
        return current

    # --- the end -------------------------------------------------------------------------------

    def screenshot(self, path) -> None:
        """The whole notebook in one picture: the viewport is made as tall as the notebook's cells
        (its panel scrolls inside a fixed-height page, so a "full page" shot alone shows one
        screen). JupyterLab's blank scroll-past-end space below the last cell is left out."""
        size = self.page.viewport_size
        needed = """() => {
            const outer = tt.panel.node.querySelector('.jp-WindowedPanel-outer') || tt.panel.content.node;
            outer.scrollTop = 0;
            const cells = tt.panel.content.widgets;
            const last = cells.length ? cells[cells.length - 1].node.getBoundingClientRect().bottom
                                      : outer.getBoundingClientRect().bottom;
            const content = last - outer.getBoundingClientRect().top + 40;
            return Math.ceil(window.innerHeight - outer.clientHeight + content); }"""
        height = size["height"]
        for _ in range(4):  # cells laid out off-screen may change height once on screen: repeat
            wanted = max(size["height"], min(self.page.evaluate(needed), MAX_SCREENSHOT_HEIGHT))
            if abs(wanted - height) <= 2:
                break
            height = wanted
            self.page.set_viewport_size({"width": size["width"], "height": height})
            self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        # Chromium's own capture with its fast PNG encoder: a 30,000-pixel-tall notebook takes
        # a fraction of a second instead of seconds with Playwright's default encoder.
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            data = cdp.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})["data"]
        finally:
            cdp.detach()
        Path(path).write_bytes(base64.b64decode(data))
        self.page.set_viewport_size(size)

    def widget_console_errors(self) -> list[str]:
        return [m for m in self.console if re.search(r"widget|comm|model", m, re.I)][:5]
