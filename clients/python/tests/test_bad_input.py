"""Bad input is a clear SignetError before any network call."""

import os
import stat

import pytest
import requests
from signet_client import SignetAuth, SignetError, generate_key_pair, load_profile, presign_url, sign_request

KID = "key_7Qx3mJtZ1pUe9LcWbR4sNa"


class NoNetwork(requests.adapters.BaseAdapter):
    """A transport that fails the test if anything reaches it."""

    def send(self, request, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError(f"a request was sent to {request.url}")

    def close(self):
        pass


def offline_session():
    session = requests.Session()
    session.mount("http://", NoNetwork())
    session.mount("https://", NoNetwork())
    return session


@pytest.fixture()
def key_file(tmp_path):
    return generate_key_pair(tmp_path / "signet-key.pem")


def test_key_generation_writes_the_private_key_0600_and_the_public_key_0644(key_file):
    assert stat.S_IMODE(os.stat(key_file.private_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_file.public_path).st_mode) == 0o644
    assert open(key_file.public_path).read().startswith("-----BEGIN PUBLIC KEY-----")


def test_key_generation_never_overwrites_a_key_file(key_file):
    with pytest.raises(SignetError) as caught:
        generate_key_pair(key_file.private_path)
    assert caught.value.code == "conflict"


def test_a_key_file_others_can_read_is_refused_with_the_chmod_to_run(key_file):
    os.chmod(key_file.private_path, 0o644)
    with pytest.raises(SignetError) as caught:
        SignetAuth(key_file=key_file.private_path, kid=KID)
    assert "0644" in caught.value.detail and f"chmod 600 {key_file.private_path}" in caught.value.detail
    assert SignetAuth(key_file=key_file.private_path, kid=KID, allow_insecure_permissions=True).signer.kid == KID


@pytest.mark.parametrize("fmt", ["pem", "jwk", "openssh"])
def test_a_public_key_given_as_the_private_key_file_is_refused(tmp_path, fmt):
    pair = generate_key_pair(tmp_path / "k", fmt)
    os.chmod(pair.public_path, 0o600)
    with pytest.raises(SignetError, match="public key"):
        SignetAuth(key_file=pair.public_path, kid=KID)


def test_a_secret_with_a_bad_checksum_is_refused(tmp_path, vectors):
    secret = vectors["hmac_secrets"][2]["secret"]
    path = tmp_path / "signet.secret"
    path.write_text(secret + "\n")
    os.chmod(path, 0o600)
    with pytest.raises(SignetError, match="checksum"):
        SignetAuth(key_file=path, kid=KID)


def test_a_url_that_cannot_be_canonicalised_is_refused_before_sending(key_file):
    auth = SignetAuth(key_file=key_file.private_path, kid=KID)
    with pytest.raises(SignetError) as caught:
        offline_session().get("http://[fe80::1%25eth0]:8080/v1/whoami", auth=auth)
    assert caught.value.code == "invalid_request" and caught.value.status is None
    for url in ["https://api.example.com/x#fragment", "https://user:pw@api.example.com/", "ftp://api.example.com/", "/v1/whoami"]:
        with pytest.raises(SignetError):
            sign_request("GET", url, key=auth.signer.key, kid=KID)
        if "#" not in url:  # a link drops its fragment, as the Node kit's presignUrl does
            with pytest.raises(SignetError):
                presign_url(url, key=auth.signer.key, kid=KID)


def test_a_streaming_body_is_refused_before_sending(key_file):
    auth = SignetAuth(key_file=key_file.private_path, kid=KID)
    with pytest.raises(SignetError, match="streaming"):
        offline_session().post("http://127.0.0.1:9/v1/echo", data=iter([b"a", b"b"]), auth=auth)


def test_bad_settings_are_refused_when_the_auth_is_made(key_file):
    for kwargs in [{"kid": "bad kid!"}, {"kid": KID, "lifetime": 301}, {"kid": KID, "lifetime": 0}]:
        with pytest.raises(SignetError):
            SignetAuth(key_file=key_file.private_path, **kwargs)


def test_profiles_are_read_as_the_cli_writes_them_and_variables_override_them(tmp_path, key_file):
    config = tmp_path / "config.json"
    config.write_text('{"default_profile": "dev", "profiles": {"dev": {"server": "http://127.0.0.1:1", "kid": "%s", "key_file": "%s"}}}' % (KID, key_file.private_path))
    env = {"SIGNET_CONFIG": str(config)}
    assert load_profile(environ=env).kid == KID
    assert load_profile(environ={**env, "SIGNET_KID": "key_other"}).kid == "key_other"
    with pytest.raises(SignetError, match='No profile named "prod"'):
        load_profile("prod", environ=env)
    auth = SignetAuth(profile="dev", config_file=str(config))
    assert (auth.signer.kid, auth.server) == (KID, "http://127.0.0.1:1")
