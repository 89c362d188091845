"""Defects a newcomer reported: figures that mislead or do not read, messages that do not help."""

from __future__ import annotations

from pathlib import Path

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg
from matplotlib.colors import to_hex
from matplotlib.ticker import PercentFormatter

from talentsim.calibration.report import pairs_figure
from talentsim.cli import main
from talentsim.evidence.targets import load_targets
from talentsim.render import figures as figs
from talentsim.render import style
from talentsim.render import sweep_figures as sweep_figs
from talentsim.reports.compare import make_comparison
from talentsim.reports.report import make_report
from talentsim.taxonomy import CN_SECTORS

TINY_RUN = [
    "--replicates", "2", "--set", "population.agents=500", "--set", "time.end=2018",
    "--set", "time.burn_in_years=2",
]  # fmt: skip


def _invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def drawn(monkeypatch) -> list[matplotlib.figure.Figure]:
    """Every matplotlib figure saved while the test runs (its artists stay readable)."""
    saved: list[matplotlib.figure.Figure] = []
    original = matplotlib.figure.Figure.savefig

    def savefig(self, *args, **kwargs):
        if self not in saved:
            saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    return saved


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("newcomer_runs")
    made = {}
    for name in ("baseline", "h1b_tightening"):
        result = _invoke("run", name, *TINY_RUN, "--quiet", "--out", root / name)
        assert result.exit_code == 0, result.output
        made[name] = root / name
    return made


def _sweep_runs(replicates: int = 2) -> pd.DataFrame:
    """Run rows of a 2 x 2 grid sweep whose technology share lies between 17.6 % and 18.4 %."""
    rows = []
    for i, (a, b) in enumerate([(0.7, 0.05), (0.7, 0.15), (0.94, 0.05), (0.94, 0.15)]):
        for r in range(replicates):
            share = 0.176 + 0.008 * i / 3 + 0.0001 * r
            rows.append({"point": i, "replicate": r, "a.x": a, "b.y": b, "tech": share})
    return pd.DataFrame(rows)


def _annual(replicates: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        [
            {"replicate": r, "year": y, **{k: rng.uniform(1e5, 2e5) for k in figs.PEOPLE_OUTCOMES}}
            for r in range(replicates)
            for y in range(2010, 2019)
        ]
    )


def _sectors(panels: list[str], replicates: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        [
            {"scenario": p, "replicate": r, "year": y, "category": c, "share": rng.uniform(0, 0.5)}
            for p in panels
            for r in range(replicates)
            for y in (2015, 2016, 2017)
            for c in CN_SECTORS
        ]
    )


def _legend_colours(figure: matplotlib.figure.Figure) -> dict[str, str]:
    """Legend text -> the colour of its line, over every legend of the figure."""
    legends = [ax.get_legend() for ax in figure.axes] + list(figure.legends)
    colours = {}
    for legend in filter(None, legends):
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True):
            colours[text.get_text()] = to_hex(handle.get_color())
    return colours


# --------------------------------------------------------------------------- 1. tick labels


def test_heatmap_colour_bar_ticks_are_distinct(tmp_path: Path, drawn) -> None:
    outcomes = {"tech": ("technology's share of returnees, 2020", "share")}
    short = {"a.x": "a.x", "b.y": "b.y"}
    sweep_figs.heatmap_figure(_sweep_runs(), ("a.x", "b.y"), outcomes, tmp_path, short)
    (figure,) = drawn
    (bar,) = [ax for ax in figure.axes if ax.get_ylabel() == "share of returnees (%)"]
    low, high = bar.get_ylim()
    ticks = [t for t in bar.get_yticklabels() if low <= t.get_position()[1] <= high]
    texts = [t.get_text() for t in ticks]
    assert len(texts) >= 3 and len(set(texts)) == len(texts), texts
    assert "18.0" in texts, texts


def test_tick_precision_follows_the_spacing() -> None:
    formatter = style.spaced_formatter()
    assert formatter.format_ticks([17.6, 18.0, 18.4]) == ["17.6", "18.0", "18.4"]
    assert formatter.format_ticks([0, 500, 1000]) == ["0", "500", "1,000"]
    points = style.spaced_formatter(" pp", scale=100, sign=True)
    assert points.format_ticks([-0.002, 0.0, 0.002]) == ["-0.2 pp", "+0.0 pp", "+0.2 pp"]
    assert points.format_ticks([-0.01, 0.0, 0.01]) == ["-1 pp", "+0 pp", "+1 pp"]


# --------------------------------------------------------------------------- 2. colours


