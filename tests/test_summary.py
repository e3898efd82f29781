"""summary() renders, as text and HTML, for every kind of model, with the tables and the
numbered notes it promises."""
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
import ctxstats.formula.api as smf_ctx
from conftest import make_vcm, short_bootstraps, short_fits

# Summaries of short neural fits (the unconverged note is part of what is tested).
pytestmark = [short_fits, short_bootstraps]

KINDS = [
    ("gaussian", "linear", {}, {}),
    ("binomial", "linear", {}, {"cov_type": "HC0"}),
    ("poisson", "linear", {}, {"n_bootstraps": 8}),
    ("gaussian", "linear", {}, {"n_bootstraps": 8, "cov_type": "bootstrap"}),
    ("gaussian", "linear", {}, {"alpha": 0.1}),                         # penalised: no SEs
    ("gaussian", "mlp", {"width": 4}, {}),                               # no SEs
    ("binomial", "mlp", {"width": 4}, {"n_bootstraps": 6}),
    ("poisson", "ngam", {"width": 3, "depth": 1}, {"n_bootstraps": 6}),
    ("gaussian", "mlp", {"width": 4, "archetypes": 3}, {"n_bootstraps": 6}),
    ("gaussian", "linear", {"archetypes": 2}, {}),
    ("gaussian", "mlp", {"width": 4}, {"solver": "adam", "n_bootstraps": 4}),
]


@pytest.mark.parametrize("family,encoder,enc_opts,fit_opts", KINDS)
def test_summary_renders_for_every_model_kind(family, encoder, enc_opts, fit_opts):
    d = make_vcm(n=200, p=2, m=2, family=family, seed=1)
    X = pd.DataFrame(d["X"], columns=["dose", "age"])
    C = pd.DataFrame(d["C"], columns=["site", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.IdentifiabilityWarning)
        res = cs.ContextualizedGLM(pd.Series(d["y"], name="outcome"), X, C, family=family, encoder=encoder,
                                   **enc_opts).fit(max_iter=30, **fit_opts)
        s = res.summary()
        text = str(s)
        html = s._repr_html_()
    for word in ("outcome", family, encoder, "No. Observations", "Log-Likelihood", "AIC", "BIC", "Converged",
                 "Iterations", "Notes:", "[1] Identifiability"):
        assert word in text, word
    assert "dose" in text and "<table" in html and "Notes" in html
    if res.cov_type is not None:
        assert "Average effects" in text and "Heterogeneity" in text and "[0.025" in text
    else:
        assert "No standard errors" in text
    linear = encoder == "linear" and not enc_opts.get("archetypes")
    assert ("Context effects" in text) == (linear and res.cov_type is not None)
    if linear and res.cov_type is not None:
        assert "dose:site" in text


def test_summary_alpha_and_formula_names():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=150), "g": rng.choice(["u", "v"], 150), "age": rng.normal(size=150)})
    df["y"] = df.x * (1 + df.age) + rng.normal(size=150)
    res = smf_ctx.ctx_ols("y ~ x + C(g) | age", df, encoder="linear").fit()
    text = str(res.summary(alpha=0.1))
    assert "[0.05" in text and "0.95]" in text and "C(g)[T.v]:age" in text
    assert repr(res.summary()) == str(res.summary())
    print(text)


def test_identifiability_report_renders():
    d = make_vcm(n=100)
    C = np.column_stack([d["C"], d["C"][:, 0]])
    with pytest.warns(cs.IdentifiabilityWarning):
        res = cs.ContextualizedRegression(d["y"], d["X"], C, encoder="linear").fit()
    rep = res.identifiability()
    assert "check(s) failed" in str(rep) and "[1]" in str(rep)
    assert "<table" in rep._repr_html_()
