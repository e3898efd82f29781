"""Formula interface: ``y ~ x1 + C(g) + np.log(x2) | c1 + c2`` (context after ``|``).

``ctxstats.formula.api`` holds the fitting functions (``ctx_glm``, ``ctx_ols``, ``ctx_logit``,
``ctx_poisson``); ``ctxstats.formula.parse`` turns a formula and a DataFrame into design
matrices with formulaic and keeps the fitted specs for prediction.
"""
