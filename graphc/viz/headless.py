"""Drive headless Chromium over the DevTools protocol, on a pipe: load a page, run a script in
it, collect its console errors, take a screenshot.

The browser tests, the explorer benchmark and the screenshots in docs/ use it. It needs only
the `chromium` executable (Debian's package) and the standard library: with
`--remote-debugging-pipe` Chromium reads commands from file descriptor 3 and answers on 4, as
JSON messages ended by a NUL byte, so no websocket client is needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


class BrowserError(RuntimeError):
    """Chromium is missing, exited, timed out, or a script in the page failed."""


def find_chromium() -> str | None:
    """The path of a Chromium executable (`GRAPHC_CHROMIUM` first), or None."""
    given = os.environ.get("GRAPHC_CHROMIUM")
    if given:
        return shutil.which(given)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One headless Chromium with one tab: `with Page() as page: page.open(path); page.run("...")`.

    `errors` collects what the page reported as an error (console.error, uncaught exceptions,
    failed loads), so a test can assert there were none.
    """

    def __init__(self, width: int = 1400, height: int = 900, timeout: float = 60.0):
        executable = find_chromium()
        if executable is None:
            raise BrowserError("no Chromium found: install Debian's `chromium` package"
                               " (or set GRAPHC_CHROMIUM to a Chromium executable)")
        self.timeout = timeout
        self.errors: list[str] = []
        self._events: list[dict] = []
        self._profile = tempfile.mkdtemp(prefix="graphc-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def plumb() -> None:  # in the child: the protocol's fixed descriptors 3 and 4
            low, high = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(low, 3)
            os.dup2(high, 4)

        self._process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--allow-file-access-from-files", "--remote-debugging-pipe",
             f"--user-data-dir={self._profile}", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=plumb, close_fds=False)  # Python's own descriptors close on exec anyway
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None
        try:
            target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
            self._session = self.call("Target.attachToTarget", targetId=target["targetId"],
                                      flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol
    def _send(self, message: dict) -> None:
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError(f"Chromium did not answer within {self.timeout:g} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium exited")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, **params: Any) -> dict:
        """Send one DevTools command (to the tab, once attached) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._note(reply)

    def _note(self, event: dict) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                        for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))
        self._events.append(event)

    def _wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for k, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(k)
            self._note(self._receive(deadline))

    # ------------------------------------------------------------------ use
    def open(self, path: str | os.PathLike) -> float:
        """Load a local file and wait for its load event; returns the seconds it took."""
        self._events.clear()
        start = time.perf_counter()
        result = self.call("Page.navigate", url=pathlib.Path(path).resolve().as_uri())
        if result.get("errorText"):
            raise BrowserError(f"cannot open {path}: {result['errorText']}")
        self._wait_for("Page.loadEventFired")
        return time.perf_counter() - start

    def run(self, script: str) -> Any:
        """Evaluate `script` (an expression; a promise is awaited) and return its JSON value."""
        result = self.call("Runtime.evaluate", expression=script, awaitPromise=True, returnByValue=True,
                           timeout=self.timeout * 1000)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def screenshot(self, path: str | os.PathLike) -> None:
        """Save what the tab shows as a PNG."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        pathlib.Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
