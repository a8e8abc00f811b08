"""Device choice and seeding."""

import pytest
import torch

import armini


def test_env_variable_overrides(monkeypatch):
    monkeypatch.setenv("ARMINI_DEVICE", "cpu")
    assert armini.get_device() == torch.device("cpu")


def test_unknown_device_is_named(monkeypatch):
    monkeypatch.setenv("ARMINI_DEVICE", "tpu")
    with pytest.raises(ValueError, match="unknown device 'tpu': expected one of"):
        armini.get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        armini.get_device("cuda")


def test_default_is_cuda_when_present(monkeypatch):
    monkeypatch.delenv("ARMINI_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    if expected:
        assert armini.get_device().type == "cuda"
    else:
        assert armini.get_device().type in ("cpu", "mps")


def test_seed_everything_repeats_draws():
    armini.seed_everything(3)
    a = torch.rand(3)
    armini.seed_everything(3)
    assert torch.equal(a, torch.rand(3))
    with pytest.raises(ValueError, match="seed must be an int from 0 to 4294967295"):
        armini.seed_everything(-1)


def test_setup_returns_the_device(monkeypatch):
    monkeypatch.setenv("ARMINI_DEVICE", "cpu")
    assert armini.setup(seed=1) == torch.device("cpu")
