"""ctxstats.r: pandas <-> R conversion with missing values intact, results as R lists."""
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from rsupport import as_array, r_package, vcm_frame

pytestmark = pytest.mark.against_r


@pytest.fixture(scope="module")
def ro():
    return r_package()


def with_missing():
    return pd.DataFrame({
        "i": pd.array([1, None, 3], dtype="Int64"),
        "b": pd.array([True, None, False], dtype="boolean"),
        "f": [1.5, np.nan, -2.0],
        "s": ["a", None, "c"],
        "k": pd.Categorical(["u", None, "v"], categories=["u", "v", "w"]),
        "n": np.array([1, 2, 3]),
        "bb": [True, False, True],
    })


def test_pandas_missing_values_become_r_na_of_the_right_type(ro):
    from ctxstats.r import to_r

    rdf = to_r(with_missing())
    check = ro.r("function(d) list(cls = sapply(d, function(x) class(x)[1]), na = sapply(d, is.na), "
                 "nan = is.nan(d$f), lv = levels(d$k), i = d$i, rn = attr(d, 'row.names'))")(rdf)
    cls = dict(zip(["i", "b", "f", "s", "k", "n", "bb"], list(check.rx2("cls"))))
    assert cls == {"i": "integer", "b": "logical", "f": "numeric", "s": "character", "k": "factor",
                   "n": "integer", "bb": "logical"}
    na = np.asarray(check.rx2("na"), dtype=bool).reshape(3, 7, order="F")
    assert na[1, :5].all() and not na[[0, 2], :].any() and not na[:, 5:].any()
    assert not np.asarray(check.rx2("nan"), dtype=bool)[1]  # NA, not NaN
    assert list(check.rx2("lv")) == ["u", "v", "w"]
    assert list(as_array(check.rx2("rn"))) == [1, 2, 3]


def test_r_missing_values_come_back_as_pandas_missing_values(ro):
    from ctxstats.r import from_r

    df = from_r(ro.r('data.frame(i = c(1L, NA, 3L), l = c(TRUE, NA, FALSE), d = c(1.5, NA, NaN), '
                     's = c("a", NA, "c"), f = factor(c("u", NA, "v")), '
                     'dt = as.Date(c("2020-01-01", NA, "2020-02-01")), full = 4:6)'))
    # rpy2's default converter gives -2147483648 for the missing integer; here it is pd.NA
    assert str(df["i"].dtype) == "Int64" and df["i"].isna().tolist() == [False, True, False]
    assert df["i"].iloc[2] == 3 and -2147483648 not in df["i"].dropna().tolist()
    assert str(df["l"].dtype) == "boolean" and df["l"].isna().tolist() == [False, True, False]
    assert bool(df["l"].iloc[0]) is True
    assert df["d"].isna().tolist() == [False, True, True]
    assert df["s"].isna().tolist() == [False, True, False] and df["s"].iloc[2] == "c"
    assert isinstance(df["f"].dtype, pd.CategoricalDtype) and df["f"].isna().tolist() == [False, True, False]
    assert list(df["f"].cat.categories) == ["u", "v"]
    assert df["dt"].isna().tolist() == [False, True, False] and df["dt"].iloc[2] == pd.Timestamp("2020-02-01")
    assert df["full"].dtype == np.int64 and df["full"].tolist() == [4, 5, 6]


def test_round_trip_keeps_values_dtypes_missing_values_and_row_names(ro):
    from ctxstats.r import from_r, to_r

    df = with_missing()
    df.index = ["r1", "r2", "r3"]
    back = from_r(to_r(df))
    assert list(back.index) == ["r1", "r2", "r3"]
    for col in df.columns:
        assert back[col].isna().tolist() == df[col].isna().tolist(), col
        assert back[col].dropna().tolist() == df[col].dropna().tolist(), col
    for col in ["i", "b", "k", "n", "bb", "f"]:
        assert back[col].dtype == df[col].dtype, col


def test_large_integers_and_unsupported_columns(ro):
    from ctxstats.r import from_r, to_r

    big = from_r(to_r(pd.DataFrame({"x": np.array([1, 2**40])})))
    assert big["x"].tolist() == [1.0, 2.0**40]  # R has no 64-bit integers: doubles
    with pytest.raises(TypeError, match="column 'z'"):
        to_r(pd.DataFrame({"z": [object(), object()]}))
    with pytest.raises(TypeError, match="column 'c'"):
        from_r(ro.r("data.frame(c = complex(real = 1:2, imaginary = 0))"))


def test_results_become_an_r_list_with_named_matrices(ro):
    from ctxstats.r import results_to_r

    df = vcm_frame(n=120)
    df.index = [f"s{i}" for i in range(120)]
    res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], encoder="linear").fit()
    L = results_to_r(res)
    info = ro.r("function(L) list(dn = dimnames(L$sample_params), pn = names(L$params), "
                "fn = names(L$fittedvalues), opts = L$options$encoder, conv = L$converged, "
                "mean_ok = max(abs(colMeans(L$sample_params) - L$params)))")(L)
    assert list(info.rx2("dn")[1]) == ["Intercept", "x1", "x2"]
    assert list(info.rx2("dn")[0])[:2] == ["s0", "s1"]
    assert list(info.rx2("pn")) == ["Intercept", "x1", "x2"]
    assert list(info.rx2("fn"))[:1] == ["s0"]
    assert info.rx2("opts")[0] == "linear" and bool(info.rx2("conv")[0]) is True
    assert float(info.rx2("mean_ok")[0]) < 1e-14
    np.testing.assert_array_equal(as_array(L.rx2("sample_params")), res.sample_params.to_numpy())
    assert float(L.rx2("llf")[0]) == res.llf
