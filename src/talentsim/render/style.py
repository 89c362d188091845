"""What every figure shares: scenario colours, parameter labels, tick labels, interval wording.

One place decides each of these, so a scenario has one colour in every figure, a parameter
one label, and an interval is named for what it is (a 90 % interval needs enough replicates).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from talentsim.taxonomy import CN_SECTORS, EDUCATION, SEGMENTS, SKILLS, US_SECTORS

#: The baseline's (or the reference scenario's) colour in every figure.
BASELINE_COLOUR = "C0"
#: The colours of the other scenarios, in their order (the baseline's is never reused).
SCENARIO_CYCLE = tuple(f"C{i}" for i in range(1, 10))
#: Fewest replicates whose 5th-95th percentile is called a 90 % interval.
MIN_INTERVAL_REPLICATES = 10
#: Last parts of parameter names that do not say which parameter they are on their own.
GENERIC_PARTS = frozenset(
    {*CN_SECTORS, *US_SECTORS, *SEGMENTS, *SKILLS, *EDUCATION}
    | {"mean", "sd", "std", "rate", "scale", "value", "weight", "share", "low", "high"}
    | {"min", "max", "base", "alpha", "beta", "probability", "level", "growth", "slope"}
)
#: Parts naming a category: a name keeps everything from its last such part on.
CATEGORY_PARTS = frozenset({*CN_SECTORS, *US_SECTORS, *SEGMENTS, *SKILLS, *EDUCATION})


def scenario_colours(labels: Sequence[str], baseline: str | None = None) -> dict[str, str]:
    """One colour per scenario label, the same in every figure.

    The baseline (`baseline`; else a label ``baseline``; else the first label) is always
    ``BASELINE_COLOUR``; the others take ``SCENARIO_CYCLE`` in their order. Compare, report
    and effects figures all call this with the baseline first, so they agree.
    """
    labels = list(dict.fromkeys(labels))
    if baseline is None:
        baseline = "baseline" if "baseline" in labels else (labels[0] if labels else None)
    colours = {baseline: BASELINE_COLOUR} if baseline is not None else {}
    others = [label for label in labels if label != baseline]
    colours.update(
        {label: SCENARIO_CYCLE[i % len(SCENARIO_CYCLE)] for i, label in enumerate(others)}
    )
    return colours


def _least_parts(parts: list[str]) -> int:
    """How many trailing parts a name's label keeps at least (see :func:`short_labels`)."""
    least = 2 if parts[-1] in GENERIC_PARTS else 1
    for i, part in enumerate(parts[:-1]):
        if part in CATEGORY_PARTS:  # `china.sectors.technology.x`: the sector stays
            least = max(least, len(parts) - i)
    return min(least, len(parts))


def short_labels(names: Sequence[str]) -> list[str]:
    """Labels of dotted parameter names for figures: their shortest telling endings.

    Only leading parts are dropped, and only while the labels stay distinct: each label is
    the shortest ending of dotted parts that no other name ends with, of at least two parts
    when the last alone is generic (``offers.fit.sv_tech.technology`` -> ``sv_tech.technology``)
    and keeping a category part (``china.sectors.technology.demand_growth`` ->
    ``technology.demand_growth``). Names given twice keep their full text.
    """
    split = [name.split(".") for name in names]
    labels = []
    for i, parts in enumerate(split):
        others = [o for j, o in enumerate(split) if j != i]
        label = names[i]
        for length in range(_least_parts(parts), len(parts) + 1):
            ending = parts[-length:]
            if not any(o[-length:] == ending for o in others):
                label = ".".join(ending)
                break
        labels.append(label)
    return labels


def label_map(names: Sequence[str]) -> dict[str, str]:
    """:func:`short_labels` as a mapping from each name to its label."""
    return dict(zip(names, short_labels(names), strict=True))


def interval_label(replicates: int, what: str = "replicates") -> str:
    """What a band over `replicates` runs is, in a title or legend.

    A 90 % interval (5th to 95th percentile) only from ``MIN_INTERVAL_REPLICATES`` on; with
    fewer, the band is the replicates' range and is called so.
    """
    if replicates >= MIN_INTERVAL_REPLICATES:
        return f"90 % interval over {replicates} {what}"
    if replicates >= 2:
        return f"range of {replicates} {what}"
    return f"no interval (a single {what.removesuffix('s')})"


def band_caption(replicates: int, what: str = "replicates", shape: str = "bands") -> str:
    """The caption's phrase for the bands (or bars) of :func:`interval_errorbar`."""
    if replicates >= MIN_INTERVAL_REPLICATES:
        return f"{shape}: 5th-95th percentile (90 % interval) over {replicates} {what}"
    if replicates >= 2:
        return (
            f"{shape}: lowest to highest of {replicates} {what} (fewer than "
            f"{MIN_INTERVAL_REPLICATES}, too few for a 90 % interval)"
        )
    return f"no {shape}: a single {what.removesuffix('s')}"


def interval_errorbar(replicates: int) -> Any:
    """The `errorbar` (seaborn's) for :func:`interval_label`: 5th-95th pct., the range, or none."""
    if replicates >= MIN_INTERVAL_REPLICATES:
        return ("pi", 90)
    return ("pi", 100) if replicates >= 2 else None


def spaced_formatter(suffix: str = "", scale: float = 1.0, sign: bool = False) -> Any:
    """A matplotlib tick formatter with as many decimals as the tick spacing needs.

    Ticks 17.6, 18.0 and 18.4 read "17.6", "18.0", "18.4" (not "18" three times); 0, 500
    and 1,000 read without decimals, with thousands separators; no two ticks read alike.
    Values are multiplied by `scale` (100: shares as percentages or points), signed if
    `sign`. (Made on demand, so importing this module does not import matplotlib.)
    """
    from matplotlib.ticker import Formatter

    class SpacedFormatter(Formatter):
        def __init__(self) -> None:
            self.digits = 0

        def set_locs(self, locs: Sequence[float]) -> None:
            super().set_locs(locs)
            self.digits = tick_digits([scale * v for v in locs], sign)

        def __call__(self, x: float, pos: int | None = None) -> str:
            return _tick_text(scale * x, self.digits, sign) + suffix

    return SpacedFormatter()


def _tick_text(value: float, digits: int, sign: bool = False) -> str:
    return f"{round(value, digits) + 0.0:{'+' if sign else ''},.{digits}f}"  # never "-0"


def tick_digits(locs: Sequence[float], sign: bool = False) -> int:
    """The decimals that label ticks at `locs` exactly (as their spacing needs) and distinctly."""
    values = sorted({float(v) for v in locs if math.isfinite(v)})
    steps = [b - a for a, b in itertools.pairwise(values) if b > a]
    digits = max(0, -math.floor(math.log10(min(steps)) + 1e-9)) if steps else 0  # 0.999..
    exact = digits + 2  # ticks 2.5 apart read "2.5", "5.0" (up to two more decimals)
    while digits < exact and any(
        abs(v * 10**digits - round(v * 10**digits)) > 1e-6 for v in values
    ):
        digits += 1
    while digits < 8 and len({_tick_text(v, digits, sign) for v in values}) < len(values):
        digits += 1
    return digits
