"""Say a thing once per flake8 run, also when flake8 checks files in several worker processes.

flake8 has no hook for run-wide messages, so the plugin reports a run-wide problem (a broken
configuration) as a finding of the first file it checks; with `-j`, every worker process checks
files. The main process names the run in the environment, which its workers inherit (forked or
spawned); each message gets a marker file in a folder of that run, and only the process that
creates the marker reports it.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import shutil
import tempfile
import uuid
from pathlib import Path

RUN_VARIABLE = "PII_GUARD_FLAKE8_RUN"

_said_here: set[str] = set()  # without a run folder: once per process


def start_run() -> None:
    """Called when flake8 hands the plugin its options: in the main process, a new run begins
    (also when one process runs flake8 several times); worker processes keep their parent's."""
    if multiprocessing.parent_process() is not None and RUN_VARIABLE in os.environ:
        return
    os.environ[RUN_VARIABLE] = uuid.uuid4().hex
    _said_here.clear()
    atexit.register(shutil.rmtree, _run_folder(), True)


def _run_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"pii-guard-flake8-{os.environ[RUN_VARIABLE]}"


def first_time(message: str) -> bool:
    """True for the first caller in this run that says `message`, False for every later one."""
    if message in _said_here:
        return False
    _said_here.add(message)
    if RUN_VARIABLE not in os.environ:
        return True
    marker = _run_folder() / hashlib.blake2b(message.encode(), digest_size=16).hexdigest()
    try:
        marker.parent.mkdir(exist_ok=True)
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    except OSError:  # no writable temporary folder: better said twice than never
        return True
    return True