def test_a_scenario_has_one_colour_in_compare_and_report(
    runs: dict[str, Path], tmp_path: Path, drawn
) -> None:
    paths = [runs["baseline"], runs["h1b_tightening"]]
    make_comparison(paths, tmp_path / "compare")
    (compare,) = drawn
    make_report(paths, tmp_path / "report", fmt="md")
    (timeseries,) = [f for f in drawn[1:] if "Returns and stocks" in f._suptitle.get_text()]
    in_compare, in_report = _legend_colours(compare), _legend_colours(timeseries)
    assert in_compare["h1b_tightening"] == in_report["h1b_tightening"] == to_hex("C1")
    assert in_report["baseline"] == to_hex(style.BASELINE_COLOUR)


def test_the_effects_figures_take_the_same_colours() -> None:
    from talentsim.effects import report as effects_report

    assert effects_report.scenario_colours is style.scenario_colours
    assert style.scenario_colours(["h1b", "baseline", "boom"]) == {
        "baseline": "C0",
        "h1b": "C1",
        "boom": "C2",
    }
    assert style.scenario_colours(["mine", "h1b"])["mine"] == style.BASELINE_COLOUR


# --------------------------------------------------------------------------- 3. intervals


def test_a_band_of_few_replicates_is_not_called_a_90_percent_interval(tmp_path: Path) -> None:
    assert style.interval_label(2) == "range of 2 replicates"
    assert style.interval_label(20) == "90 % interval over 20 replicates"
    assert style.interval_errorbar(2) == ("pi", 100) and style.interval_errorbar(20) == ("pi", 90)
    two = figs.timeseries_figure(_annual(2), tmp_path, None, None, "over replicates")
    assert "range of 2 replicates" in two.title and "90 %" not in two.title
    assert "lowest to highest of 2 replicates" in two.caption and "90 % interval)" in two.caption
    twenty = figs.timeseries_figure(_annual(20), tmp_path, None, None, "over replicates")
    assert "90 % interval over 20 replicates" in twenty.title
    assert "5th-95th percentile (90 % interval) over 20 replicates" in twenty.caption
    sectors = figs.sector_figure(_sectors(["a"]), load_targets(), tmp_path, "scenario", "")
    assert "range of 2 replicates" in sectors.title


# --------------------------------------------------------------------------- 4. percent axes


def test_every_percent_axis_says_percent(tmp_path: Path, drawn) -> None:
    runs = _sweep_runs()
    outcomes = {"tech": ("technology's share of returnees, 2020", "share")}
    short = {"a.x": "a.x", "b.y": "b.y"}
    sweep_figs.sweep_outcomes_figure(runs, ["a.x", "b.y"], outcomes, tmp_path, short)
    figs.sector_figure(_sectors(["a", "b"]), load_targets(), tmp_path, "scenario", "")
    sectors = _sectors(["a"]).assign(point="0")
    sweep_figs.sweep_sector_figure(sectors, load_targets(), tmp_path, "point", None, "")
    percent = [
        ax.get_ylabel()
        for figure in drawn
        for ax in figure.axes
        if isinstance(ax.yaxis.get_major_formatter(), PercentFormatter) and ax.get_visible()
    ]
    assert len(percent) >= 4
    for label in percent:
        assert "(%)" in label and "(share)" not in label, label


def test_the_live_charts_percent_axes_say_percent() -> None:
    charts = pytest.importorskip("talentsim.viz.charts")
    sectors = charts.SectorChart((2010, 2020), load_targets().iloc[:0])
    bamboo = charts.BambooChart((2010, 2020))
    for chart in (sectors, bamboo):
        assert isinstance(chart.ax.yaxis.get_major_formatter(), PercentFormatter)
        assert "%" in chart.ax.get_ylabel(), chart.ax.get_ylabel()


# --------------------------------------------------------------------------- 5. layout


@pytest.mark.parametrize("panels", [1, 2, 3, 4, 6])
def test_sector_shares_is_not_a_long_strip(tmp_path: Path, panels: int) -> None:
    names = [f"scenario_{i}" for i in range(panels)]
    figure = figs.sector_figure(_sectors(names), load_targets(), tmp_path, "scenario", "")
    height, width = mpimg.imread(figure.png).shape[:2]
    assert 0.5 <= width / height <= 2.5, (width, height)


def test_a_sweeps_sector_shares_is_not_a_long_strip(tmp_path: Path) -> None:
    sectors = _sectors(["a"]).assign(point="0")
    figure = sweep_figs.sweep_sector_figure(sectors, load_targets(), tmp_path, "point", None, "")
    height, width = mpimg.imread(figure.png).shape[:2]
    assert width / height <= 2.5, (width, height)


# --------------------------------------------------------------------------- 6. labels


