"""outcore.evaluate against numexpr.evaluate, in the same process on the same arrays."""

import threading

import numexpr as ne
import numpy as np
import pytest

import outcore

rng = np.random.default_rng(7)
N = 1001
a = rng.random(N) * 10 - 5
b = rng.random(N) * 10 + 0.5
i = rng.integers(-50, 50, N).astype(np.int32)
j = rng.integers(-(2**40), 2**40, N)
f = (rng.random(N) * 4).astype(np.float32)
c = a + 1j * b
m = a > 0
s = np.array([b"spam", b"eggs", b"ham", b""] * 250 + [b"x"], dtype="S4")

CASES = [
    "a*b + 1",
    "where(a > 0.5, sqrt(b), b**3)",
    "sin(a)**2 + cos(a)**2",
    "exp(-a*a) * log(b)",
    "arctan2(a, b) + hypot(a, b)",
    "i * 2 + 1",
    "i // 7",
    "i % 7",
    "j + i",
    "j * 3 - i",
    "f * 2 + 1",
    "f + a",
    "i + f",
    "a < b",
    "(a > 0) & (b < 3) | ~m",
    "m ^ (a > 1)",
    "c * c + a",
    "abs(c) + real(c) - imag(c)",
    "sqrt(c)",
    "conj(c)",
    "i ** 2",
    "a ** 2.5",
    "sum(a)",
    "sum(a * b)",
    "prod(b / 3)",
    "min(a)",
    "max(j)",
    "sum(i)",
    "sum(j)",
    "s == b'spam'",
    "contains(s, b'am')",
    "s < b'f'",
    "where(m, a, -1)",
    "floor(a) + ceil(b)",
    "expm1(a) + log1p(b)",
    "arcsinh(a) + arccosh(b + 1) + arctanh(a / 6)",
    "tan(a) * tanh(b)",
    "a - -1",
    "2**-1 * a",
    "1e3 * a",
    "0x10 + i",
]


@pytest.mark.parametrize("ex", CASES)
def test_same_values_and_types_as_numexpr(ex):
    want = ne.evaluate(ex)
    got = outcore.evaluate(ex)
    assert got.dtype == want.dtype, ex
    assert got.shape == want.shape, ex
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "ex,values",
    [
        ("x + 1", {"x": 2}),
        ("x + 1", {"x": 2.5}),
        ("x + y", {"x": np.int32(3), "y": 2**40}),
        ("x * y", {"x": np.arange(6.0).reshape(2, 3), "y": np.arange(3.0)}),
        ("x * 2", {"x": np.arange(12.0).reshape(3, 4).T}),
        ("x * 2", {"x": np.arange(20.0)[::3]}),
        ("x + y", {"x": np.arange(4, dtype=np.int8), "y": np.arange(4, dtype=np.uint16)}),
        ("x + 1", {"x": np.arange(4, dtype=np.uint32)}),
        ("x + 1", {"x": np.arange(4, dtype=np.float16)}),
        ("x * 2", {"x": np.arange(4, dtype=np.complex64)}),
        ("x + 1", {"x": np.arange(4, dtype=">f8")}),
        ("sum(x, axis=0)", {"x": np.arange(12.0).reshape(3, 4)}),
        ("sum(x, axis=1)", {"x": np.arange(12.0).reshape(3, 4)}),
        ("x", {"x": np.array([b"abc", b"d"])}),
    ],
)
def test_conversions_broadcasting_and_scalars(ex, values):
    want = ne.evaluate(ex, local_dict=values)
    got = outcore.evaluate(ex, local_dict=values)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_array_equal(got, want)


def test_where_numexpr_is_wrong():
    """Documented in the README's differences table."""
    # numexpr 2.14 fails with SystemError on max/min of int32; outcore computes them.
    with pytest.raises(SystemError):
        ne.evaluate("max(i)")
    assert outcore.evaluate("max(i)") == i.max() and outcore.evaluate("min(i)").dtype == np.int32
    # numexpr returns an empty array for the sum of an empty array; outcore the sum, 0.
    e = np.array([], dtype=float)
    assert ne.evaluate("sum(e)").shape == (0,)
    r = outcore.evaluate("sum(e)")
    assert r.shape == () and r == 0.0


GLOBAL_Z = np.ones(5)


