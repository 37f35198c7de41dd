"""``certsvc demo`` through the real console script: its address, a second run, and a console people read.

A demo started with ``--port`` must name that port in every QR code (the migrant's wallet
QR is claimed, downloaded and verified over HTTP here); an instance keeps the address it
was created with, and a different one is refused with a message saying how to start afresh.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from certsvc.qr.image import decode_image

CERTSVC = Path(sys.executable).parent / "certsvc"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CLAIM = re.compile(r"claim code (\S+)\s+with PIN (\d{6})")
#: Cheap password hashing: the demo hashes a dozen passwords and claim PINs at start-up.
CHEAP = {
    "CERTSVC_PASSWORD_HASH_TIME_COST": "1",
    "CERTSVC_PASSWORD_HASH_MEMORY_KIB": "1024",
    "CERTSVC_PASSWORD_HASH_PARALLELISM": "1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_env(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTSVC_")}
    return {**env, **CHEAP, "CERTSVC_INSTANCE_PATH": str(instance)}


@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    port: int
    stdout: Path
    stderr: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def running_demo(instance: Path, tmp_path: Path, *args: str, port: int) -> Iterator[RunningDemo]:
    """Start ``certsvc demo ARGS`` and wait until it answers on ``port``; stop it (our own process) after."""
    out, err = tmp_path / f"demo-{port}.out", tmp_path / f"demo-{port}.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [str(CERTSVC), "demo", *args], env=demo_env(instance), stdout=stdout, stderr=stderr, text=True
        )
    demo = RunningDemo(process, port, out, err)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the demo stopped: {err.read_text()}"
            try:
                if requests.get(demo.url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the demo did not start in 120 s"
            time.sleep(0.25)
        yield demo
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def form_token(page: requests.Response) -> str:
    match = CSRF.search(page.text)
    assert match, page.url
    return match.group(1)


def claim_in_a_new_wallet(demo: RunningDemo, code: str, pin: str) -> requests.Session:
    """Claim the demo's printed credential into a new wallet through the pages, as a phone would."""
    browser = requests.Session()
    page = browser.get(demo.url + "/wallet/claim", timeout=10)
    found = browser.post(
        demo.url + "/wallet/claim", data={"csrf_token": form_token(page), "code": code, "pin": pin}, timeout=30
    )
    assert "We found your credential" in found.text, found.text[:2000]
    opened = browser.post(
        demo.url + "/wallet/register",
        data={"csrf_token": form_token(found), "login": "+959 4500 1234", "password": "demo-wallet-pass"},
        timeout=30,
    )
    assert opened.status_code == 200 and "/wallet/c/" in opened.url, opened.text[:2000]
    return browser


def test_port_names_every_qr_and_a_second_address_is_refused(tmp_path: Path) -> None:
    instance, port = tmp_path / "instance", free_port()
    with running_demo(instance, tmp_path, "--port", str(port), port=port) as demo:
        welcome = demo.stdout.read_text()
        assert f"certsvc demo at {demo.url}/" in welcome
        assert ":5000" not in welcome
        code, pin = CLAIM.search(welcome).groups()  # type: ignore[union-attr]
        wallet = claim_in_a_new_wallet(demo, code, pin)
        public_id = wallet.get(demo.url + "/wallet", timeout=10).text.split("/wallet/c/")[1].split('"')[0]
        png = wallet.get(f"{demo.url}/wallet/c/{public_id}/qr.png", timeout=10).content
        qr_text = decode_image(png)
        assert qr_text.startswith(f"HTTP://127.0.0.1:{port}/V#")
        verdict = requests.post(demo.url + "/api/v1/verify", json={"credential": qr_text}, timeout=30).json()
        assert verdict["status"] == "recognized", verdict
        trust_list = requests.get(demo.url + "/o/ph-tesda/trust-list", timeout=10)
        assert trust_list.status_code == 200
    config_before = (instance / "config.py").read_bytes()

    # Another address for the same instance: refused, with how to start afresh; nothing changes.
    other = f"http://127.0.0.1:{free_port()}"
    refused = subprocess.run(  # noqa: S603 - our own console script
        [str(CERTSVC), "demo", "--base-url", other], env=demo_env(instance), capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert f"created for {demo.url}, not {other}" in refused.stderr
    assert f"delete {instance}" in refused.stderr and "CERTSVC_INSTANCE_PATH" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (instance / "config.py").read_bytes() == config_before
    implied = subprocess.run(  # noqa: S603 - --port alone implies its own base URL, which differs too
        [str(CERTSVC), "demo", "--port", str(free_port())], env=demo_env(instance), capture_output=True, text=True
    )
    assert implied.returncode == 2 and f"created for {demo.url}" in implied.stderr

    # With no option at all, the instance keeps its address and port.
    with running_demo(instance, tmp_path, port=port) as again:
        assert f"certsvc demo at {again.url}/" in again.stdout.read_text()


def test_the_console_is_plain_readable_and_scrubbed(tmp_path: Path) -> None:
    port = free_port()
    with running_demo(tmp_path / "instance", tmp_path, "--port", str(port), port=port) as demo:
        requests.get(demo.url + "/", timeout=10)
        requests.get(demo.url + "/s/a-share-link-token-that-is-secret", timeout=10)
        requests.get(f"{demo.url}/V#{'1' * 40}", timeout=10)
        deadline = time.monotonic() + 10
        while "GET /s/<token>" not in demo.stderr.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    console = demo.stdout.read_text() + demo.stderr.read_text()
    assert "\x1b[" not in console
    assert not [line for line in console.splitlines() if line.lstrip().startswith("{")]
    assert re.search(r"^\d\d:\d\d:\d\d  GET /  200  \d+ ms$", demo.stderr.read_text(), re.M)
    assert "GET /s/<token>  404" in console
    assert "a-share-link-token-that-is-secret" not in console and "1" * 40 not in console
    assert "Press Ctrl+C to stop." in console


@pytest.mark.parametrize("bad", ["ftp://127.0.0.1:5000", "http://127.0.0.1:5000/prefix", "not a url"])
def test_a_base_url_that_is_not_one_is_refused(tmp_path: Path, bad: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own console script
        [str(CERTSVC), "demo", "--base-url", bad],
        env=demo_env(tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "error:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "instance").exists()
