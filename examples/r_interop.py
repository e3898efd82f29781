"""ctxstats from R and back, through rpy2: the same fit in both languages.

Fits a contextualized regression with the R package (`ctx_glm(y ~ x1 + x2 | c1 + c2)`) on an R
data frame, fits the same model in Python, and shows that the per-sample coefficients agree
(the two share one C++ core). Skips with a message where R, rpy2 or the R package is missing.

    python examples/r_interop.py
"""
import numpy as np
import pandas as pd

import ctxstats as cs
import ctxstats.formula.api  # noqa: F401  (cs.formula.api below)


def main() -> None:
    try:
        from ctxstats.r import load_r_package, to_r
        import rpy2.robjects as ro

        load_r_package()
    except Exception as err:  # R, rpy2 or the installed R package missing
        print(f"skipped: the R side is not available here ({err})")
        return
    rng = np.random.default_rng(0)
    n = 500
    df = pd.DataFrame({"c1": rng.normal(size=n), "c2": rng.normal(size=n),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = df.x1 * (1 + df.c1) + df.x2 * np.sin(df.c2) + 0.3 * rng.normal(size=n)

    ro.globalenv["df"] = to_r(df)
    r_fit = ro.r('fit <- ctxstats::ctx_glm(y ~ x1 + x2 | c1 + c2, data = df, encoder = "ngam", seed = 0); fit')
    print(ro.r("paste(capture.output(print(fit)), collapse = '\\n')")[0])
    r_coef = np.asarray(ro.r("ctxstats::sample_coef(fit)"))

    py = cs.formula.api.ctx_ols("y ~ x1 + x2 | c1 + c2", df, encoder="ngam").fit(seed=0)
    diff = np.abs(py.sample_params.to_numpy() - r_coef).max()
    print(f"\nlargest difference between R's and Python's per-sample coefficients: {diff:.1e}")
    del r_fit


if __name__ == "__main__":
    main()
