"""Fixtures of the browser suite: one JupyterLab server for the whole session, serving a workspace
with every module's release notebook twice (untouched, and filled in with the reference answers),
and headless Chromium driven by Playwright.

The suite FAILS (it never skips) when Chromium or Playwright is missing: run
scripts/install_browser.sh. Environment variables:

* TINYTORCH_CHROMIUM: the Chromium binary (default /usr/bin/chromium, else `chromium` on PATH).
* TINYTORCH_BROWSER_COURSE: another course root to test (default: this repository); it needs
  release/NN_name/NN_name.ipynb and source/NN_name/NN_name.ipynb, as `python -m course build`
  writes them. Used to try the suite itself on a scratch course.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from course import ROOT

from labdriver import COURSE, release_modules

ARTIFACTS = ROOT / "test-artifacts" / "browser"
VARIANTS = ("reference", "release")  # workspace folders: filled-in copy, untouched release

# As root, headless, and quiet on the network: without the background-networking flags
# Chromium keeps trying to reach Google services, which the closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 60  # seconds until /api/status answers

def pytest_collection_modifyitems(items):
    "Every test of this folder is a browser test, marked or not."
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- prerequisites: fail loudly, never skip ------------------------------------------------------

def _fail(message: str):
    pytest.fail(f"{message}\nThe browser suite needs Chromium and Playwright: "
                "run `bash scripts/install_browser.sh` (it installs Debian's chromium as root).",
                pytrace=False)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    "The Chromium binary Playwright drives (never a browser downloaded by `playwright install`)."
    configured = os.environ.get("TINYTORCH_CHROMIUM")
    candidates = [configured] if configured else ["/usr/bin/chromium", shutil.which("chromium"),
                                                 shutil.which("chromium-browser")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    _fail(f"Chromium not found ({configured or '/usr/bin/chromium, chromium on PATH'}).")


@pytest.fixture(scope="session")
def sync_playwright_factory():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _fail(f"the playwright Python package is not importable in {sys.executable} ({e}).")
    return sync_playwright


# --- the workspace: each module's release notebook, untouched and filled in ----------------------

@dataclass
class Workspace:
    root: Path
    problems: dict[str, str] = field(default_factory=dict)  # module → why its notebooks are missing

    def relpath(self, variant: str, module: str) -> str:
        "Path of a notebook relative to the server's root (as JupyterLab's URLs name it)."
        return f"{variant}/{module}/{module}.ipynb"

    def path(self, variant: str, module: str) -> Path:
        return self.root / self.relpath(variant, module)


@pytest.fixture(scope="session")
def lab_workspace(tmp_path_factory) -> Workspace:
    from course.build import write_notebook
    from course.demo import reference_submission

    ws = Workspace(tmp_path_factory.mktemp("lab-workspace"))
    for module in release_modules():
        try:
            release = COURSE / "release" / module / f"{module}.ipynb"
            ws.path("release", module).parent.mkdir(parents=True)
            shutil.copy2(release, ws.path("release", module))
            write_notebook(reference_submission(COURSE, module), ws.path("reference", module))
        except Exception as e:  # a stale or broken build: that module's tests fail with this
            ws.problems[module] = (f"could not prepare {module}'s notebooks from {COURSE}: "
                                   f"{type(e).__name__}: {e} (run `python -m course build`?)")
    return ws


# --- one JupyterLab server for the session --------------------------------------------------------

@dataclass
class LabServer:
    url: str
    token: str
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings: Path) -> None:
    """User settings of the test server: no news/update pop-ups (they would cover the notebook
    in screenshots and reach for the network) and no windowing, so every cell is in the DOM."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            '{"fetchNews": "false", "checkForUpdates": false}',
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            '{"windowingMode": "none"}',
    }
    for name, text in files.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(text)


def _start_lab(workspace: Path, home: Path) -> LabServer:
    token, port = secrets.token_hex(16), _free_port()
    _write_lab_settings(home / "settings")
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # the kernels import the reference library
    env.update(
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    command = [
        str(Path(bin_dir) / "jupyter"), "lab", "--no-browser", f"--port={port}",
        "--ServerApp.port_retries=0", f"--ServerApp.token={token}", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={workspace}", "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: commands and cell models
    ]
    log = home / "jupyter-lab.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=workspace, start_new_session=True)
    return LabServer(f"http://127.0.0.1:{port}", token, log, process)


def _wait_for_lab(server: LabServer) -> bool:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    request = urllib.request.Request(f"{server.url}/api/status",
                                     headers={"Authorization": f"token {server.token}"})
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _stop_lab(server: LabServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)  # our own process group
            server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def jupyter_lab(lab_workspace, tmp_path_factory):
    home = tmp_path_factory.mktemp("lab-home")
    for attempt in range(3):  # the free port may be taken between probing and binding
        server = _start_lab(lab_workspace.root, home)
        if _wait_for_lab(server):
            break
        _stop_lab(server)
    else:
        pytest.fail(f"JupyterLab did not start (no answer from /api/status within "
                    f"{SERVER_START_TIMEOUT} s). Its log:\n{server.log_tail()}", pytrace=False)
    yield server
    _stop_lab(server)


# --- Chromium --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(chromium_executable, sync_playwright_factory):
    """Headless Chromium, once per test file. Module scope (not session) so Playwright's event
    loop is gone before other test files run nbclient."""
    playwright = sync_playwright_factory().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=chromium_executable,
                                                  args=CHROMIUM_ARGS, headless=True)
        except Exception as e:
            _fail(f"Chromium ({chromium_executable}) did not start under Playwright: {e}")
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def lab_page(browser, jupyter_lab):
    """One browser page with JupyterLab loaded, shared by the tests of a file: each test opens
    its notebook there and closes it (kernel shut down) when done. Loading JupyterLab once saves
    about 3 s per test."""
    from labdriver import open_jupyterlab

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    open_jupyterlab(page, jupyter_lab)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def widget_cells_seen() -> dict[str, set[int]]:
    """module → indices of cells that showed a widget in the filled-in run: the untouched run
    checks those cells too, even when they fail before showing anything."""
    return {}
