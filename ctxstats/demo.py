"""`make demo`: a contextualized logistic regression on the Fair (1978) affairs survey.

Does the association between marital happiness, religiousness and having had an affair
change with age and years of marriage? The data set ships with statsmodels.
"""
import pandas as pd
import statsmodels.api as sm

import ctxstats as cs


def main() -> None:
    data = sm.datasets.fair.load_pandas().data
    y = (data["affairs"] > 0).astype(float).rename("any_affair")
    X = data[["rate_marriage", "religious"]]
    C = data[["age", "yrs_married", "educ"]]
    print(f"Fair (1978) affairs survey: {len(data)} women; outcome any_affair, "
          "predictors rate_marriage and religious, context age, yrs_married, educ\n")
    for encoder, options in [("linear", {}), ("ngam", {"width": 16, "depth": 1})]:
        res = cs.ContextualizedLogit(y, X, C, encoder=encoder, **options).fit(seed=0)
        print(res.summary())
        contexts = pd.DataFrame({"age": [22.0, 42.0], "yrs_married": [2.5, 23.0], "educ": [14.0, 14.0]},
                                index=["age 22, married 2.5 y", "age 42, married 23 y"])
        print(f"\nPer-sample models for two new women ({encoder} encoder):")
        print(res.predict_params(contexts).round(3).to_string(), "\n")
        save_figures(res, encoder)


def save_figures(res, encoder: str, folder: str = "demo_figures") -> None:
    """Save the plots of ``ctxstats.plotting`` for one fit as PNG files, and say where."""
    try:
        import matplotlib  # noqa: F401  (in the [plot] extra)
    except ImportError:
        print("(figures skipped: install matplotlib to get them)\n")
        return
    from ctxstats import plotting
    import os
    import warnings

    os.makedirs(folder, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # effect curves of the linear encoder are slices: expected
        figures = {"coefficients": plotting.plot_coefficients(res, context="yrs_married"),
                   "effects": plotting.plot_ngam_effects(res),
                   "heatmap": plotting.plot_sample_heatmap(res),
                   "embedding": plotting.plot_embedding(res, color_by="yrs_married")}
    for name, fig in figures.items():
        fig.savefig(os.path.join(folder, f"{encoder}_{name}.png"), dpi=100)
    print(f"Figures for the {encoder} encoder saved in {os.path.abspath(folder)}/: "
          + ", ".join(f"{encoder}_{name}.png" for name in figures) + "\n")


if __name__ == "__main__":
    main()
