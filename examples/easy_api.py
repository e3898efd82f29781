"""Coming from ContextualizedML: the same script with ``ctxstats.easy``.

This is a script written for ``contextualized.easy``; only the import line differs. It fits
context-varying regressions and a classifier, reads the per-context models, uses bootstrap
replicates, and saves and reloads a fitted estimator.

Run:  python examples/easy_api.py
"""
import os
import tempfile

import numpy as np

# was: from contextualized.easy import ContextualizedRegressor, ContextualizedClassifier, ...
from ctxstats.easy import ContextualGAMRegressor, ContextualizedClassifier, ContextualizedRegressor

rng = np.random.default_rng(0)
n = 1000
C = rng.uniform(-1, 1, size=(n, 2))                       # contexts
X = rng.uniform(-1, 1, size=(n, 3))                       # predictors
beta_1 = C.sum(axis=1) ** 2                               # context-varying effects
beta_2 = -C.sum(axis=1)
Y = np.stack([X[:, 0] * beta_1 + C[:, 0], X[:, 1] * beta_2 + C[:, 1]], axis=1)
Y += 0.05 * rng.normal(size=Y.shape)

# ---- regression with two outcomes -----------------------------------------------------------
model = ContextualizedRegressor(num_archetypes=4, alpha=1e-3, l1_ratio=0.5, mu_ratio=0.1)
model.fit(C, X, Y, max_epochs=500, learning_rate=1e-3, es_patience=3, train_batch_size=8)
betas, mus = model.predict_params(C)
print("predict_params: betas", betas.shape, "mus", mus.shape)        # (n, y_dim, x_dim), (n, y_dim)
Y_hat = model.predict(C, X)
print("predict:", Y_hat.shape, " R^2 per outcome:",
      np.round(1 - ((Y - Y_hat) ** 2).sum(0) / ((Y - Y.mean(0)) ** 2).sum(0), 3))
print("error in beta_1 (outcome 0, predictor 0):",
      f"{np.sqrt(np.mean((betas[:, 0, 0] - beta_1) ** 2)):.3f} RMSE (sd of beta_1 {beta_1.std():.3f})")

# ---- bootstrap replicates and the GAM encoder -------------------------------------------------
# beta_2 = -(c1 + c2) is additive in the context features, so the GAM encoder can represent it.
gam = ContextualGAMRegressor(n_bootstraps=5, width=16, layers=2)
gam.fit(C, X, Y[:, 1], max_epochs=500, es_patience=3, train_batch_size=8)
boot_betas, boot_mus = gam.predict_params(C, individual_preds=True)
print("\nbootstrap betas", boot_betas.shape, "(replicates, n, y_dim, x_dim)")
lo, hi = np.percentile(boot_betas[:, :, 0, 1], [2.5, 97.5], axis=0)
print(f"bootstrap range of beta_2: median width {np.median(hi - lo):.3f}; "
      f"RMSE of the bagged estimate {np.sqrt(np.mean((boot_betas[:, :, 0, 1].mean(0) - beta_2) ** 2)):.3f} "
      f"(sd of beta_2 {beta_2.std():.3f})")

# ---- classification -----------------------------------------------------------------------
p = 1 / (1 + np.exp(-4 * Y[:, :1]))
Yb = (rng.uniform(size=(n, 1)) < p).astype(float)
clf = ContextualizedClassifier(encoder_type="mlp")
clf.fit(C, X, Yb, max_epochs=50, es_patience=3, train_batch_size=8)
proba = clf.predict_proba(C, X)
print("\npredict_proba", proba.shape, " accuracy", np.mean(clf.predict(C, X) == Yb).round(3))

# ---- ctxstats extras: scikit-learn protocol and persistence ---------------------------------
from sklearn.base import clone  # noqa: E402  (optional: only if scikit-learn is installed)

twin = clone(model).set_params(solver="lbfgs", max_epochs=300)
twin.fit(C, X, Y)
print("\nsame model fitted by L-BFGS: R^2", round(twin.score(C, X, Y), 4))

import ctxstats  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "model.ctxstats")
    model.save(path)
    back = ctxstats.load(path)
    print("reloaded model predicts identically:", np.array_equal(back.predict(C, X), model.predict(C, X)))
