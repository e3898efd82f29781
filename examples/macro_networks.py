"""A network for every quarter: how the co-movement of the US economy changed, 1959-2009.

Data: statsmodels' ``macrodata`` (shipped with statsmodels, no download): quarterly US
aggregates 1959Q1-2009Q3. The features are the quarterly growth rates (100 x log difference)
of real GDP, consumption, investment, government spending and disposable income, and the
change in the unemployment rate; the context is the date. A contextualized correlation network
with the linear encoder lets every pairwise regression's intercept and slope drift linearly
with time, so each quarter gets its own correlation network -- a time-varying network without
windows or a bandwidth. Bootstrap replicates (resampled quarters) give every edge of every
quarter an interval, and a test of whether the edge changes over time at all.

Run:  python examples/macro_networks.py     (figures in example_figures/)
"""
import os

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ctxstats.easy import ContextualizedCorrelationNetworks
from ctxstats.network_plots import plot_network, plot_network_edge

data = sm.datasets.macrodata.load_pandas().data
levels = data[["realgdp", "realcons", "realinv", "realgovt", "realdpi"]]
X = 100 * np.log(levels).diff()
X.columns = ["gdp", "consumption", "investment", "government", "income"]
X["unemployment"] = data["unemp"].diff()
when = (data["year"] + (data["quarter"] - 1) / 4).rename("year")
keep = X.notna().all(axis=1)
X, C = X[keep], when[keep].to_frame()
print(f"{len(X)} quarters, {X.shape[1]} features, context: the date ({C['year'].min():.2f} to "
      f"{C['year'].max():.2f})")

model = ContextualizedCorrelationNetworks(n_bootstraps=200, random_state=0).fit(C, X)
names = list(X.columns)

# Each quarter's correlation network (the mean over the bootstrap replicates).
rho = model.predict_correlation(C, individual_preds=False, squared=False)
for year in (1965.0, 2005.0):
    row = int(np.argmin(np.abs(C["year"].to_numpy() - year)))
    print(f"\ncorrelations in {C['year'].iloc[row]:.2f}:")
    print(pd.DataFrame(rho[row], index=names, columns=names).round(2).to_string())

# Does each edge change over time? The bootstrap heterogeneity test of every edge (the core's),
# here for the slopes of GDP growth on each other feature.
inf = model.edge_inference(C)
test = pd.DataFrame({"slope 1960": inf["estimate"][0, 0, 1:], "slope 2009": inf["estimate"][-1, 0, 1:],
                     "het p-value": inf["het_pvalue"][0, 1:]}, index=[f"gdp ~ {n}" for n in names[1:]])
print(f"\nGDP growth regressed on each feature, and whether the slope varies with time "
      f"({inf['n_bootstraps']} bootstrap replicates):")
print(test.round(3).to_string())

os.makedirs("example_figures", exist_ok=True)
fig = plot_network_edge(model, C, edge=("gdp", "income"), context="year")
fig.savefig(os.path.join("example_figures", "macro_gdp_income.png"), dpi=90)
fig = plot_network(model, C, sample=len(C) - 1)
fig.savefig(os.path.join("example_figures", "macro_network_2009.png"), dpi=90)
print("\nfigures: example_figures/macro_gdp_income.png, example_figures/macro_network_2009.png")
