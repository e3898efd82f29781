"""A varying-coefficient regression three ways: statsmodels, ctxstats' linear encoder, and a
neural encoder.

Simulated data with a known answer: the effect of a dose x on a response y depends on age
through a curve that is not linear,

    y = mu(age) + beta(age) * x + noise,   beta(age) = 1 + sin(age),   mu(age) = 0.5 age.

* statsmodels OLS with the interaction ``y ~ x * age`` is the linear varying-coefficient
  model (Hastie & Tibshirani 1993): beta(age) = b0 + b1 age.
* ctxstats' ``linear`` encoder is the same model, solved exactly; it matches statsmodels to
  rounding error.
* ctxstats' ``mlp`` encoder learns beta(age) as a smooth function and recovers the curve.

Run:  python examples/varying_coefficients_vs_statsmodels.py
"""
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import ctxstats as cs

rng = np.random.default_rng(0)
n = 1500
df = pd.DataFrame({"age": rng.uniform(-3, 3, n), "x": rng.normal(size=n)})
beta_true = 1 + np.sin(df["age"])
df["y"] = 0.5 * df["age"] + beta_true * df["x"] + 0.3 * rng.normal(size=n)

# statsmodels: the interaction model
ols = smf.ols("y ~ x * age", data=df).fit()
beta_ols = ols.params["x"] + ols.params["x:age"] * df["age"]

# ctxstats, linear encoder: the same model
linear = cs.ContextualizedRegression(df["y"], df[["x"]], df[["age"]], encoder="linear").fit()
print("Linear encoder vs statsmodels OLS y ~ x * age:")
print(f"  largest difference in beta(age) over samples: "
      f"{np.max(np.abs(linear.sample_params['x'] - beta_ols)):.1e}")
print(f"  largest difference in fitted values:          "
      f"{np.max(np.abs(linear.fittedvalues - ols.fittedvalues)):.1e}")
print(f"  log-likelihood: ctxstats {linear.llf:.6f}, statsmodels {ols.llf:.6f}\n")

# ctxstats, neural encoder: beta(age) free to bend
mlp = cs.ContextualizedRegression(df["y"], df[["x"]], df[["age"]], encoder="mlp", width=16, depth=2,
                                  activation="tanh").fit(seed=0, max_iter=400)


def rmse(beta):
    return float(np.sqrt(np.mean((np.asarray(beta) - beta_true) ** 2)))


print("Recovery of the true beta(age) = 1 + sin(age) (root mean squared error over samples):")
print(f"  statsmodels interaction model : {rmse(beta_ols):.3f}")
print(f"  ctxstats linear encoder       : {rmse(linear.sample_params['x']):.3f}")
print(f"  ctxstats mlp encoder          : {rmse(mlp.sample_params['x']):.3f}")
grid = pd.DataFrame({"age": [-2.0, -1.0, 0.0, 1.0, 2.0]})
table = pd.DataFrame({"true": 1 + np.sin(grid["age"]),
                      "statsmodels": ols.params["x"] + ols.params["x:age"] * grid["age"],
                      "ctxstats linear": linear.predict_params(grid)["x"],
                      "ctxstats mlp": mlp.predict_params(grid)["x"]}).set_index(grid["age"])
print("\nbeta(age) at a few ages:")
print(table.round(3).to_string())
assert rmse(mlp.sample_params["x"]) < 0.5 * rmse(beta_ols)
