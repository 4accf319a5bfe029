import os

import pytest

from tests.utils.env import set_env, without_env


class TestSetEnv:
    def test_set_env__sets_and_restores_absent_variable(self):
        assert "TU_ENV_A" not in os.environ
        with set_env(TU_ENV_A="1") as environ:
            assert environ["TU_ENV_A"] == "1"
            assert os.environ["TU_ENV_A"] == "1"
        assert "TU_ENV_A" not in os.environ

    def test_set_env__restores_previous_value_after_exception(self, monkeypatch):
        monkeypatch.setenv("TU_ENV_B", "before")
        seen = []

        def fail_inside():
            with set_env(TU_ENV_B="during"):
                seen.append(os.environ["TU_ENV_B"])
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            fail_inside()
        assert seen == ["during"]
        assert os.environ["TU_ENV_B"] == "before"

    def test_set_env__none_unsets_then_restores(self, monkeypatch):
        monkeypatch.setenv("TU_ENV_C", "kept")
        with set_env({"TU_ENV_C": None}):
            assert "TU_ENV_C" not in os.environ
        assert os.environ["TU_ENV_C"] == "kept"

    def test_set_env__works_on_a_given_mapping(self):
        environ = {"KEEP": "x"}
        with set_env({"NEW": "1"}, KEEP=None, environ=environ):
            assert environ == {"NEW": "1"}
        assert environ == {"KEEP": "x"}

    def test_set_env__rejects_non_string_value_before_changing_anything(self):
        environ = {"A": "1"}
        with (
            pytest.raises(TypeError, match="B: value must be str"),
            set_env(A="2", B=3, environ=environ),
        ):
            pass  # pragma: no cover - the context manager raises first
        assert environ == {"A": "1"}

    @pytest.mark.parametrize("name", ["", "A=B"])
    def test_set_env__rejects_invalid_names(self, name):
        with (
            pytest.raises(ValueError, match="invalid environment variable name"),
            set_env({name: "x"}, environ={}),
        ):
            pass  # pragma: no cover


def test_without_env__removes_prefixed_names_and_restores_them():
    environ = {"API_X": "1", "API_Y": "2", "OTHER": "3"}
    with without_env("API_", environ=environ):
        assert environ == {"OTHER": "3"}
    assert environ == {"API_X": "1", "API_Y": "2", "OTHER": "3"}
