"""An exception inside any grad-mode context or decorated function restores the mode it found,
from either starting mode, and propagates unchanged (as in torch)."""

import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


class Boom(Exception):
    pass


def _contexts(lib):
    """(name, a callable that raises Boom under the context, the mode seen inside)."""

    def under(make):
        def run(seen):
            with make():
                seen.append(lib.is_grad_enabled())
                raise Boom

        return run

    def decorated(make):
        def run(seen):
            @make()
            def f():
                seen.append(lib.is_grad_enabled())
                raise Boom

            f()

        return run

    return {
        "with no_grad": (under(lib.no_grad), False),
        "with enable_grad": (under(lib.enable_grad), True),
        "with set_grad_enabled(False)": (under(lambda: lib.set_grad_enabled(False)), False),
        "with set_grad_enabled(True)": (under(lambda: lib.set_grad_enabled(True)), True),
        "@no_grad()": (decorated(lib.no_grad), False),
        "@enable_grad()": (decorated(lib.enable_grad), True),
        "@set_grad_enabled(False)": (decorated(lambda: lib.set_grad_enabled(False)), False),
        "@set_grad_enabled(True)": (decorated(lambda: lib.set_grad_enabled(True)), True),
    }


@pytest.mark.parametrize("start", [True, False])
@pytest.mark.parametrize("name", list(_contexts(ad)))
def test_a_raise_inside_restores_the_mode(name, start):
    for lib in (ad, torch):  # torch is the oracle for the mode seen inside and after
        run, inside = _contexts(lib)[name]
        lib.set_grad_enabled(start)
        try:
            seen = []
            with pytest.raises(Boom):
                run(seen)
            assert seen == [inside], (lib.__name__, name)
            assert lib.is_grad_enabled() is start, (lib.__name__, name)
        finally:
            lib.set_grad_enabled(True)


@pytest.mark.parametrize("start", [True, False])
def test_a_raise_in_nested_contexts_restores_each_level(start):
    ad.set_grad_enabled(start)
    try:
        with ad.no_grad():
            try:
                with ad.enable_grad():
                    assert ad.is_grad_enabled()
                    raise Boom
            except Boom:
                pass
            assert not ad.is_grad_enabled()
            with pytest.raises(Boom), ad.set_grad_enabled(True):
                raise Boom
            assert not ad.is_grad_enabled()
        assert ad.is_grad_enabled() is start
    finally:
        ad.set_grad_enabled(True)


def test_decorated_functions_keep_their_result_and_name():
    @ad.no_grad()
    def double(x):
        """Doubles."""
        return x * 2

    x = ad.tensor([1.0], requires_grad=True)
    y = double(x)
    assert not y.requires_grad and double.__name__ == "double" and double.__doc__ == "Doubles."
    assert ad.is_grad_enabled()


@pytest.mark.parametrize("make", ["no_grad", "enable_grad"])
def test_bare_decorator_form(make):
    @getattr(torch, make)
    def f_torch():
        raise Boom

    with pytest.raises(Boom):
        f_torch()

    @getattr(ad, make)
    def f():
        raise Boom

    with pytest.raises(Boom):
        f()
    assert ad.is_grad_enabled()