def test_names_come_from_the_callers_frame():
    def inner():
        x = np.arange(5.0)
        y = 3
        return outcore.evaluate("x * y + GLOBAL_Z")

    np.testing.assert_array_equal(inner(), np.arange(5.0) * 3 + 1)
    x = np.arange(5.0)
    np.testing.assert_array_equal(outcore.evaluate("x + y", global_dict={"x": x}, local_dict={"y": 1}), x + 1)


def test_out_is_written_in_place():
    out = np.empty(N)
    r = outcore.evaluate("a * b", out=out)
    assert r is out
    np.testing.assert_allclose(out, a * b)
    # Another type: cast under the casting rule, as numexpr.
    out32 = np.empty(N, dtype=np.float32)
    outcore.evaluate("a * b", out=out32, casting="unsafe")
    np.testing.assert_allclose(out32, (a * b).astype(np.float32), rtol=1e-6)
    with pytest.raises(TypeError):
        outcore.evaluate("a * b", out=np.empty(N, dtype=np.int32), casting="safe")
    # Non-contiguous outputs get the values too.
    big = np.zeros(2 * N)
    outcore.evaluate("a + 1", out=big[::2])
    np.testing.assert_allclose(big[::2], a + 1)
    assert not big[1::2].any()


def test_re_evaluate_uses_the_new_values():
    x = np.arange(3.0)
    outcore.evaluate("x * 2")
    x = np.arange(3.0) + 10
    np.testing.assert_array_equal(outcore.re_evaluate(), x * 2)


def test_errors_are_numexprs_exception_types_with_a_caret():
    x = np.arange(3.0)
    with pytest.raises(SyntaxError) as e:
        outcore.evaluate("x +")
    assert "^" in str(e.value) and "x +" in str(e.value)
    with pytest.raises(KeyError):
        outcore.evaluate("x + nope")
    with pytest.raises(TypeError, match="unknown function `foo`"):
        outcore.evaluate("foo(x)")
    with pytest.raises(TypeError, match="boolean|`and`"):
        outcore.evaluate("x and x")
    with pytest.raises(ValueError, match="subscripts"):
        outcore.evaluate("x[1]")
    with pytest.raises(ValueError, match="broadcast"):
        outcore.evaluate("x + y", local_dict={"x": x, "y": np.arange(4.0)})
    with pytest.raises(ValueError, match="Unicode"):
        outcore.evaluate("u", local_dict={"u": np.array(["a"])})
    with pytest.raises(ValueError, match="negative integer powers"):
        outcore.evaluate("i ** -1", local_dict={"i": np.arange(3)})
    with pytest.raises(ValueError, match="must specify expression as a string"):
        outcore.evaluate(3)


def test_numexpr_object_and_disassembly():
    nex = outcore.NumExpr("a * b + 1", [("a", np.double), ("b", np.double)])
    np.testing.assert_allclose(nex(a, b), a * b + 1)
    # Arguments are cast to the signature's types.
    np.testing.assert_allclose(nex(i, i), i.astype(float) * i + 1)
    text = outcore.disassemble(nex)
    assert "mul_f64" in text and "add_f64" in text


def test_thread_count():
    old = outcore.set_num_threads(1)
    try:
        assert outcore.get_num_threads() == 1
        np.testing.assert_allclose(outcore.evaluate("a * b"), a * b)
    finally:
        outcore.set_num_threads(old)
    assert outcore.get_num_threads() == old
    assert outcore.detect_number_of_cores() >= 1


def test_many_threads_at_once_get_right_answers():
    """numexpr's compiled objects are shared state; outcore's own their program."""
    errors = []
    xs = [np.arange(50_000, dtype=float) * k for k in range(8)]

    def work(k):
        x = xs[k]
        for _ in range(20):
            r = outcore.evaluate("x * 2 + k", local_dict={"x": x, "k": k})
            if not np.array_equal(r, x * 2 + k):
                errors.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_results_do_not_depend_on_the_thread_count():
    x = rng.random(300_001)
    want = outcore.evaluate("sum(x * 2)")
    old = outcore.set_num_threads(1)
    try:
        one = outcore.evaluate("sum(x * 2)")
    finally:
        outcore.set_num_threads(old)
    np.testing.assert_allclose(one, want, rtol=1e-12)
