"""asym.patching: temporary attribute and environment replacement, always undone."""

from __future__ import annotations

import os
import types

import pytest

from asym.patching import environ, replaced


class Base:
    value = "base"

    @staticmethod
    def helper():
        return "static"


class Child(Base):
    pass


def test_replaced_restores_own_inherited_and_descriptor_attributes():
    module = types.SimpleNamespace(f=len)
    with replaced(module, "f", max):
        assert module.f is max
    assert module.f is len
    with replaced(Child, "value", "child"):  # inherited: the override is removed again
        assert Child.value == "child" and Base.value == "base"
    assert "value" not in vars(Child) and Child.value == "base"
    raw = vars(Base)["helper"]
    with replaced(Base, "helper", staticmethod(lambda: "swapped")):
        assert Base.helper() == "swapped"
    assert vars(Base)["helper"] is raw and Base.helper() == "static"


def test_replaced_undoes_on_error_and_refuses_unknown_names_unless_created():
    module = types.SimpleNamespace(f=len)
    with pytest.raises(RuntimeError), replaced(module, "f", max):
        raise RuntimeError("inside")
    assert module.f is len
    with pytest.raises(AttributeError, match="create=True"), replaced(module, "g", max):
        pass
    with replaced(module, "g", max, create=True):
        assert module.g is max
    assert not hasattr(module, "g")


def test_environ_sets_and_restores_or_removes(monkeypatch):
    monkeypatch.setenv("ASYM_TEST_KEPT", "before")
    monkeypatch.delenv("ASYM_TEST_NEW", raising=False)
    with pytest.raises(KeyError), environ({"ASYM_TEST_KEPT": "inside", "ASYM_TEST_NEW": "1"}):
        assert os.environ["ASYM_TEST_KEPT"] == "inside" and os.environ["ASYM_TEST_NEW"] == "1"
        raise KeyError("inside")
    assert os.environ["ASYM_TEST_KEPT"] == "before" and "ASYM_TEST_NEW" not in os.environ
