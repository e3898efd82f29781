"""Two more varying-coefficient designs with known truth, beside the public benchmark's
(benchmarks/vcm_data.py), for the neural encoders' targets of issue 12. Both return what
vcm_data.make_data returns (C, X, y, beta, mu, eta, train, test; 20% test rows), p = 5.

wide(n, task, seed, m=30): a wide context whose effect runs through two directions.
    C ~ N(0, 1)^(n x m); u1 = C a1, u2 = C a2 with a1, a2 orthonormal (fixed by seed 12345)
    beta_ij = f_j sin(u1_i) + g_j (u2_i^2 - 1) / 2,   mu_i = e_1 sin(u1_i) + e_2 (u2_i^2 - 1) / 2
    Neither function is additive in the columns of C, and a tensor product per pair of the m
    columns is m(m-1)/2 terms: the case neural encoders are for.

interaction(n, task, seed): m = 4 with a product of two context features.
    C ~ N(0, 1)^(n x 4);  beta_ij = f_j C_i1 C_i3 + g_j sin(2 C_i2),  mu_i = e_1 C_i1 C_i3 + e_2 sin(2 C_i2)
    The spline encoder fits it with the tensor-product term interactions=[(0, 2)].

y_i = X_i . beta_i + mu_i + 0.5 eps_i (task "reg") or Bernoulli(sigmoid(eta_i)) (task "clf").
"""
import numpy as np

N_PREDICTORS = 5
NOISE_SD = 0.5
COEF_SEED = 12345
TEST_FRACTION = 0.2


def _finish(C, B, E, task, rng):
    n = C.shape[0]
    f = np.random.default_rng(COEF_SEED + 1).normal(size=(B.shape[1], N_PREDICTORS))
    X = rng.normal(size=(n, N_PREDICTORS))
    beta = B @ f
    mu = B @ E
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
    return dict(C=C, X=X, y=y, beta=beta, mu=mu, eta=eta, train=np.sort(order[n_test:]),
                test=np.sort(order[:n_test]))


def wide(n, task="reg", seed=0, m=30):
    directions, _ = np.linalg.qr(np.random.default_rng(COEF_SEED).normal(size=(m, 2)))
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, m))
    U = C @ directions
    B = np.stack([np.sin(U[:, 0]), (U[:, 1] ** 2 - 1) / 2], axis=1)
    return _finish(C, B, np.array([1.0, -0.5]), task, rng)


def interaction(n, task="reg", seed=0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 4))
    B = np.stack([C[:, 0] * C[:, 2], np.sin(2 * C[:, 1])], axis=1)
    return _finish(C, B, np.array([0.5, 1.0]), task, rng)
