"""A token never follows a redirect to another origin."""

import http.server
import threading

import httpx
import pytest
import requests
from signet_client import SignetAuth, generate_key_pair


class Recorder(http.server.BaseHTTPRequestHandler):
    seen = []
    redirect_to = None

    def do_GET(self):
        type(self).seen.append((self.server.server_port, self.headers.get("Authorization")))
        if self.path == "/start" and type(self).redirect_to:
            self.send_response(302)
            self.send_header("Location", type(self).redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def two_origins():
    servers = [http.server.HTTPServer(("127.0.0.1", 0), Recorder) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    Recorder.seen = []
    # localhost and 127.0.0.1 on another port: another origin.
    Recorder.redirect_to = f"http://localhost:{servers[1].server_port}/landing"
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("client", ["requests", "requests-session", "httpx"])
def test_a_redirect_to_another_origin_carries_no_token(tmp_path, two_origins, client):
    auth = SignetAuth(key=generate_key_pair(tmp_path / "k").key, kid="key_7Qx3mJtZ1pUe9LcWbR4sNa")
    start = f"http://127.0.0.1:{two_origins[0].server_port}/start"
    if client == "requests":
        assert requests.get(start, auth=auth, timeout=10).status_code == 200
    elif client == "requests-session":
        with requests.Session() as session:
            session.auth = auth
            assert session.get(start, timeout=10).status_code == 200
    else:
        assert httpx.get(start, auth=auth, timeout=10, follow_redirects=True).status_code == 200
    (first_port, first_auth), (second_port, second_auth) = Recorder.seen
    assert first_port == two_origins[0].server_port and first_auth.startswith("Signet ")
    assert second_port == two_origins[1].server_port and second_auth is None
