"""What the kiosk puts into the resident's browser itself: the guard script every document
runs, and the kiosk's own pages shown instead of Chromium's English error pages.

The guard script keeps a page inside its one window: links and forms aimed at a new window
(`target=_blank`), `window.open()` and a page's request for full screen open in place or not
at all, so no tabbed browser window can appear and nothing can cover the kiosk's End strip.
It also counts touches and keys (the idle timeout reads the counter) and keeps the context
menu and the developer-tools keys shut. Chromium's own commands (new tab, new window, address
bar, menus, F11) are refused by `--force-app-mode`; the session closes any window that gets
past both (kiosk/services/browser.py).

The error pages are whole documents served through the DevTools Fetch domain in place of the
response that failed, so they keep the address that failed: "Försök igen" reloads the real
site. No server, no port and no file: access are needed for them.
"""
from __future__ import annotations

import enum
import html
from dataclasses import dataclass

from kiosk.i18n import Translator
from kiosk.services.errors import N_

ACTIVITY_COUNTER = "__servicepunktTouches"
GUARD_SCRIPT = """(() => {
  if (window.%(counter)s !== undefined) return;
  window.%(counter)s = 0;
  const report = () => { window.%(counter)s += 1; };
  for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'])
    window.addEventListener(type, report, {capture: true, passive: true});
  // A long press or right click would offer "Open link in new tab" and "Inspect".
  window.addEventListener('contextmenu', (event) => event.preventDefault(), {capture: true});
  // F12 and Ctrl+Shift+I/J/C reach the page before the browser, which then leaves them alone.
  window.addEventListener('keydown', (event) => {
    const tools = event.ctrlKey && event.shiftKey && 'IJCijc'.includes(event.key);
    if (event.key === 'F12' || tools) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, {capture: true});
  // New windows open in place: a second window would be a tabbed browser over the kiosk.
  const here = (url) => { if (url !== undefined && url !== null && String(url) !== '') location.assign(url); };
  window.open = function (url) { here(url); return window; };
  const retarget = (event) => {
    const element = event.target instanceof Element ? event.target.closest('a[target], area[target], form[target]') : null;
    if (element && element.target !== '_self' && element.target !== '_parent' && element.target !== '_top')
      element.target = '_self';
  };
  for (const type of ['click', 'auxclick', 'submit'])
    window.addEventListener(type, retarget, {capture: true});
  // Shift-, Ctrl- and middle-clicks on a link would open a new window or tab.
  window.addEventListener('click', (event) => {
    if (event.shiftKey || event.ctrlKey || event.metaKey) {
      const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
      if (link) { event.preventDefault(); here(link.href); }
    }
  }, {capture: true});
  window.addEventListener('auxclick', (event) => event.preventDefault(), {capture: true});
  // Full screen would lay the page over the End strip.
  const refuse = function () { return Promise.reject(new TypeError('full screen is not available')); };
  Element.prototype.requestFullscreen = refuse;
  if (Element.prototype.webkitRequestFullscreen) Element.prototype.webkitRequestFullscreen = refuse;
})();""".replace("%(counter)s", ACTIVITY_COUNTER)


class ErrorPage(str, enum.Enum):
    UNREACHABLE = "unreachable"  # the site did not answer: no connection, no name, a timeout
    BLOCKED = "blocked"          # an address outside the session's allowed domains


@dataclass(frozen=True)
class _PageText:
    heading: str
    advice: str
    button: str
    action: str  # what the button does, in JavaScript


# In Swedish, the catalog's source language.
_TEXTS = {
    ErrorPage.UNREACHABLE: _PageText(N_("Sidan svarar inte just nu."),
                                     N_("Försök igen om en stund eller fråga personalen i butiken."),
                                     N_("Försök igen"), "location.reload()"),
    ErrorPage.BLOCKED: _PageText(N_("Den här sidan kan inte öppnas här."),
                                 N_("Fråga personalen i butiken om du behöver den."),
                                 N_("Tillbaka"), "history.back()"),
}

# The kiosk's own colours (kiosk/ui/palette.py NORMAL) and large text, so the page reads as
# part of the kiosk, not as the browser's.
_STYLE = """
html { background: #F4F1EA; color: #1B1B1B; font-family: 'Noto Sans', 'DejaVu Sans', sans-serif; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center; }
main { max-width: 40em; padding: 2em; text-align: center; }
h1 { font-size: 2.4em; margin: 0 0 0.5em; }
p { font-size: 1.6em; margin: 0 0 1.2em; }
button { font: inherit; font-size: 1.6em; font-weight: bold; min-width: 8em; min-height: 2.6em;
         padding: 0 1.2em; border: 0; border-radius: 0.3em; background: #0B4F8A; color: #FFFFFF; }
"""


def error_page(kind: ErrorPage, language: str) -> bytes:
    """The whole HTML document for `kind` in `language` (Swedish where it has no translation)."""
    tr = Translator(language)
    text = _TEXTS[kind]
    heading = html.escape(tr(text.heading))
    document = (f'<!DOCTYPE html><html lang="{html.escape(tr.language)}"><head><meta charset="utf-8">'
                f'<title>{heading}</title><style>{_STYLE}</style></head>'
                f'<body><main data-servicepunkt-page="{kind.value}"><h1>{heading}</h1>'
                f'<p>{html.escape(tr(text.advice))}</p>'
                f'<button type="button" onclick="{text.action}">{html.escape(tr(text.button))}</button>'
                '</main></body></html>')
    return document.encode("utf-8")
