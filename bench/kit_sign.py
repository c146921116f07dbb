"""Signing rate of the Python client kit on this process's core (run by bench/kits.ts, pinned).
Prints one JSON object: requests signed per second for Ed25519 and HMAC keys, sign_request alone
and through SignetAuth preparing a requests.PreparedRequest."""

import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "clients" / "python" / "src"))
from signet_client import SignetAuth, import_signing_key, sign_request  # noqa: E402

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
vectors = json.loads((pathlib.Path(__file__).resolve().parent.parent / "test" / "clients" / "vectors.json").read_text())
KID = "key_7Qx3mJtZ1pUe9LcWbR4sNa"
URL = "http://127.0.0.1:3000/v1/echo?lang=en"
BODY = b'{"hello":"world","n":12345}' * 40  # about 1 KiB


def rate(step):
    """Per wall-clock second and per CPU-second (on a loaded, shared machine the wall clock also
    measures the neighbours)."""
    for _ in range(200):  # warm up
        step()
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            step()
        count += 100
    return {"per_second": round(count / elapsed), "per_cpu_second": round(count / (time.process_time() - cpu))}


result = {}
for name, key in (("ed25519", import_signing_key(vectors["keys"]["k1"]["private"]["pem"])), ("hmac", import_signing_key(vectors["hmac_secrets"][0]["secret"]))):
    result[f"{name}_sign_request"] = rate(lambda: sign_request("POST", URL, BODY, key=key, kid=KID))
    try:
        import requests

        auth = SignetAuth(key=key, kid=KID)
        prepared = requests.Request("POST", URL, data=BODY).prepare()
        result[f"{name}_requests_auth"] = rate(lambda: auth._sign_prepared(prepared))
    except ImportError:
        pass
print(json.dumps(result))
