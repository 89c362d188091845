"""The calibrated defaults: posterior means of the baseline calibration.

The baseline scenario's free parameters take these values (see docs/ODD.md, section 10).
They come from::

    talentsim calibrate experiments/calibration/baseline_calibration.yaml --workers 2

(the pool spun up from graduates, population.initial 'spin_up'), whose report, figures and
manifest are kept in results/calibration/. Rerun it and copy the posterior means (the
weighted means of posterior.parquet) here when the model changes. Means, not medians: on the
narrow ridge the rankings constrain, the fourteen marginal medians fall off it (technology
first in 2017 in 68 % of 50 runs at the medians, 100 % at the means; ODD 10.4).
"""

from __future__ import annotations

#: The source shown for these parameters in docs/ODD.md and scenarios/baseline.yaml.
SOURCE = "calibrated (posterior mean; experiments/calibration)"

#: Dotted scenario key -> posterior mean.
CALIBRATED: dict[str, float] = {
    "china.sectors.technology.demand_growth": 0.201,
    "china.sectors.finance.demand_growth": -0.185,
    "entry.segment_mix.sv_tech": 0.507,
    "offers.fit.sv_tech.technology": 0.0487,
    "offers.fit.business_other.technology": 0.0142,
    "offers.fit.finance.finance": 0.903,
    "offers.fit.sv_tech.manufacturing": 0.149,
    "offers.fit.business_other.manufacturing": 0.0471,
    "offers.fit.business_other.education": 0.0362,
    "offers.fit.academia.education": 0.490,
    "careers.bamboo_penalty_management": 0.254,
    "decisions.weights.family": 2.55,
    "offers.founder_rate": 0.152,
    "survey.recency_years": 2.50,
}


def calibrated(key: str) -> float:
    """The calibrated default of a dotted scenario key."""
    return CALIBRATED[key]
