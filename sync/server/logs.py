"""Log setup of kiosk-central: no personal data in any line, and journald's priorities.

Masking: the server handles residents' phone numbers and e-mail addresses; neither belongs in
a log line (logs are kept longer than the parcels and read by more people). Call sites log ids,
not addresses, and the engine hides SQL parameters (db.py); `PersonalDataFilter` on every
handler is the net below them, for text that is not ours (a driver's error detail, a
gateway's reply, a traceback).

Format: under systemd (JOURNAL_STREAM set, see systemd.exec(5)) journald stamps each line
itself, so a line is "<priority>logger: message" (sd-daemon(3)'s prefix, which journald turns
into the entry's PRIORITY, so `journalctl -p warning` finds warnings); elsewhere it is the
usual "time LEVEL logger: message".
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping

# An e-mail address, and anything that looks like a phone number: an optional +, then 7 to
# 15 digits (E.164 has up to 15) possibly split by single spaces or dashes, as people write
# them ("070-123 45 67"), not inside a word or an id, and not an ISO date. Seqs, ports and
# times have fewer digits or other separators; a long bare number is masked too, which costs
# a log reader little and never leaks a phone number.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"(?<![\w+\-])(?!\d{4}-\d\d-\d\d)\+?\d(?:[ -]?\d){6,14}(?![\w\-])")
EMAIL_MASK = "<email>"
PHONE_MASK = "<phone>"

# sd-daemon(3): <3> error, <4> warning, <6> info, <7> debug (syslog priorities).
_SYSLOG_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
                    logging.DEBUG: 7}
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"  # JournalFormatter puts the priority before each line


def mask_personal_data(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by placeholders."""
    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, text))


class PersonalDataFilter(logging.Filter):
    """Masks the finished message and any traceback of every record that passes a handler
    (a handler's filter sees records from every logger, a logger's only its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_personal_data(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


class JournalFormatter(logging.Formatter):
    """"<4>name: message": journald reads each line apart, so every line of a traceback gets
    the prefix too (else it would be filed as info, away from its error)."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level (custom levels: the next standard one up)."""
    for level in sorted(_SYSLOG_PRIORITY):
        if levelno <= level:
            return _SYSLOG_PRIORITY[level]
    return _SYSLOG_PRIORITY[logging.CRITICAL]


def under_journald(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("JOURNAL_STREAM"))


def log_handler(environ: Mapping[str, str]) -> logging.Handler:
    """A stderr handler that masks personal data, in the journal's format or the plain one."""
    handler = logging.StreamHandler()
    handler.addFilter(PersonalDataFilter())
    if under_journald(environ):
        handler.setFormatter(JournalFormatter(JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    return handler


class AccessLogFilter(logging.Filter):
    """On uvicorn's access lines (args: client, method, path, HTTP version, status): drops the
    successful /healthz requests, which the systemd watchdog (watchdog.py) makes every few
    seconds and which would bury every other line, and hides pickup-page tokens (/p/TOKEN
    shows a resident's pickup code to whoever holds it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not (isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str)):
            return True
        if args[2] == "/healthz" and args[4] == 200:
            return False
        if args[2].startswith("/p/"):
            record.args = (args[0], args[1], "/p/<token>", args[3], args[4])
        return True


def setup_logging(level: str, environ: Mapping[str, str]) -> logging.Handler:
    """Route the root logger and uvicorn's loggers through one masking handler."""
    handler = log_handler(environ)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # uvicorn's own handlers would print unmasked, twice
        logger.propagate = True
    logging.getLogger("uvicorn.access").addFilter(AccessLogFilter())
    return handler

