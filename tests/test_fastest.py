"""precision="fastest": the bundle's files timed on the device (a fake clock here), the fastest picked, the choice
cached per bundle and device. Light tier: the shipped model, no TensorFlow."""

import json

import pytest

from conftest import ROOT

pytestmark = pytest.mark.light
BUNDLE = ROOT / "models" / "mnist-dcgan"


class FakeDevice:
    """Models whose calls advance a fake clock by a cost per precision: ``timer`` reads the clock."""

    def __init__(self, cost_ms: dict):
        self.cost, self.now, self.loaded = cost_ms, 0.0, []

    def timer(self) -> float:
        return self.now

    def make(self, precision: str):
        self.loaded.append(precision)
        device = self

        class Model:
            def example(self, n):
                def call():
                    device.now += device.cost[precision] / 1e3

                return call

        return Model()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEGAN_CACHE", str(tmp_path))
    return tmp_path / "fastest.json"


@pytest.mark.parametrize("int8_ms, want", [(0.9, "int8"), (1.4, "fp32")], ids=["int8-faster", "fp32-faster"])
def test_the_faster_onnx_file_is_picked_and_cached(cache, int8_ms, want):
    from edgegan import manifest as mf
    from edgegan.runtime.fastest import fastest

    m = mf.load(BUNDLE)
    device = FakeDevice({"fp32": 1.2, "int8": int8_ms})
    c = fastest(m, "generator", "onnx", device.make, timer=device.timer)
    assert c.precision == want and not c.cached
    assert c.times_ms == pytest.approx({"fp32": 1.2, "int8": int8_ms})
    assert want in c.line() and "measured here" in c.line()
    again = FakeDevice({"fp32": 1.2, "int8": int8_ms})
    c2 = fastest(m, "generator", "onnx", again.make, timer=again.timer)
    assert c2.precision == want and c2.cached and again.loaded == []  # the next load costs nothing
    other = FakeDevice({"fp32": 1.2, "int8": int8_ms})
    fastest(m, "generator", "onnx", other.make, threads=1, timer=other.timer)
    assert sorted(other.loaded) == ["fp32", "int8"]  # another thread count is another device setting
    assert len(json.loads(cache.read_text())) == 2


def test_a_cached_choice_of_a_file_the_bundle_no_longer_has_is_measured_again(cache):
    from edgegan import manifest as mf
    from edgegan.runtime.fastest import cache_key, fastest

    m = mf.load(BUNDLE)
    key = cache_key((BUNDLE / "manifest.json").read_bytes(), "generator", "onnx", None, None)
    cache.write_text(json.dumps({key: {"precision": "fp16", "times_ms": {}}}))  # no onnx/fp16 in this bundle
    device = FakeDevice({"fp32": 1.0, "int8": 2.0})
    assert fastest(m, "generator", "onnx", device.make, timer=device.timer).precision == "fp32"


def test_load_fastest_runs_the_picked_file_and_says_so(cache):
    import edgegan
    from edgegan.errors import ConfigError

    g = edgegan.load(BUNDLE, backend="onnx", precision="fastest")
    assert g.choice is not None and g.info.precision == g.choice.precision in ("fp32", "int8")
    assert set(g.choice.times_ms) == {"fp32", "int8"}
    assert g.sample(2).shape == (2, 28, 28, 1)
    assert edgegan.load(BUNDLE, backend="onnx", precision="fastest").choice.cached
    with pytest.raises(ConfigError, match="picks among a bundle's files"):
        edgegan.load(BUNDLE / "generator.fp32.onnx", precision="fastest")
