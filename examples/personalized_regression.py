"""Personalized regression with distance matching on the Fair (1978) affairs survey.

Each woman gets her own linear model of the (log) affair rate on marital happiness
and religiousness; models of women close in a learned metric over age, years married,
children and education are tied together. The learned metric weights say which context
columns the models actually change along.

    python examples/personalized_regression.py
"""
import numpy as np
import statsmodels.api as sm

import ctxstats as cs


def main() -> None:
    data = sm.datasets.fair.load_pandas().data.sample(n=2000, random_state=0)
    y = np.log1p(data["affairs"]).rename("log1p_affairs")
    X = data[["rate_marriage", "religious"]]
    C = data[["age", "yrs_married", "children", "educ"]]
    res = cs.PersonalizedRegression(y, X, C, rank=2).fit(seed=0, max_iter=300)
    print(res.summary())
    print("\nLearned metric weights (share of the context distance per column):")
    print(res.metric_weights.round(3).to_string())
    new = C.iloc[:3]
    print("\nModels for three women, predicted from their nearest training samples:")
    print(res.predict_params(new).round(3).to_string())


if __name__ == "__main__":
    main()
