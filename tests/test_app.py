"""The example app embeds the runtime: start it on loopback and fetch an image over real HTTP."""

import io
import json
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

from conftest import needs_tf

pytestmark = needs_tf


@pytest.fixture
def server(bundle):
    yield from _serve(bundle)


@pytest.fixture
def cond_server(cond_bundle):
    yield from _serve(cond_bundle)


def _serve(bundle):
    """examples/serve.py on a free loopback port, once /healthz answers (tools/load_translate.start); stopped after."""
    import load_translate

    p, base = load_translate.start(str(bundle))
    yield base
    p.terminate()
    p.wait(timeout=10)


def test_generate_returns_the_runtimes_png(server, bundle):
    import edgegan
    from edgegan.runtime.images import grid

    with urllib.request.urlopen(server + "/generate?seed=7&n=9", timeout=30) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "image/png"
        picture = np.asarray(Image.open(io.BytesIO(r.read())))
    want = grid(edgegan.load(bundle).sample(9, seed=7))[..., 0]
    np.testing.assert_array_equal(picture, want)


def test_healthz_and_bad_requests(server):
    with urllib.request.urlopen(server + "/healthz", timeout=10) as r:
        assert json.loads(r.read())["ok"] is True
    for path, code in (("/generate?n=abc", 400), ("/generate?n=100000", 400), ("/nope", 404)):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(server + path, timeout=10)
        assert e.value.code == code and "error" in json.loads(e.value.read())


def test_a_conditional_model_serves_the_label_asked_for(cond_server, cond_bundle):
    import edgegan
    from edgegan.runtime.images import grid

    with urllib.request.urlopen(cond_server + "/healthz", timeout=10) as r:
        assert json.loads(r.read())["classes"] == 10
    with urllib.request.urlopen(cond_server + "/generate?seed=2&n=4&label=7", timeout=30) as r:
        picture = np.asarray(Image.open(io.BytesIO(r.read())))
    g = edgegan.load(cond_bundle)
    np.testing.assert_array_equal(picture, grid(g.sample(4, seed=2, label=7))[..., 0])
    assert not np.array_equal(picture, grid(g.sample(4, seed=2, label=1))[..., 0])
    for path, words in (("label=12", "not a class"), ("label=x", "integers"), ("n=2", "pass labels")):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(cond_server + "/generate?" + path, timeout=10)
        assert e.value.code == 400 and words in json.loads(e.value.read())["error"], path
