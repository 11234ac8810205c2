"""The zero-install workshop in Firefox: every lesson run to the end with `?run=all`, offline.

Firefox is driven through its own remote protocol, Marionette (tests/marionette.py): Debian
packages no geckodriver. One headless Firefox serves the whole module, on a fresh profile whose
user.js turns off Firefox's own background traffic (telemetry, updates, safe browsing, captive
portal, remote settings, Normandy, ...) and sends every request that is not for localhost to a
recording proxy on 127.0.0.1 that refuses it. Each lesson must ask it nothing.

`-remote-allow-system-access` lets the test read the browser's console service (chrome
context): uncaught errors of the page and of its Web Worker, and policy (CSP) violations, land
there. Skipped, saying what to install, without Firefox.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from lesson_runs import FINISHED, SETTLED, why
from marionette import Marionette, free_port, start_firefox, stop_firefox
from recording_proxy import RecordingProxy, recording_proxy

from scalargrad.workshop.lessons import notebooks_folder, read_lessons

LESSONS = [lesson.slug for lesson in read_lessons(notebooks_folder())]

SECONDS_PER_LESSON = 120

# Firefox's own traffic, off (Marionette sets many of these too, but only once it has
# started; user.js is read before anything runs).
QUIET: dict[str, bool | int | str] = {
    # updates of Firefox, its add-ons, its system add-ons and its media plugins (OpenH264)
    "app.update.disabledForTesting": True, "app.update.auto": False,
    "app.update.background.enabled": False, "app.update.staging.enabled": False,
    "extensions.update.enabled": False, "extensions.systemAddon.update.enabled": False,
    "extensions.systemAddon.update.url": "", "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False, "extensions.getAddons.discovery.api_url": "data:, ",
    "media.gmp-manager.updateEnabled": False, "media.gmp-manager.url": "",
    "media.gmp-manager.chromium-update-url": "", "media.gmp-provider.enabled": False,
    "media.gmp-gmpopenh264.enabled": False, "media.gmp-widevinecdm.enabled": False,
    "media.gmp-widevinecdm.allow-chromium-update": False, "media.eme.enabled": False,
    # telemetry and data reporting
    "toolkit.telemetry.enabled": False, "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False, "toolkit.telemetry.server": "",
    "toolkit.telemetry.shutdownPingSender.enabled": False,
    "toolkit.telemetry.firstShutdownPing.enabled": False,
    "toolkit.telemetry.newProfilePing.enabled": False,
    "toolkit.telemetry.updatePing.enabled": False, "toolkit.telemetry.bhrPing.enabled": False,
    "toolkit.telemetry.dap.helper.url": "", "toolkit.telemetry.dap.leader.url": "",
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False, "datareporting.usage.uploadEnabled": False,
    "browser.ping-centre.telemetry": False, "browser.newtabpage.activity-stream.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.crashReports.unsubmittedCheck.autoSubmit2": False,
    # safe browsing and tracking-protection lists
    "browser.safebrowsing.malware.enabled": False, "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.passwords.enabled": False,
    "browser.safebrowsing.provider.google.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.google5.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "privacy.trackingprotection.enabled": False,
    # captive portal and connectivity checks (detectportal.firefox.com)
    "network.captive-portal-service.enabled": False, "network.connectivity-service.enabled": False,
    # remote settings (and what it feeds: certificate lists, experiments), Normandy, Nimbus
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False, "security.OCSP.enabled": 0,
    "app.normandy.enabled": False, "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False, "messaging-system.rsexperimentloader.enabled": False,
    # the start page, new tab, Pocket, suggestions, search and region, geolocation, push, ...
    "browser.startup.page": 0, "browser.startup.homepage": "about:blank",
    "startup.homepage_welcome_url": "about:blank", "browser.aboutwelcome.enabled": False,
    "datareporting.policy.firstRunURL": "", "browser.shell.checkDefaultBrowser": False,
    "browser.newtabpage.enabled": False, "browser.newtab.preload": False,
    "browser.newtabpage.activity-stream.feeds.section.topstories": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.newtabpage.activity-stream.showSponsoredTopSites": False,
    "browser.topsites.contile.enabled": False, "extensions.pocket.enabled": False,
    "browser.urlbar.quicksuggest.enabled": False, "browser.urlbar.merino.endpointURL": "",
    "browser.search.update": False, "browser.region.network.url": "",
    "browser.region.update.enabled": False, "geo.enabled": False, "geo.provider.network.url": "",
    "dom.push.enabled": False, "dom.push.connection.enabled": False,
    "identity.fxaccounts.enabled": False, "browser.translations.enable": False,
    "browser.ml.enable": False, "network.sntp.pools": "",
    # connections made ahead of need: DNS prefetch, link prefetch, speculative connects
    "network.dns.disablePrefetch": True, "network.prefetch-next": False,
    "network.predictor.enabled": False, "network.http.speculative-parallel-limit": 0,
    "browser.urlbar.speculativeConnect.enabled": False,
    "browser.places.speculativeConnect.enabled": False,
    # ways around a proxy: DNS over HTTPS, HTTP/3 (QUIC), WebRTC's STUN
    "network.trr.mode": 5, "network.http.http3.enable": False,
    "media.peerconnection.enabled": False,
}


def offline_prefs(proxy_port: int) -> dict[str, bool | int | str]:
    """QUIET, and every request not for localhost sent to the proxy on `proxy_port`."""
    return {**QUIET,
            "network.proxy.type": 1,  # manual
            "network.proxy.http": "127.0.0.1", "network.proxy.http_port": proxy_port,
            "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": proxy_port,
            "network.proxy.socks": "", "network.proxy.failover_direct": False,
            # the site itself, on 127.0.0.1, is fetched directly
            "network.proxy.allow_hijacking_localhost": False,
            "network.proxy.no_proxies_on": "localhost, 127.0.0.1"}


def firefox_binary() -> str | None:
    """$FIREFOX, else Debian's firefox-esr, else firefox; None if none is there."""
    for name in (os.environ.get("FIREFOX"), "firefox-esr", "firefox"):
        found = shutil.which(name) if name else None
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def proxy() -> Iterator[RecordingProxy]:
    with recording_proxy() as server:
        yield server


