"""`talentsim viz`: the model behind the page, its components, bad input, and a real browser.

The browser test starts `talentsim viz` on a free port and drives it with Playwright through
Debian's chromium (`apt-get install chromium`; .ci/run installs it). It saves a screenshot
to tests/artifacts/viz.png (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import solara
from click.testing import CliRunner
from mesa.visualization.utils import force_update

from conftest import SCENARIOS
from talentsim.cli import main
from talentsim.model.model import TalentModel
from talentsim.scenario.loader import load_scenario
from talentsim.taxonomy import Country
from talentsim.viz import components
from talentsim.viz.app import Page
from talentsim.viz.layout import DIVIDE
from talentsim.viz.levers import DEFAULT_POPULATION, LEVERS, model_params
from talentsim.viz.mapview import dots_by_country
from talentsim.viz.model import SCENARIO_ENV, VizModel
from talentsim.viz.server import check_address

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def stepped() -> VizModel:
    """The default page model after three simulated years."""
    model = VizModel()
    for _ in range(3):
        model.step()
    return model


# --------------------------------------------------------------------------- the model


def test_levers_start_from_the_scenario_and_population_keeps_the_people() -> None:
    base = load_scenario(None).scenario
    model = VizModel()
    assert model.loaded.scenario.population.agents == DEFAULT_POPULATION
    assert model.loaded.scenario.population.people == base.population.people
    people = model.sim.people
    in_us = people.view("active") & (people.view("country") == Country.US.value)
    assert in_us.sum() * model.people_per_agent == pytest.approx(base.population.people)
    params = model_params(base)
    for lever in LEVERS:
        assert lever.value_in(model.loaded.scenario) == pytest.approx(lever.value_in(base))
        assert params[lever.name].value == pytest.approx(lever.value_in(base))
    assert params["population"].value == DEFAULT_POPULATION
    assert params["seed"]["value"] == str(base.seed)
    assert model.year == base.time.start  # the burn-in is done: 1 January of the first year


def test_levers_set_their_scenario_keys() -> None:
    model = VizModel(
        weight_family=3.5,
        bamboo_penalty=0.1,
        china_tech_pay_growth=0.15,
        h1b_approval_rate=0.5,
        tension=0.8,
        talent_programme=1.4,
        population=600,
        seed="7",
    )
    config = model.loaded.scenario
    assert config.decisions.weights.family == 3.5
    assert config.careers.bamboo_penalty_management == 0.1
    assert config.china.sectors.technology.pay_growth == 0.15
    assert config.visas.h1b_approval_rate == 0.5
    assert config.macro.tension == 0.8
    assert config.macro.talent_programme == 1.4
    assert config.population.agents == 600
    assert model.sim.seed == 7
    assert model.notice is None


def test_the_scenario_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCENARIO_ENV, str(SCENARIOS / "us_china_decoupling.yaml"))
    model = VizModel(population=400)
    assert model.scenario_name == "us_china_decoupling"
    assert model.loaded.scenario.timeline[-1].param == "remigration.us_offer_rate"
    assert VizModel(population=400, scenario_file="h1b_tightening").scenario_name == (
        "h1b_tightening"
    )


def test_a_bad_seed_is_reported_and_the_scenario_seed_used() -> None:
    model = VizModel(seed="abc", population=400)
    assert model.sim.seed == load_scenario(None).scenario.seed
    assert model.notice is not None and "abc" in model.notice


def test_a_step_is_one_calendar_year_of_the_unchanged_simulation(stepped: VizModel) -> None:
    config = stepped.loaded.scenario
    assert stepped.year == config.time.start + 3
    assert list(stepped.annual().index) == [2010, 2011, 2012]
    # the page's model runs exactly the simulation `talentsim run` would run
    plain = TalentModel(config, seed=stepped.sim.seed)
    for _ in range((config.time.burn_in_years + 3) * config.time.steps_per_year):
        plain.step()
    pd.testing.assert_frame_equal(
        stepped.sim.datacollector.get_model_vars_dataframe(),
        plain.datacollector.get_model_vars_dataframe(),
    )


def test_the_map_draws_workers_on_their_country_side(stepped: VizModel) -> None:
    shown = stepped.shown_workers
    assert 300 < len(shown) < 500  # about 400 of the 2,854 agents
    for worker in shown:
        assert worker.active
        on_china_side = worker.pos[0] > DIVIDE
        assert on_china_side == (worker.country_code == Country.CHINA)
    in_us, in_china = dots_by_country(stepped)
    assert in_us > 0 and in_china > 0


def test_workers_move_across_the_map_when_they_return() -> None:
    model = VizModel(population=800)
    before = {w.slot: w.pos for w in model.shown_workers if w.country_code == Country.US}
    for _ in range(4):
        model.step()
    moved = [w for w in model.shown_workers if w.slot in before and w.country_code == Country.CHINA]
    assert moved, "no drawn worker returned in four years"
    assert all(before[w.slot][0] < DIVIDE < w.pos[0] for w in moved)


def test_annual_views_are_by_calendar_year(stepped: VizModel) -> None:
    by_year = stepped.annual()
    records = stepped.sim.datacollector.get_model_vars_dataframe()
    assert by_year.loc[2011, "returns"] == pytest.approx(
        records.loc[records["year"] == 2011, "returns"].sum()
    )
    assert by_year.loc[2012, "in_us"] == records.loc[records["year"] == 2012, "in_us"].iloc[-1]
    # the ceiling, over the three years (one year's rate at 2,000 agents is noisy)
    assert by_year["promotion_chinese"].mean() < by_year["promotion_reference"].mean()
    shares, source = stepped.sector_shares()
    assert source == "virtual survey"
    assert list(shares.index) == [2010, 2011, 2012]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


# --------------------------------------------------------------------------- components


def _image(rc) -> bytes:
    return bytes(rc.find(ipywidgets.Image).widget.value)


@pytest.mark.parametrize(
    ("view", "key"),
    [
        (components.MapView, "map"),
        (components.PeopleView, "people"),
        (components.ReturnsView, "returns"),
        (components.SectorView, "sectors"),
        (components.BambooView, "bamboo"),
        (components.PayGapView, "pay"),
    ],
)
def test_each_view_draws_its_figure_and_redraws_after_a_step(view, key: str) -> None:
    model = VizModel(population=400)
    model.step()
    _box, rc = solara.render(view(model), handle_error=False)
    rc.find(v.CardTitle, children=[components.TITLES[key]]).assert_single()
    first = _image(rc)
    assert first.startswith(PNG) and len(first) > 2000
    model.step()
    force_update()
    second = _image(rc)
    assert second.startswith(PNG) and second != first
    rc.close()


def _text(rc, css_class: str) -> str:
    return rc.find(v.Html, class_=css_class).widget.children[0]


def test_status_view_shows_the_year_and_agents() -> None:
    model = VizModel(population=400)
    _box, rc = solara.render(components.StatusView(model), handle_error=False)
    assert _text(rc, "talentsim-year") == "2010"
    assert re.fullmatch(
        r"Agents: [\d,]+ now, spun up from 1980 \(1 agent = [\d,]+ people\)",
        _text(rc, "talentsim-agents"),
    )
    model.step()
    force_update()
    assert _text(rc, "talentsim-year") == "2011"
    texts = [f.widget.children[0] for f in rc.find(v.Html) if f.widget.children]
    assert any(re.fullmatch(r"Returns in 2010: [\d,]+", str(t)) for t in texts), texts
    rc.close()


def test_the_page_steps_and_resets() -> None:
    # AppLayout (which `solara run` wraps the page in) renders SolaraViz's sidebar controls
    _box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    assert _text(rc, "talentsim-year") == "2010"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert _text(rc, "talentsim-year") == "2011"
    for title in components.TITLES.values():
        rc.find(v.CardTitle, children=[title]).assert_single()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert _text(rc, "talentsim-year") == "2010"
    rc.close()


# --------------------------------------------------------------------------- bad input


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refused(args: list[str], *words: str) -> None:
    result = CliRunner().invoke(main, ["viz", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert "Serving" not in result.output and "at http" not in result.output
    for word in words:
        assert word in result.output, result.output


def test_viz_refuses_a_bad_scenario_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nextends: talentsim:baseline\nvisas:\n  h1b_approval_rate: 2\n")
    _refused([str(bad), "--port", str(_free_port())], "Invalid scenario", "h1b_approval_rate")
    _refused([str(tmp_path / "missing.yaml")], "file not found")


def test_viz_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _refused(["--port", str(port)], f"port {port}", "already in use", "--port")


def test_viz_refuses_a_host_it_cannot_bind() -> None:
    port = str(_free_port())
    _refused(["--host", "203.0.113.1", "--port", port], "not an address of this machine")
    _refused(["--host", "no-such-host.invalid", "--port", port], "does not resolve")
    check_address("127.0.0.1", int(port))  # a free port passes


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`talentsim viz` on a free port; yields the address it prints and its output file."""
    port = _free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "talentsim", "viz", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
    try:
        address = _wait_for_server(process, port, log)
        yield address, log
    finally:
        process.terminate()  # SIGTERM: talentsim viz stops its server, then exits
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        leftover = _group_alive(process.pid)
        if leftover:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, log.read_text()
    assert not leftover, "the solara server outlived talentsim viz"


