"""The calibrated defaults: posterior medians of the baseline calibration.

The baseline scenario's free parameters take these values (see docs/ODD.md, section 10).
They come from::

    talentsim calibrate experiments/calibration/baseline_calibration.yaml --workers 2

whose report, figures and manifest are kept in results/calibration/. Rerun it and copy the
posterior medians (posterior_summary.parquet, column ``median``) here when the model changes.
"""

from __future__ import annotations

#: The source shown for these parameters in docs/ODD.md and scenarios/baseline.yaml.
SOURCE = "calibrated (posterior median; experiments/calibration)"

#: Dotted scenario key -> posterior median.
CALIBRATED: dict[str, float] = {
    "china.sectors.technology.demand_growth": 0.204,
    "china.sectors.finance.demand_growth": -0.206,
    "entry.segment_mix.sv_tech": 0.462,
    "offers.fit.sv_tech.technology": 0.0408,
    "offers.fit.business_other.technology": 0.0141,
    "offers.fit.finance.finance": 0.944,
    "offers.fit.sv_tech.manufacturing": 0.135,
    "offers.fit.business_other.manufacturing": 0.0442,
    "offers.fit.business_other.education": 0.0208,
    "offers.fit.academia.education": 0.544,
    "careers.bamboo_penalty_management": 0.246,
    "decisions.weights.family": 2.24,
    "offers.founder_rate": 0.138,
    "survey.recency_years": 3.28,
}


def calibrated(key: str) -> float:
    """The calibrated default of a dotted scenario key."""
    return CALIBRATED[key]
