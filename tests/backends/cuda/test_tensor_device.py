"""Without a GPU: tensors on a device, PyTorch's way (`.to("cuda")`, `.cuda()`, `.cpu()`,
`device=`), with a stand-in GPU whose memory is the host's and whose evaluation is the
NumPy backend's: what is on which device, how it prints, and where gradients land."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

import graphc
from graphc import cuda


class _HostCopy:
    """A stand-in DeviceArray."""

    def __init__(self, value):
        self.value = np.array(value)

    def numpy(self):
        return self.value.copy()


@pytest.fixture
def fake_gpu(monkeypatch):
    """Uploads keep a host copy; device values are computed by the NumPy backend."""
    from graphc.evaluate import value_of

    monkeypatch.setattr(cuda, "_upload", lambda host, ordinal: _HostCopy(host))
    monkeypatch.setattr(cuda, "device_value", lambda node: _HostCopy(value_of(node)))


def test_a_moved_tensor_and_what_is_computed_from_it_are_on_the_gpu(fake_gpu):
    t = graphc.tensor([1.0, 2.0])
    g = t.to("cuda")
    devices = (t.device, g.device, (g * 2 + t).device, graphc.sin(g).device)
    assert devices == ("cpu", "cuda:0", "cuda:0", "cuda:0")
    assert g.cuda() is g and t.cpu() is t and g.to("cuda:0") is g
    assert repr(g * 2) == "tensor([2., 4.], device='cuda:0')"
    assert (g.sum()).item() == 3.0 and (g * 3).tolist() == [3.0, 6.0]
    back = (g + 1).cpu()
    assert back.device == "cpu" and back.numpy().tolist() == [2.0, 3.0]


def test_a_gpu_tensor_is_not_silently_a_numpy_array(fake_gpu):
    g = graphc.tensor([1.0]).cuda()
    with pytest.raises(TypeError, match=r"cuda:0 device type tensor to numpy. Use Tensor.cpu\(\)"):
        g.numpy()


def test_device_keyword_of_the_creation_functions(fake_gpu):
    made = [graphc.tensor([1, 2], device="cuda"), graphc.full((2,), 3.0, device="cuda:1"),
            graphc.zeros(2, device="cuda"), graphc.ones(2, device=0), graphc.arange(3, device="cuda"),
            graphc.eye(2, device="cuda")]
    assert [t.device for t in made] == ["cuda:0", "cuda:1", "cuda:0", "cuda:0", "cuda:0", "cuda:0"]
    assert graphc.tensor([1, 2], device="cpu").device == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        graphc.tensor([1.0], device="gpu")


def test_tensors_of_two_gpus_do_not_mix(fake_gpu):
    a, b = graphc.tensor([1.0]).to("cuda:0"), graphc.tensor([1.0]).to("cuda:1")
    with pytest.raises(RuntimeError, match="different GPUs: cuda:0, cuda:1"):
        print(a + b)


def test_gradients_of_gpu_leaves_land_on_the_gpu(fake_gpu):
    x = graphc.tensor(3.0, device="cuda")
    w = graphc.tensor(4.0, requires_grad=True, device="cuda")
    b = graphc.tensor(5.0, requires_grad=True).cuda()
    y = w * x + b
    assert repr(y) == "tensor(17., device='cuda:0', grad_fn=<AddBackward0>)"
    y.backward()
    assert repr(w.grad) == "tensor(3., device='cuda:0')" and repr(b.grad) == "tensor(1., device='cuda:0')"
    (w * x + b).backward()
    assert w.grad.item() == 6.0 and w.grad.device == "cuda:0"


def test_the_seed_tutorial_on_a_gpu_prints_the_cpu_tutorials_lines(fake_gpu, capsys):
    root = Path(__file__).resolve().parents[3] / "examples"
    runpy.run_path(str(root / "seed_basics.py"), run_name="__main__")
    cpu = capsys.readouterr().out
    runpy.run_path(str(root / "seed_basics_cuda.py"), run_name="__main__")
    gpu = capsys.readouterr().out
    assert gpu.count("device='cuda:0'") >= 15
    assert gpu.replace(", device='cuda:0'", "").splitlines() == cpu.splitlines()


def test_a_symbolic_tensor_cannot_move():
    with pytest.raises(ValueError, match="symbolic"):
        graphc.placeholder("x", (3,)).to("cuda")


def test_without_a_gpu_moving_is_a_clear_error():
    if cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        graphc.tensor([1.0]).cuda()