def _group_alive(group: int) -> bool:
    """Whether any process of the process group is still running."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_server(process: subprocess.Popen, port: int, log: Path) -> str:
    address = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"talentsim viz exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(address, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        pytest.fail(f"talentsim viz did not answer at {address} in 90 s:\n{log.read_text()}")
    assert f"at {address}" in log.read_text()  # the address is printed
    return address


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not on PATH: install Debian's chromium (`apt-get install -y chromium`; "
            ".ci/run does this) to run the browser test"
        )
    return path


def _year(page) -> int:
    return int(page.inner_text(".talentsim-year").strip())


def test_the_page_in_a_real_browser(server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    address, log = server
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1900})
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
        page.goto(address, timeout=60_000)
        page.wait_for_selector(".talentsim-year", timeout=60_000)

        # every view is present, with its figure drawn
        for title in components.TITLES.values():
            expect(page.get_by_text(title, exact=True)).to_be_visible()
        images = page.locator(".talentsim-view img")
        expect(images).to_have_count(6)
        for i in range(6):
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 100", arg=images.nth(i).element_handle()
            )
        for control in ("Reset", "▶", "Step"):
            expect(page.get_by_role("button", name=control, exact=True)).to_be_visible()

        # Step advances the year shown
        assert _year(page) == 2010
        page.get_by_role("button", name="Step", exact=True).click()
        expect(page.locator(".talentsim-year")).to_have_text("2011", timeout=30_000)
        expect(page.get_by_text("Returns in 2010:", exact=False)).to_be_visible()

        # a slider and Reset change the model: 2,000 agents become 3,000 (each of them
        # standing for about 500,000 / 2,000, then 500,000 / 3,000 people)
        agents = page.locator(".talentsim-agents")
        expect(agents).to_contain_text(re.compile(r"\(1 agent = 2\d\d people\)"))
        thumb = page.locator(".v-input", has_text="Population (agents)").get_by_role("slider")
        thumb.focus()
        for _ in range(5):
            thumb.press("ArrowRight")
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(agents).to_contain_text(re.compile(r"\(1 agent = 1\d\d people\)"), timeout=30_000)
        expect(page.locator(".talentsim-year")).to_have_text("2010")

        # Play runs the years until paused: wait for states (years shown, the button back),
        # never for a time, so that a fast or a busy machine passes alike
        page.get_by_role("button", name="▶", exact=True).click()
        expect(page.locator(".talentsim-year")).to_have_text(
            re.compile(r"20(1[2-9]|2\d|3[01])"), timeout=60_000
        )
        first, start = _year(page), time.perf_counter()
        expect(page.locator(".talentsim-year")).not_to_have_text(str(first), timeout=60_000)
        page.get_by_role("button", name="❚❚", exact=True).click()
        expect(page.get_by_role("button", name="▶", exact=True)).to_be_visible(timeout=30_000)
        last, seconds = _year(page), time.perf_counter() - start
        assert last > first
        print(f"Play in the browser: {(last - first) / seconds:.1f} years/s at 3,000 agents")
        page.wait_for_timeout(1500)  # a year already under way may still arrive
        paused = _year(page)
        page.wait_for_timeout(1500)  # but no further one once paused
        assert _year(page) == paused < 2031

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "viz.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        browser.close()
    assert shot.stat().st_size > 50_000
    assert not problems, "\n".join(problems)
    output = log.read_text()
    assert "Traceback" not in output and "Warning" not in output, output