@pytest.fixture(scope="module")
def firefox(proxy) -> Iterator[Marionette]:
    """One headless Firefox for the module, on a throwaway profile and HOME, killed after."""
    binary = firefox_binary()
    if binary is None:
        pytest.skip("the workshop's Firefox test needs Firefox: apt-get install firefox-esr "
                    "(or set FIREFOX to its path)")
    home = Path(tempfile.mkdtemp(prefix="scalargrad-firefox-home-"))
    profile = Path(tempfile.mkdtemp(prefix="scalargrad-firefox-profile-"))
    # a release build ignores services.settings.server unless this is set (it then asks
    # firefox.settings.services.mozilla.com at start-up)
    env = {**os.environ, "HOME": str(home), "MOZ_CRASHREPORTER_DISABLE": "1",
           "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1"}
    prefs = offline_prefs(proxy.port)
    process = client = None
    try:
        try:  # port 0: Firefox picks one and writes it into PROFILE/MarionetteActivePort
            process, client = start_firefox(binary, profile, prefs, env, timeout=30,
                                            extra_args=["-remote-allow-system-access"])
        except TimeoutError:  # an older Firefox that writes no MarionetteActivePort
            process, client = start_firefox(binary, profile,
                                            {**prefs, "marionette.port": free_port()}, env,
                                            extra_args=["-remote-allow-system-access"])
        yield client
    finally:
        if process is not None:
            stop_firefox(process, client)
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


# The errors Firefox logged (its console service, in the parent process): uncaught exceptions
# of pages and workers, policy violations; not the browser's own (chrome:, resource:).
ERRORS = """
const errors = [];
for (const message of Services.console.getMessageArray() || []) {
  if (!(message instanceof Ci.nsIScriptError) || message.flags & Ci.nsIScriptError.warningFlag
      || message.flags & Ci.nsIScriptError.infoFlag) continue;
  if (/^(chrome|resource|moz-extension):/.test(message.sourceName)) continue;
  errors.push(`${message.category}: ${message.errorMessage} (${message.sourceName}:`
              + `${message.lineNumber})`);
}
Services.console.reset();
return errors;
"""


