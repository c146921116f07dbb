"""Against a live Signet (started by test/clients/python-kit.test.ts): requests, httpx sync and async."""

import asyncio
import json
import time

import httpx
import pytest
import requests
from signet_client import SignetAuth, SignetError, load_signing_key, presign_url


def auth_for(live, which="ed25519", **kwargs):
    return SignetAuth(key_file=live[which]["key_file"], kid=live[which]["kid"], **kwargs)


def test_a_signed_get_is_accepted(live):
    answer = requests.get(live["server"] + "/v1/whoami", auth=auth_for(live), timeout=10)
    assert answer.status_code == 200 and answer.json()["key_id"] == live["ed25519"]["kid"]


def test_awkward_query_strings_are_signed_as_sent(live):
    answer = requests.get(live["server"] + "/v1/whoami?q=grüße&a=1&a=2&empty=&flag&x=%2f", auth=auth_for(live), timeout=10)
    assert answer.status_code == 200


def test_a_json_post_is_accepted_and_echoed_byte_for_byte(live):
    answer = requests.post(live["server"] + "/v1/echo", json={"hello": "wörld"}, auth=auth_for(live), timeout=10)
    assert answer.status_code == 200 and json.loads(answer.json()["body"]) == {"hello": "wörld"}


def test_a_binary_post_is_accepted(live):
    body = bytes(range(256)) * 4
    answer = requests.post(live["server"] + "/v1/echo", data=body, headers={"Content-Type": "application/octet-stream"}, auth=auth_for(live), timeout=10)
    assert answer.status_code == 200 and answer.json()["length"] == len(body)


def test_httpx_sync_and_async_clients_sign_every_request(live):
    auth = auth_for(live)
    with httpx.Client(auth=auth, timeout=10) as client:
        assert client.get(live["server"] + "/v1/whoami").status_code == 200
        assert client.post(live["server"] + "/v1/echo", content=bytes(range(256))).json()["length"] == 256

    async def run():
        async with httpx.AsyncClient(auth=auth, timeout=10) as client:
            answers = await asyncio.gather(*(client.get(live["server"] + "/v1/whoami?n=%d" % n) for n in range(3)))
            return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200, 200, 200]


def test_a_presigned_link_works_once(live):
    key = load_signing_key(live["ed25519"]["key_file"])
    link = presign_url(live["server"] + "/v1/whoami?format=json&q=grüße", key=key, kid=live["ed25519"]["kid"], ttl=120)
    assert requests.get(link.url, timeout=10).status_code == 200
    again = requests.get(link.url, timeout=10)
    assert again.status_code == 401 and again.json()["code"] == "token_replayed"


def test_an_hmac_key_signs_as_hs256(live):
    answer = requests.get(live["server"] + "/v1/whoami", auth=auth_for(live, "hmac"), timeout=10)
    assert answer.status_code == 200 and answer.json()["mode"] == "hmac"
    with httpx.Client(auth=auth_for(live, "hmac"), timeout=10) as client:
        assert client.post(live["server"] + "/v1/echo", json={"a": 1}).status_code == 200


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_a_clock_ten_minutes_slow_is_corrected_once_and_the_request_succeeds(live, client):
    auth = auth_for(live, now=lambda: time.time() - 600)
    url = live["server"] + "/v1/echo"
    if client == "requests":
        answer = requests.post(url, data=b"sent twice", auth=auth, timeout=10)
        assert [r.status_code for r in answer.history] == [401]
    else:
        answer = httpx.post(url, content=b"sent twice", auth=auth, timeout=10)
    # The retry re-sent the same body, signed afresh.
    assert answer.status_code == 200 and answer.json()["body"] == "sent twice"
    assert 590 <= auth.clock_offset <= 610
    # The offset is kept: the next request needs no retry.
    if client == "requests":
        assert requests.get(live["server"] + "/v1/whoami", auth=auth, timeout=10).history == []


def test_a_clock_that_stays_wrong_is_not_retried_twice(live):
    auth = auth_for(live, now=lambda: time.time() - 600, retry_on_clock_skew=False)
    with pytest.raises(SignetError) as caught:
        requests.get(live["server"] + "/v1/whoami", auth=auth, timeout=10)
    assert caught.value.code == "token_expired" and caught.value.status == 401 and caught.value.server_time is not None


def test_a_revoked_key_raises_key_revoked_with_the_request_id(live):
    for send in (requests.get, httpx.get):
        with pytest.raises(SignetError) as caught:
            send(live["server"] + "/v1/whoami", auth=auth_for(live, "revoked"), timeout=10)
        assert (caught.value.code, caught.value.status) == ("key_revoked", 401)
        assert caught.value.request_id and caught.value.detail


def test_a_wrong_kid_raises_invalid_token(live):
    auth = SignetAuth(key_file=live["ed25519"]["key_file"], kid=live["unknown_kid"])
    with pytest.raises(SignetError) as caught:
        requests.get(live["server"] + "/v1/whoami", auth=auth, timeout=10)
    assert (caught.value.code, caught.value.status) == ("invalid_token", 401)


def test_a_rate_limited_consumer_gets_rate_limited_with_retry_after(live):
    for send in (requests.get, httpx.get):
        with pytest.raises(SignetError) as caught:
            send(live["server"] + "/v1/whoami", auth=auth_for(live, "limited"), timeout=10)
        assert (caught.value.code, caught.value.status) == ("rate_limited", 429)
        assert caught.value.retry_after is not None and caught.value.retry_after > 0


def test_a_streamed_answer_is_left_unread(live):
    auth = auth_for(live)
    with httpx.Client(auth=auth, timeout=10) as client:
        with client.stream("POST", live["server"] + "/v1/echo", content=b"streamed") as answer:
            assert answer.status_code == 200 and not answer.is_stream_consumed
            assert json.loads(answer.read())["body"] == "streamed"
    answer = requests.post(live["server"] + "/v1/echo", data=b"streamed", auth=auth, stream=True, timeout=10)
    assert answer.status_code == 200 and not answer._content_consumed
    assert answer.json()["body"] == "streamed"
