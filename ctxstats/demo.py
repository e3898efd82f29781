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


if __name__ == "__main__":
    main()
