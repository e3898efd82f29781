"""The docstrings of the models and formula functions document every option of the core's table
(csrc/options/schema.cpp) with its default and what it applies to, generated from the table so
they cannot drift; an option added to the table without a doc fails here."""
import pytest

import ctxstats as cs
import ctxstats.formula.api as smf_ctx
from ctxstats import _options
from ctxstats._docs import applies_to

GLM_OPTIONS = _options.names("glm")

DOCUMENTED = {
    "ContextualizedGLM": cs.ContextualizedGLM,
    "ContextualizedRegression": cs.ContextualizedRegression,
    "ContextualizedLogit": cs.ContextualizedLogit,
    "ContextualizedPoisson": cs.ContextualizedPoisson,
    "ctx_glm": smf_ctx.ctx_glm,
    "ctx_ols": smf_ctx.ctx_ols,
    "ctx_logit": smf_ctx.ctx_logit,
    "ctx_poisson": smf_ctx.ctx_poisson,
}


def test_the_table_has_a_doc_for_every_option():
    for name in GLM_OPTIONS + _options.names("personalized"):
        assert len(_options.SCHEMA[name]["doc"].strip()) > 5, name


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_every_option_is_documented_with_its_scope(name):
    doc = " ".join(DOCUMENTED[name].__doc__.split())   # unwrap
    fixed_family = name in ("ContextualizedRegression", "ContextualizedLogit", "ContextualizedPoisson", "ctx_ols",
                            "ctx_logit", "ctx_poisson")
    for opt in GLM_OPTIONS:
        if fixed_family and opt == "family":
            continue
        row = _options.SCHEMA[opt]
        assert f"{opt} " in doc, f"{name} does not document {opt}"
        first_words = " ".join(row["doc"].split()[:6])
        assert first_words in doc, f"{name}: {opt}'s doc from the table is missing"
        if row["encoders"]:
            assert ", ".join(row["encoders"]) in doc, f"{name}: {opt} does not say which encoders it applies to"


def test_scope_text_reads_the_table():
    assert applies_to(_options.SCHEMA["n_knots"]) == "encoders spline"
    assert applies_to(_options.SCHEMA["width"]) == "encoders mlp, ngam"
    assert "spline" in cs.ContextualizedGLM.__doc__.split("encoder : ")[1].split("\n")[0]
