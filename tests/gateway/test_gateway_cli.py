"""Tests of the gateway's command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import urllib.request

import pytest

from gateway.__main__ import main

REPO = Path(__file__).resolve().parents[2]


def test_serves_until_interrupted(socket_enabled):
    command = [
        sys.executable,
        "-m",
        "gateway",
        "--synthetic",
        "3",
        "--port",
        "0",
        "--prefix",
        "/portainer",
        "--admin-key",
        "admin-key",
        "--restricted-key",
        "read-key",
    ]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    with subprocess.Popen(  # noqa: S603 - fixed arguments
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(4)]
            url = lines[0].rsplit(" at ", 1)[1].strip()
            assert url.endswith("/portainer")
            assert "admin-key" in lines[1]
            assert "read-key" in lines[2]
            assert "/__gateway/faults" in lines[3]

            request = urllib.request.Request(  # noqa: S310 - a local http URL
                url + "/api/endpoints/1/docker/containers/json?all=1",
                headers={"X-API-Key": "read-key"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                assert len(json.load(response)) == 3
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0


def test_needs_exactly_one_mode(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--synthetic", "3", "--engine", "unix:///x.sock"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        main([])


def test_rejects_equal_keys(capsys):
    assert main(["--synthetic", "1", "--admin-key", "k", "--restricted-key", "k"]) == 2
    assert "must differ" in capsys.readouterr().out
