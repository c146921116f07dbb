import json
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# The tests run against the source tree, as `pip install ./clients/python` would install it.
sys.path.insert(0, str(HERE.parent / "src"))

VECTORS = HERE.parent.parent.parent / "test" / "clients" / "vectors.json"


@pytest.fixture(scope="session")
def vectors():
    return json.loads(VECTORS.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def live():
    """The live Signet server and its keys, described by the file SIGNET_KIT_FIXTURE names (the
    vitest suite test/clients/python-kit.test.ts starts the server and writes it)."""
    path = os.environ.get("SIGNET_KIT_FIXTURE")
    if not path:
        pytest.skip("no live server: SIGNET_KIT_FIXTURE is not set (run through test/clients/python-kit.test.ts)")
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
