"""`a10flow serve` against greedy and slow clients: a body too large is refused before it is read,
idle connections neither lock others out nor stay for ever; a stop lets what is in flight finish."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers import hold_writes


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(app, tmp_path):
    port = _port()
    env = {**os.environ, "A10FLOW_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "A10FLOW_INSTANCE_PATH": str(tmp_path / "instance"), "A10FLOW_SCHEDULER": "off",
           "A10FLOW_MAX_UPLOAD_BYTES": str(2**20), "A10FLOW_IDLE_SECONDS": "2"}
    server = subprocess.Popen([Path(sys.executable).parent / "a10flow", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(port)
    yield port
    server.terminate()
    server.wait(timeout=30)


def _wait_for(port):
    deadline = time.monotonic() + 60   # waiting for the process to come up
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)


def _get(port, path="/api/v1/evidence/public-key", timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return s.recv(100).split(b"\r\n", 1)[0]


def test_a_huge_body_is_refused_before_it_is_sent(served):
    with socket.create_connection(("127.0.0.1", served), timeout=10) as s:
        s.sendall(b"POST /api/v1/definitions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 104857600\r\n\r\n")   # 100 MiB announced (over the 1 MiB), none sent
        assert s.recv(100).startswith(b"HTTP/1.1 413")


def test_many_idle_connections_lock_nobody_out_and_are_closed(served):
    idle = [socket.create_connection(("127.0.0.1", served), timeout=10) for _ in range(150)]
    try:
        assert _get(served) == b"HTTP/1.1 200 OK"   # past waitress's default of 100
        idle[0].settimeout(15)
        assert idle[0].recv(1) == b""   # an idle connection is closed by the server after its time
    finally:
        for s in idle:
            s.close()


def test_sigterm_lets_the_requests_in_flight_finish_and_stops_accepting(app, as_, purchase, tmp_path):
    port = _port()
    env = {**os.environ, "A10FLOW_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "A10FLOW_INSTANCE_PATH": str(tmp_path / "instance"), "A10FLOW_SCHEDULER": "on"}
    server = subprocess.Popen([Path(sys.executable).parent / "a10flow", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        release = hold_writes(app)   # the start waits on it: in flight when the stop comes
        answers = []
        start = threading.Thread(target=lambda: answers.append(requests.post(
            f"http://127.0.0.1:{port}/api/v1/instances", json={"process": "purchase"},
            headers=as_["alice"].headers, timeout=30)))
        start.start()
        time.sleep(0.5)   # a real request, sent and waiting (no clock to inject: this is the network)
        server.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(OSError):   # no new connection once the stop is asked
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        release()
        start.join(timeout=30)
        assert answers and answers[0].status_code == 201, answers[0].text
        assert server.wait(timeout=30) == 0
    finally:
        server.kill()
        server.wait()
