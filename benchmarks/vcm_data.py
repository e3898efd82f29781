"""The public benchmark data for ctxstats: varying-coefficient regression with known truth.

This file reproduces the project's shared benchmark definition (shared/bench/vcm_data.py)
so the repository stands alone; benchmarks/run.py and tests/test_benchmark_data.py check
that both give identical arrays wherever the shared copy is present.

    C ~ N(0, 1)^(n x 3),  X ~ N(0, 1)^(n x 5)
    beta_ij = a_j C_i1 + b_j sin(2 C_i2) + d_j C_i3^2 / 2
    mu_i    = e_1 C_i1 + e_2 sin(2 C_i2) + e_3 C_i3^2 / 2
    y_i     = X_i . beta_i + mu_i + 0.5 eps_i           (task="reg"; noise floor MSE 0.25)
    y_i     ~ Bernoulli(sigmoid(X_i . beta_i + mu_i))   (task="clf")

a, b, d, e are drawn once from N(0, 1) with seed 12345.  A seeded 20% of rows is the test
set.  make_data(n, task, seed) returns a dict with C, X, y, beta, mu, train, test.

Measured on this data (2 cores, ContextualizedML 0.2.9 on PyTorch 2.13 CPU; fit on the 80%):

| n      | setting                                   | fit s | coef RMSE | test MSE |
|--------|-------------------------------------------|-------|-----------|----------|
| 10,000 | ContextualizedRegressor() defaults        | 32.1  | 0.334     | 0.839    |
| 10,000 | ContextualizedRegressor(encoder_type='ngam') | 81.5 | 0.882   | 4.677    |
| 10,000 | train_batch_size=256, learning_rate=1e-2  | 1.26  | 0.202     | 0.479    |
| 10,000 | linear varying-coefficient OLS (numpy)    | 0.003 | 1.155     | 7.716    |
| 10,000 | OLS on the true basis (oracle)            | 0.002 | 0.008     | 0.253    |
| 10,000 | ContextualizedClassifier() defaults (clf) | 37.3  | 0.576     | AUC 0.891 (Bayes 0.909) |
| 10,000 | ContextualizedRegressor(n_bootstraps=10)  | 537   | 0.151     | 0.379    |
| 50,000 | ContextualizedRegressor() defaults        | 312   | 0.159     | 0.430    |
| 50,000 | train_batch_size=256, learning_rate=1e-2  | 5.26  | 0.169     | 0.437    |

R's mgcv 1.8-41 (R 4.2.2), additive varying-coefficient model
`y ~ s(c1) + s(c2) + s(c3) + sum_jk s(ck, by = xj)`:

| n      | setting                                   | fit s | coef RMSE | test MSE |
|--------|-------------------------------------------|-------|-----------|----------|
| 10,000 | bam(method="fREML", discrete=TRUE, nthreads=2) | 0.52 | 0.028 | 0.254    |
| 10,000 | gam(method="REML")                        | 64.9  | 0.041     | 0.258    |
| 50,000 | bam(method="fREML", discrete=TRUE, nthreads=2) | 0.75 | 0.021 | 0.254    |
| 10,000 | bam, family=binomial (clf)                | 0.65  | 0.268     | AUC 0.907 |

EconML 0.17 CausalForest (X=C, T=X, fit_intercept=True): n=10,000, 100 trees: 1.37 s, RMSE 0.367;
2,000 trees: 22.1 s, RMSE 0.356; n=50,000, 100 trees: 8.1 s, RMSE 0.247.
Seed-to-seed spread is real: mgcv bam at n=10,000 gives 0.028 / 0.032 / 0.062 for seeds 0 / 1 / 2.

coef RMSE = sqrt(mean((beta_hat - beta)^2)) over the test rows and all five coefficients.
"""

import numpy as np

N_CONTEXT = 3
N_PREDICTORS = 5
NOISE_SD = 0.5
COEF_SEED = 12345
TEST_FRACTION = 0.2


def _truth():
    rng = np.random.default_rng(COEF_SEED)
    return (rng.normal(size=N_PREDICTORS), rng.normal(size=N_PREDICTORS),
            rng.normal(size=N_PREDICTORS), rng.normal(size=3))


def basis(C):
    """The true basis functions of the context: (C_1, sin(2 C_2), C_3^2 / 2), shape (n, 3)."""
    return np.stack([C[:, 0], np.sin(2 * C[:, 1]), C[:, 2] ** 2 / 2], axis=1)


def make_data(n, task="reg", seed=0):
    """Draw the benchmark data set.

    Parameters
    ----------
    n : int
        Number of rows (train and test together).
    task : {"reg", "clf"}
        Gaussian regression or a Bernoulli (logistic) outcome.
    seed : int
        Seeds the rows; the true coefficient functions are fixed (seed 12345).

    Returns
    -------
    dict
        ``C`` (n, 3), ``X`` (n, 5), ``y`` (n,), the truth ``beta`` (n, 5), ``mu`` (n,) and
        ``eta`` (n,), and the row indices ``train`` (80%) and ``test`` (20%).
    """
    a, b, d, e = _truth()
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, N_CONTEXT))
    X = rng.normal(size=(n, N_PREDICTORS))
    B = basis(C)
    beta = B[:, [0]] * a + B[:, [1]] * b + B[:, [2]] * d
    mu = B @ e
    eta = (X * beta).sum(axis=1) + mu
    noise = rng.normal(size=n)
    if task == "reg":
        y = eta + NOISE_SD * noise
    elif task == "clf":
        y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    else:
        raise ValueError(f"task must be 'reg' or 'clf', not {task!r}")
    order = rng.permutation(n)
    n_test = int(round(TEST_FRACTION * n))
    return dict(C=C, X=X, y=y, beta=beta, mu=mu, eta=eta,
                test=order[:n_test], train=order[n_test:])
