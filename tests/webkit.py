"""WebKitGTK (Safari's engine family) for the browser tests: Debian's MiniBrowser driven by
WebKitWebDriver through selenium, on a virtual X display (Xvfb) that the tests start.

`open_webkit(proxy_port)` returns a selenium driver whose browser sends every request not for
127.0.0.1 to the proxy on `proxy_port` (a recording proxy that refuses it), or skips the
calling tests saying what to install (`apt-get install webkit2gtk-driver xvfb`). Every command
to the driver has a time limit (`COMMAND_SECONDS`): a hung WebKit fails a test with a message
instead of hanging it. `script(driver, source)` runs a script, asking again while WebKit answers
with an unreadable result (it does, now and then, while a page is starting); `driver_log(driver)`
is what the driver and the browser printed, for failure messages. `close(driver)` ends the
browser, its driver and the display.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

MINIBROWSER = "/usr/lib/*/webkit2gtk-4.1/MiniBrowser"  # Debian's, for every architecture
COMMAND_SECONDS = 150  # one WebDriver command (a page load, a script), at most
SIZE = (1366, 768)
# WebKitWebDriver's answer when the page's reply to a script could not be read as JSON: seen
# once in CI on the first script after opening a lesson; asking again is the remedy.
UNREADABLE = "Could not parse script result"


def minibrowser() -> str | None:
    """$MINIBROWSER, else Debian's (libwebkit2gtk-4.1-0, which webkit2gtk-driver brings)."""
    if os.environ.get("MINIBROWSER"):
        return os.environ["MINIBROWSER"]
    found = sorted(glob.glob(MINIBROWSER))
    return found[0] if found else None


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb on a free display number (Xvfb picks it and tells it through -displayfd)."""
    read, write = os.pipe()
    try:
        process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SIZE[0] + 34}x{SIZE[1] + 200}x24",
             "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # written once the display is ready
    if not number.isdigit():
        process.kill()
        raise RuntimeError("Xvfb did not start (it wrote no display number)")
    return process, f":{number}"


def open_webkit(proxy_port: int) -> Any:
    """MiniBrowser in automation mode on a fresh Xvfb display, every request not for
    127.0.0.1 sent to the proxy on `proxy_port`."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="the WebKit tests drive MiniBrowser with selenium: "
        "pip install selenium (in the [test] extra)")
    from selenium.webdriver.remote.client_config import ClientConfig
    from selenium.webdriver.remote.remote_connection import RemoteConnection
    from selenium.webdriver.webkitgtk.service import Service

    browser, driver_path = minibrowser(), shutil.which("WebKitWebDriver")
    xvfb = shutil.which("Xvfb")
    if browser is None or driver_path is None or xvfb is None:
        pytest.skip("the WebKit tests need WebKitGTK's MiniBrowser and driver and a virtual "
                    "display: apt-get install webkit2gtk-driver xvfb (found MiniBrowser: "
                    f"{browser}, WebKitWebDriver: {driver_path}, Xvfb: {xvfb})")
    display_process, display = start_xvfb()
    home = tempfile.mkdtemp(prefix="scalargrad-webkit-home-")
    env = {**os.environ, "DISPLAY": display, "HOME": home, "XDG_CACHE_HOME": f"{home}/cache",
           "XDG_DATA_HOME": f"{home}/data", "XDG_CONFIG_HOME": f"{home}/config",
           "WAYLAND_DISPLAY": "", "GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1"}
    options = webdriver.WebKitGTKOptions()
    options.binary_location = browser
    for argument in ("--automation", f"--proxy=http://127.0.0.1:{proxy_port}",
                     "--ignore-host=127.0.0.1"):
        options.add_argument(argument)
    service = Service(executable_path=driver_path, env=env, log_output=f"{home}/driver.log")
    driver = None
    try:
        service.start()
        connection = RemoteConnection(client_config=ClientConfig(
            remote_server_addr=service.service_url, timeout=COMMAND_SECONDS))
        driver = webdriver.Remote(command_executor=connection, options=options)
        driver.set_page_load_timeout(COMMAND_SECONDS - 30)
        driver.set_window_size(*SIZE)
    except Exception as exc:
        if driver is not None:
            driver.quit()
        service.stop()
        display_process.kill()
        shutil.rmtree(home, ignore_errors=True)
        pytest.fail(f"could not start WebKitGTK's MiniBrowser ({browser}, {driver_path}) on "
                    f"Xvfb {display}: {exc}")
    driver.scalargrad_parts = (service, display_process, home)
    return driver


def driver_log(driver: Any, lines: int = 40) -> str:
    """The last `lines` lines the driver and MiniBrowser printed (their stderr and stdout)."""
    _, _, home = driver.scalargrad_parts
    try:
        text = Path(home, "driver.log").read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(no driver log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(the driver printed nothing)"


def script(driver: Any, source: str, *args: Any, seconds: float = 60) -> Any:
    """`driver.execute_script(source, *args)`, asked again for up to `seconds` while WebKit
    says it could not read the page's answer (UNREADABLE); any other error is raised as is."""
    from selenium.common.exceptions import WebDriverException

    deadline, tries = time.monotonic() + seconds, 0
    while True:
        tries += 1
        try:
            return driver.execute_script(source, *args)
        except WebDriverException as exc:
            if UNREADABLE not in str(exc.msg):
                raise
            if time.monotonic() > deadline:
                raise WebDriverException(
                    f"WebKit could not read a script's result {tries} times in {seconds} s; "
                    f"the driver's log ends:\n{driver_log(driver)}") from exc
        time.sleep(0.5)


def close(driver: Any) -> None:
    """End the browser, its driver and its display; remove its home folder."""
    service, display_process, home = driver.scalargrad_parts
    try:
        driver.quit()
    finally:
        service.stop()
        display_process.terminate()
        try:
            display_process.wait(10)
        except subprocess.TimeoutExpired:
            display_process.kill()
        shutil.rmtree(home, ignore_errors=True)
