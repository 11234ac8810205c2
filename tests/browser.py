"""A headless Chromium for the browser tests (Debian's chromium + chromedriver, via selenium).

`open_chromium()` returns a selenium driver, or skips the calling test module with the reason
(selenium, chromium or chromedriver missing). Each test module makes one driver for all its
tests (a module-scoped fixture), so the browser starts once per module.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--window-size=1400,950")
# open_chromium(OFFLINE): every host but 127.0.0.1 unresolvable, as in a room with no network
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def _find(names: tuple[str, ...], env: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def open_chromium(*extra_flags: str) -> Any:
    """A headless Chromium with a fresh profile that logs the console and the network."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="the browser tests drive Chromium with selenium: "
        "pip install selenium (in the [test] extra)")
    from selenium.webdriver.chrome.service import Service

    browser = _find(CHROMIUM, "CHROMIUM")
    driver_path = _find(("chromedriver",), "CHROMEDRIVER")
    if browser is None or driver_path is None:
        pytest.skip("the browser tests need Chromium and its driver: apt-get install chromium "
                    f"chromium-driver (found chromium: {browser}, chromedriver: {driver_path})")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS + extra_flags:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="scalargrad-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except Exception as exc:  # a driver that does not match the browser, no display libs, ...
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"could not start headless Chromium ({browser}, {driver_path}): {exc}")
    driver.scalargrad_profile = profile
    return driver


def close(driver: Any) -> None:
    driver.quit()
    shutil.rmtree(driver.scalargrad_profile, ignore_errors=True)


def requests_made(driver: Any) -> list[str]:
    """The URLs the browser asked for since the last call (from the DevTools performance log)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def open_page(driver: Any, path: Path) -> None:
    """Open a page written to disk, and drop its own load from the network log, so that
    `requests_made` then tells what the page asked for afterwards."""
    driver.get(path.resolve().as_uri())
    requests_made(driver)