def _browser_errors(firefox: Marionette) -> list[str]:
    firefox.set_context("chrome")
    try:
        return list(firefox.execute_script(ERRORS))
    finally:
        firefox.set_context("content")


@pytest.fixture(scope="module")
def runs(firefox, workshop_url, proxy) -> dict[str, Any]:
    """Each lesson opened with ?run=all: how it settled, its JS errors, what the proxy saw."""
    _browser_errors(firefox)
    results: dict[str, Any] = {"startup": {"asked": proxy.take()}}
    for slug in LESSONS:
        t0 = time.monotonic()
        firefox.navigate(f"{workshop_url}/{slug}.html?run=all")
        while time.monotonic() - t0 < SECONDS_PER_LESSON and not firefox.execute_script(FINISHED):
            time.sleep(0.25)
        results[slug] = {**firefox.execute_script(SETTLED),
                         "seconds": round(time.monotonic() - t0, 1),
                         "errors": _browser_errors(firefox), "asked": proxy.take()}
    return results


@pytest.mark.parametrize("slug", LESSONS)
def test_every_lesson_runs_to_the_end_in_firefox(runs, slug):
    """?run=all reaches "done": Python started in the module worker and every cell ran."""
    result = runs[slug]
    assert result["state"] == "done", f"{slug}: {why(result)}"


@pytest.mark.parametrize("slug", LESSONS)
def test_no_cell_fails_and_python_says_ready(runs, slug):
    """No cell is marked as failed, and the status line is the "ready" one."""
    result = runs[slug]
    assert (result["cellsInError"], result["statusState"]) == ([], "ready"), why(result)


@pytest.mark.parametrize("slug", LESSONS)
def test_no_lesson_logs_a_javascript_error(runs, slug):
    """Neither the page, its worker nor the page's policy logged an error."""
    assert runs[slug]["errors"] == []


@pytest.mark.parametrize("slug", LESSONS)
def test_no_lesson_asks_another_host(runs, slug):
    """While the lesson ran, nothing was asked of any host but 127.0.0.1."""
    assert runs[slug]["asked"] == []


def test_firefox_itself_asks_no_other_host(runs):
    """Starting, Firefox asked nothing of the outside (its background traffic is off)."""
    assert runs["startup"]["asked"] == []


def test_the_sigmoid_lesson_gives_a_quarter(runs):
    """σ'(0) = σ(0)(1 − σ(0)) = 0.25, computed by the engine in Firefox."""
    assert "0.25" in runs["02-upstream-local-downstream"]["text"]


def test_the_multivariate_rule_gives_five(runs):
    assert "x.grad = 2.0 + 3.0 = 5.0" in runs["04-multivariate-chain-rule"]["text"]


@pytest.mark.parametrize("slug", ["01-a-program-is-a-graph", "04-multivariate-chain-rule"])
def test_graphs_are_drawn_by_viz_js_before_done(runs, slug):
    """The lesson's graphs are SVGs that Viz.js (WebAssembly, in the page) drew, all of them
    by the time the page says done (a cell is done once its graphs are drawn)."""
    result = runs[slug]
    assert (result["graphs"] >= 1, result["graphs"], result["undrawn"]) == (
        True, result["holders"], [])


def test_plots_are_drawn_without_matplotlib(runs):
    """The moons lesson shows its plots as images."""
    assert runs["08-training-moons"]["images"] >= 2


def test_the_proxy_sees_what_is_not_localhost(runs, firefox, proxy):
    """The check above can fail: a page on another host goes to the proxy, and is refused.
    (After the lessons, so that what it asks is not counted as theirs.)"""
    for address in ("http://outside.example/", "https://outside.example/"):
        try:
            firefox.navigate(address)
        except Exception:  # the refusal: Firefox's error page
            pass
    asked = proxy.take()
    assert any(a.startswith("GET http://outside.example/ ") for a in asked), asked
    assert any(a.startswith("CONNECT outside.example:443 ") for a in asked), asked