def test_short_labels_never_merge_two_parameters() -> None:
    names = [
        "china.sectors.technology.demand_growth",
        "china.sectors.finance.demand_growth",
        "offers.fit.sv_tech.technology",
        "visas.h1b_approval_rate",
        "us.demand_growth",
    ]
    assert style.short_labels(names) == [
        "technology.demand_growth",
        "finance.demand_growth",
        "sv_tech.technology",
        "h1b_approval_rate",
        "us.demand_growth",
    ]
    # alone, a sector's parameter still says which sector; a name given twice stays whole
    assert style.short_labels(["china.sectors.technology.demand_growth"]) == [
        "technology.demand_growth"
    ]
    assert style.short_labels(["offers.fit.sv_tech.technology"]) == ["sv_tech.technology"]
    assert style.short_labels(["a.b", "a.b"]) == ["a.b", "a.b"]
    assert style.short_labels(["x.a.b", "a.b"]) == ["x.a.b", "a.b"]


def test_posterior_pairs_figure_labels_say_which_sector() -> None:
    keys = ["china.sectors.technology.demand_growth", "china.sectors.finance.demand_growth"]
    draws = pd.DataFrame(np.random.default_rng(0).uniform(size=(20, 2)), columns=keys)
    figure = pairs_figure(figs.pyplot(), draws, keys, dict.fromkeys(keys, (0.0, 1.0)))
    labels = {ax.get_xlabel() for ax in figure.axes} | {ax.get_ylabel() for ax in figure.axes}
    assert {"technology.demand_growth", "finance.demand_growth"} <= labels
    assert "demand_growth" not in labels


# --------------------------------------------------------------------------- 7, 8. messages


def test_extends_a_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nextends: folder\n")
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2
    text = result.output.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    assert str(scenario) in text and "key 'extends'" in text
    assert "is a directory" in text and "a scenario file was expected" in text
    assert "does not exist" not in text


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("extends: h1b_tightning", "did you mean 'talentsim:h1b_tightening'?"),
        ("extends: talentsim:basline", "did you mean 'baseline'?"),
    ],
)
def test_a_misspelt_builtin_in_extends_gets_a_suggestion(
    tmp_path: Path, written: str, suggested: str
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: s\n{written}\n")
    result = CliRunner().invoke(main, ["validate", str(scenario)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert suggested in result.output and "key 'extends'" in result.output


def test_a_misspelt_builtin_on_the_command_line_gets_a_suggestion(tmp_path: Path) -> None:
    for name in ("basline", "talentsim:basline"):
        result = CliRunner().invoke(main, ["run", name, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert "did you mean 'baseline'?" in result.output, result.output
        assert not (tmp_path / "out").exists()
    far = CliRunner().invoke(main, ["run", "zzzzqqq", "--out", str(tmp_path / "out")])
    assert far.exit_code == 2 and "did you mean" not in far.output


# --------------------------------------------------------------------------- 9. footnote


@pytest.mark.parametrize(
    ("scenario", "calibrated"), [("baseline", True), ("h1b_tightening", False)]
)
def test_the_survey_footnote_claims_calibration_for_the_baseline_only(
    tmp_path: Path, scenario: str, calibrated: bool
) -> None:
    fast = ["--set", "population.agents=300", "--set", "time.end=2017"]
    result = _invoke("run", scenario, *fast, "--replicates", "1", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("The baseline is calibrated to them" in text) is calibrated
    assert ("shown for reference only" in text) is not calibrated
    if not calibrated:
        assert f"this run ({scenario}) differs from it" in text


def test_an_overridden_calibrated_parameter_is_no_longer_the_baseline(tmp_path: Path) -> None:
    fast = ["--set", "population.agents=300", "--set", "time.end=2017", "--replicates", "1"]
    result = _invoke(
        "run", *fast, "--set", "visas.h1b_approval_rate=0.5", "--out", tmp_path / "run"
    )
    assert result.exit_code == 0, result.output
    assert "shown for reference only" in " ".join(result.output.split())


# --------------------------------------------------------------------------- 10. sweep year


def test_sweep_summary_and_report_show_the_same_survey_year(tmp_path: Path) -> None:
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(
        "name: years\nextends: talentsim:baseline\npopulation: {agents: 300}\n"
        "time: {end: 2020, burn_in_years: 2}\nsurvey: {years: [2015, 2017, 2020]}\n"
        "sweep:\n  design: grid\n  replicates: 1\n  parameters:\n"
        "    visas.h1b_approval_rate: {values: [0.7, 0.94]}\n"
    )
    swept = _invoke("sweep", scenario, "--workers", "1", "--out", tmp_path / "out")
    assert swept.exit_code == 0, swept.output
    assert "tech, 2020 survey" in swept.output and "tech 2017" not in swept.output
    reported = _invoke("report", tmp_path / "out", "--out", tmp_path / "report", "--format", "md")
    assert reported.exit_code == 0, reported.output
    page = (tmp_path / "report" / "report.md").read_text()
    assert "technology's share of returnees, 2020 survey" in page
    assert "share of returnees, 2017" not in page
    headline = pd.read_csv(tmp_path / "report" / "headline.csv")
    assert "survey_2020_technology" in set(headline["outcome"])
