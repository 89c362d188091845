"""Every class of bad input: its exit status, one clear paragraph, no traceback, nothing written.

The table CASES holds one row per kind of bad input: the files the case writes, the command,
the exit status, words the message must hold, and words it must not hold (content of a file
that is not the user's scenario). Every case also checks that no output appeared and that
nothing outside the case's folder was touched. Faults (kills, locks, full disks) are in
test_faults.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from talentsim.cli import main

BASE = "extends: talentsim:baseline\n"
SHORT = ["--set", "population.agents=50", "--set", "time.end=2011", "--replicates", "1"]
SECRET = "hunter2-Zq9"
SHADOW = f"root:$6${SECRET}$x:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@dataclass
class Case:
    """One kind of bad input."""

    files: dict[str, str]  # name -> content, written in the case's folder
    args: list[str]  # the command; {dir} is the case's folder
    words: list[str]  # the message must hold each
    status: int = 2
    never: list[str] = field(default_factory=list)  # the message must hold none
    kept: dict[str, str] = field(default_factory=dict)  # files that must be left as they were
    links: dict[str, str] = field(default_factory=dict)  # symbolic links: name -> target


#: Numeric parameters of [0, 0.5] or wider, for designs of many parameters.
SWEEPABLE = [
    "macro.tension", "visas.h1b_approval_rate", "visas.h1b_lottery_rate", "offers.china_rate",
    "offers.us_rate", "entry.rate", "exit.attrition_rate", "careers.bamboo_penalty_management",
    "careers.bamboo_penalty_executive", "careers.returnee_step_up", "belonging.initial_us",
    "belonging.initial_china", "population.only_child_share", "offers.founder_rate",
    "family.event_rate_at_70", "offers.phd_multiplier", "offers.bachelor_multiplier",
    "offers.level_multiplier", "offers.peer_reach", "offers.offer_sd", "decisions.weights.salary",
]  # fmt: skip


def lhs_block(points: int, parameters: int) -> str:
    """A Latin hypercube sweep of `points` points over the first `parameters` SWEEPABLE."""
    ranges = "".join(f"    {key}: {{range: [0.0, 0.5]}}\n" for key in SWEEPABLE[:parameters])
    return f"sweep:\n  design: lhs\n  points: {points}\n  parameters:\n{ranges}"


def scenario_case(text: str, words: list[str], **kw) -> Case:
    return Case({"s.yaml": text}, ["run", "{dir}/s.yaml", "--out", "{dir}/out"], words, **kw)


CASES: dict[str, Case] = {
    # --------------------------------------------------------------- the scenario file
    "malformed": scenario_case(BASE + "name: x\npopulation: [1,\n", ["malformed YAML", "line 4"]),
    "unknown_key": scenario_case(
        BASE + "name: x\npopulation:\n  agnets: 100\n",
        ["key 'population.agnets'", "line 4", "did you mean 'agents'"],
    ),
    "renamed_key": scenario_case(
        BASE + "population:\n  size: 100\n",
        ["key 'population.size'", "line 3", "replaced by population.agents"],
    ),
    "wrong_type": scenario_case(
        BASE + "population:\n  agents: many\n", ["key 'population.agents'", "line 3", "integer"]
    ),
    "probability_out_of_range": scenario_case(
        BASE + "visas:\n  h1b_approval_rate: 1.5\n",
        ["key 'visas.h1b_approval_rate'", "line 3", "less than or equal to 1", "1.5"],
    ),
    "negative_population": scenario_case(
        BASE + "population:\n  agents: -4\n",
        ["key 'population.agents'", "line 3", "greater than or equal to 1"],
    ),
    "more_agents_than_people": scenario_case(
        BASE + "population: {agents: 1000, people: 10}\n",
        ["population", "1,000 agents for 10 people", "at least one person"],
    ),
    "mix_without_weight": scenario_case(
        BASE + "population:\n  segment_mix:\n"
        "    {sv_tech: 0, finance: 0, academia: 0, business_other: 0}\n",
        ["population.segment_mix", "at least one category needs a positive weight"],
    ),
    "negative_weight": scenario_case(
        BASE + "population:\n  segment_mix:\n    sv_tech: -0.2\n",
        ["population.segment_mix.sv_tech", "line 4", "greater than or equal to 0"],
    ),
    "infinite_number": scenario_case(
        BASE + "population:\n  people: .inf\n",
        ["key 'population.people'", "line 3", "finite number"],
    ),
    "overflowing_number": scenario_case(
        BASE + "us:\n  wage:\n    software: 1.0e+309\n",
        ["key 'us.wage.software'", "line 4", "finite number"],
    ),
    "absurd_number": scenario_case(
        BASE + "us:\n  wage:\n    software: 1.0e+308\n",
        ["key 'us.wage.software'", "line 4", "less than or equal to 100000000"],
    ),
    "boolean_for_a_number": scenario_case(
        BASE + "population:\n  agents: true\n",
        ["key 'population.agents'", "line 3", "not a boolean"],
    ),
    "survey_year_outside_the_run": scenario_case(
        BASE + "survey:\n  years: [2015, 2040]\n",
        ["key 'survey.years'", "line 3", "2040", "outside the run (2010-2030)"],
    ),
    "name_leaving_results": scenario_case(
        BASE + "name: ../../outside\n", ["key 'name'", "result folder names", "'..'"]
    ),
    "absolute_name": scenario_case(BASE + "name: /tmp/evil\n", ["key 'name'", "letters, digits"]),
    "empty_file": scenario_case("", ["s.yaml", "is empty", "extends: talentsim:baseline"]),
    "comments_only": scenario_case("# nothing yet\n", ["s.yaml", "is empty", "extends: none"]),
    "no_extends": scenario_case(
        "visas: {h1b_approval_rate: 0.8}\n",
        ["s.yaml", "has no `extends:`", "without the baseline's timeline"],
    ),
    "missing_extends": scenario_case(
        "extends: nowhere.yaml\n", ["key 'extends'", "line 1", "does not exist"]
    ),
    "intervention_outside_run": scenario_case(
        BASE + "timeline:\n  - {param: macro.tension, from: 2045, set: 0.5}\n",
        ["timeline[0]", "line 3", "outside the run"],
    ),
    "intervention_after_last_step": scenario_case(
        BASE + "timeline:\n  - {param: macro.tension, from: 2030.9, set: 0.5}\n",
        ["timeline[0]", "line 3", "outside the run", "2030.75"],
    ),
    "intervention_to_an_absurd_value": scenario_case(
        BASE + "timeline:\n  - {param: us.wage.software, from: 2015, scale: 1.0e+300}\n",
        ["timeline[0]", "less than or equal to"],
    ),
    "bad_value_in_extending_file": scenario_case(
        BASE + "timeline:\n"
        "  - {param: macro.tension, from: 2019, set: 0.5}\n"
        "  - {param: macro.tension, from: 2020, set: high}\n",
        ["key 'timeline[1].set'", "line 4", "valid number"],
    ),
    "neither_list_nor_all": scenario_case(
        BASE + "survey:\n  years: abc\n",
        ["key 'survey.years'", "line 3", "valid list or 'all'", "(got 'abc')"],
    ),
    "number_for_a_section": scenario_case(
        BASE + "population: 5\n", ["key 'population'", "line 2", "expected a section", "(got 5)"]
    ),
    "not_a_mapping": scenario_case("- just\n- a list\n", ["expected a mapping"]),
    "duplicate_key": scenario_case(
        BASE + "seed: 1\nseed: 2\n", ["duplicate key", "line 3", "key 'seed'"]
    ),
    "alias_bomb": scenario_case(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
            for i in range(8)
        ),
        ["expands to more than 200,000 values", "aliases"],
    ),
    "file_too_large": scenario_case(
        BASE + "description: " + "x" * (1 << 20) + "\n", ["larger than a scenario file can be"]
    ),
    "cyclic_extends": Case(
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"},
        ["run", "{dir}/a.yaml", "--out", "{dir}/out"],
        ["cycle", "a.yaml -> ", "key 'extends'", "line 1"],
    ),
    "long_extends_chain": Case(
        {
            **{f"s{i}.yaml": f"extends: s{i + 1}.yaml\n" for i in range(1000)},
            "s1000.yaml": BASE,
        },
        ["run", "{dir}/s0.yaml", "--out", "{dir}/out"],
        ["chain is longer than 32 files"],
    ),
    "folder_instead_of_a_file": Case(
        {}, ["run", "{dir}", "--out", "{dir}/out"], ["is a folder, not a scenario file"]
    ),
    "missing_file": Case(
        {}, ["run", "{dir}/nope.yaml", "--out", "{dir}/out"], ["nope.yaml", "file not found"]
    ),
    # --------------------------------------------------------------- other files' content
    "extends_a_file_that_is_not_a_scenario": Case(
        {"shadow": SHADOW, "s.yaml": "extends: shadow\n"},
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        ["shadow", "is not a scenario file", "content is not shown"],
        never=[SECRET, "daemon"],
    ),
    "extends_a_file_of_secrets": Case(
        {"secrets.yaml": f"password: {SECRET}\n", "s.yaml": "extends: secrets.yaml\n"},
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        ["secrets.yaml", "is not a scenario file"],
        never=[SECRET, "password"],
    ),
    "extends_a_scenario_with_a_secret_value": Case(
        {
            "base.yaml": BASE + f"population: {{agents: {SECRET}}}\nvisas: {{lotery: 1}}\n",
            "s.yaml": "extends: base.yaml\n",
        },
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        [
            "base.yaml, line 2, key 'population.agents'",
            "its content is not shown",
            "talentsim validate",
        ],
        never=[SECRET, "lotery"],
    ),
    "the_user_runs_a_file_that_is_not_a_scenario": Case(
        {"shadow": SHADOW},
        ["run", "{dir}/shadow", "--out", "{dir}/out"],
        ["is not a scenario file"],
        never=[SECRET, "daemon"],
    ),
    "builtin_name_leaving_the_library": Case(
        {"s.yaml": "extends: talentsim:../../../../../../etc/passwd\n"},
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        ["not a built-in scenario name", "baseline"],
        never=["root:"],
    ),
    "builtin_name_on_the_command_line": Case(
        {}, ["run", "talentsim:../loader", "--out", "{dir}/out"], ["not a built-in scenario"]
    ),
    "unknown_builtin_name": Case(
        {"s.yaml": "extends: talentsim:basline\n"},
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        ["no built-in scenario of that name", "baseline"],
    ),
    "sweep_table_that_is_not_a_table": Case(
        {
            "shadow": SHADOW,
            "s.yaml": BASE + "sweep: {design: table, table: shadow}\n",
        },
        ["sweep", "{dir}/s.yaml", "--out", "{dir}/out", "--dry-run"],
        ["sweep.table", "not headed by a numeric scenario parameter", "content is not shown"],
        never=[SECRET, "daemon"],
    ),
    "targets_that_are_not_targets": Case(
        {
            "shadow": SHADOW,
            "s.yaml": BASE + "calibration:\n  parameters:\n"
            "    macro.tension: {distribution: uniform, low: 0.0, high: 0.5}\n",
        },
        ["calibrate", "{dir}/s.yaml", "--targets", "{dir}/shadow", "--out", "{dir}/out"],
        ["Invalid targets", "not a targets file", "content is not shown"],
        never=[SECRET, "daemon"],
    ),
    # --------------------------------------------------------------- output folders
    "overwrite_a_folder_of_the_users": Case(
        {"thesis/thesis.tex": "precious"},
        ["run", *SHORT, "--out", "{dir}/thesis", "--overwrite"],
        ["not a talentsim run folder", "thesis.tex", "choose another --out"],
        kept={"thesis/thesis.tex": "precious"},
    ),
    "existing_output_folder": Case(
        {"taken/keep.txt": "precious"},
        ["run", *SHORT, "--out", "{dir}/taken"],
        ["not empty", "not a talentsim run folder"],
        kept={"taken/keep.txt": "precious"},
    ),
    "overwrite_a_run_holding_the_users_files": Case(
        {
            "run/manifest.json": '{"kind": "run"}',
            "run/annual.parquet": "x",
            "run/notes.md": "mine",
        },
        ["run", *SHORT, "--out", "{dir}/run", "--overwrite"],
        ["holds a talentsim run but also files talentsim did not write", "notes.md"],
        kept={"run/notes.md": "mine", "run/annual.parquet": "x"},
    ),
    "overwrite_a_sweep_with_a_run": Case(
        {"sw/manifest.json": '{"kind": "sweep"}'},
        ["run", *SHORT, "--out", "{dir}/sw", "--overwrite"],
        ["holds a talentsim sweep result, not a run"],
        kept={"sw/manifest.json": '{"kind": "sweep"}'},
    ),
    "out_under_a_file": Case(
        {"file.txt": "x"},
        ["run", *SHORT, "--out", "{dir}/file.txt/run"],
        ["file.txt is a file, not a folder"],
        kept={"file.txt": "x"},
    ),
    "out_is_the_current_folder": Case(
        {}, ["run", *SHORT, "--out", ".", "--overwrite"], ["is the current folder or holds it"]
    ),
    "sweep_out_under_a_file": Case(
        {"file.txt": "x"},
        ["sweep", "experiments/smoke_sweep.yaml", "--out", "{dir}/file.txt/sw", "--dry-run"],
        ["file.txt is a file, not a folder"],
        kept={"file.txt": "x"},
    ),
    "sweep_into_a_folder_of_the_users": Case(
        {"mine/data.csv": "1,2"},
        ["sweep", "experiments/smoke_sweep.yaml", "--out", "{dir}/mine", "--workers", "1"],
        ["not a talentsim sweep folder", "data.csv"],
        kept={"mine/data.csv": "1,2"},
    ),
    "calibration_into_a_folder_of_the_users": Case(
        {"mine/data.csv": "1,2"},
        ["calibrate", "experiments/calibration/baseline_calibration.yaml", "--out", "{dir}/mine"],
        ["not a talentsim calibration folder", "data.csv"],
        kept={"mine/data.csv": "1,2"},
    ),
    "schema_into_a_missing_folder": Case(
        {}, ["schema", "--out", "{dir}/missing/schema.json"], ["folder", "does not exist"]
    ),
    # --------------------------------------------------------------- what would exhaust memory
    "population_beyond_memory": Case(
        {},
        [
            "run",
            "--set",
            "population.agents=50000000",
            "--set",
            "population.people=50000000",
            "--out",
            "{dir}/out",
        ],
        ["would need about", "GB of memory", "agent slots", "lower population.agents"],
    ),
    "lhs_points_beyond_the_limit": Case(
        {
            "s.yaml": BASE + "sweep: {design: lhs, points: 1000000000,\n"
            "  parameters: {macro.tension: {range: [0, 1]}}}\n"
        },
        ["sweep", "{dir}/s.yaml", "--dry-run", "--out", "{dir}/out"],
        ["sweep.points", "less than or equal to 1000000"],
    ),
    "grid_beyond_the_limit": Case(
        {
            "s.yaml": BASE + "sweep:\n  parameters:\n"
            "    macro.tension: {range: [0, 1], steps: 100000}\n"
            "    visas.h1b_approval_rate: {range: [0, 1], steps: 100000}\n"
        },
        ["sweep", "{dir}/s.yaml", "--dry-run", "--out", "{dir}/out"],
        ["100,000 x 100,000 = 10,000,000,000 points", "more than the 1,000,000"],
    ),
    "runs_beyond_the_limit": Case(
        {
            "s.yaml": BASE + "sweep: {design: lhs, points: 1000, replicates: 10000,\n"
            "  parameters: {macro.tension: {range: [0, 1]}}}\n"
        },
        ["sweep", "{dir}/s.yaml", "--dry-run", "--out", "{dir}/out"],
        ["10,000,000 runs", "more than the 1,000,000"],
    ),
    # --------------------------------------------------------------- --set
    "set_a_negative_population": Case(
        {},
        ["run", "--set", "population.agents=-3", "--out", "{dir}/out"],
        ["--set", "population.agents", "greater than or equal to 1"],
    ),
    "set_a_misspelt_section": Case(
        {}, ["run", "--set", "populaton.agents=3", "--out", "{dir}/out"], ["did you mean"]
    ),
    "set_text_for_a_number": Case(
        {},
        ["run", "--set", "visas.h1b_approval_rate=high", "--out", "{dir}/out"],
        ["--set", "valid number"],
    ),
    "set_without_a_value": Case(
        {}, ["run", "--set", "justakey", "--out", "{dir}/out"], ["KEY=VALUE"]
    ),
    "set_below_a_number": Case(
        {}, ["run", "--set", "population.agents.x=3", "--out", "{dir}/out"], ["not a section"]
    ),
    "set_a_firm_that_hires_nobody": Case(
        {},
        ["run", "--set", "firms.cn_finance.recruiting=0", "--out", "{dir}/out"],
        ["--set", "key 'firms'", "recruiting is 0"],
    ),
    "set_a_start_after_the_interventions": Case(
        {},
        ["run", "--set", "time.start=2019", "--out", "{dir}/out"],
        ["baseline.yaml", "timeline[0]", "--set time.start=2019"],
    ),
    # --------------------------------------------------------------- found by an adversary
    "lock_that_is_a_link": Case(
        {"precious.txt": "mine", "L/x.txt": "1"},
        ["sweep", "experiments/smoke_sweep.yaml", "--out", "{dir}/L", "--workers", "1"],
        ["not a talentsim sweep folder"],
        kept={"precious.txt": "mine"},
        links={"L/.lock": "{dir}/precious.txt"},
    ),
    "lock_that_is_a_folder": Case(
        {"A/.lock/thesis.tex": "precious"},
        ["run", *SHORT, "--out", "{dir}/A"],
        ["not a talentsim run folder", ".lock"],
        kept={"A/.lock/thesis.tex": "precious"},
    ),
    "overwrite_a_run_whose_report_holds_the_users_notes": Case(
        {
            "R/manifest.json": '{"kind": "run"}',
            "R/annual.parquet": "x",
            "R/report/manifest.json": '{"kind": "report", "files": ["report.html"]}',
            "R/report/report.html": "<p>",
            "R/report/my_notes.md": "mine",
        },
        ["run", *SHORT, "--out", "{dir}/R", "--overwrite"],
        ["files talentsim did not write", "report"],
        kept={"R/report/my_notes.md": "mine"},
    ),
    "schema_over_a_file_of_the_users": Case(
        {"thesis.tex": "precious"},
        ["schema", "--out", "{dir}/thesis.tex"],
        ["not a scenario schema written by talentsim"],
        kept={"thesis.tex": "precious"},
    ),
    "resume_a_folder_that_is_not_a_calibration": Case(
        {
            "c/history.db": "junk",
            "cal.yaml": BASE + "calibration:\n  parameters:\n"
            "    macro.tension: {distribution: uniform, low: 0.0, high: 0.5}\n",
        },
        ["calibrate", "{dir}/cal.yaml", "--out", "{dir}/c", "--resume"],
        ["not a talentsim calibration folder"],
        kept={"c/history.db": "junk"},
    ),
    "number_with_too_many_digits": scenario_case(
        BASE + "population:\n  agents: " + "1" * 5000 + "\n", ["a number too long to read"]
    ),
    "set_nested_too_deeply": Case(
        {},
        ["run", "--set", "description=" + "[" * 2000 + "]" * 2000, "--out", "{dir}/out"],
        ["--set", "cannot be read"],
    ),
    "extends_a_loop_of_links": Case(
        {"s.yaml": "extends: loop.yaml\n"},
        ["run", "{dir}/s.yaml", "--out", "{dir}/out"],
        ["cannot be resolved"],
        links={"loop.yaml": "loop.yaml"},
    ),
    "out_is_a_dangling_link": Case(
        {},
        ["run", *SHORT, "--out", "{dir}/gone"],
        ["symbolic link to nothing"],
        links={"gone": "{dir}/nowhere"},
    ),
    "out_is_a_link_to_a_folder": Case(
        {"real/.keep": ""},
        ["run", *SHORT, "--out", "{dir}/linked"],
        ["is a symbolic link; give the folder itself"],
        links={"linked": "{dir}/real"},
    ),
    "report_of_a_folder_whose_manifest_is_a_folder": Case(
        {"r/manifest.json/x": "1", "r/annual.parquet": "x"},
        ["report", "{dir}/r", "--out", "{dir}/out"],
        ["manifest.json is not a file talentsim wrote"],
    ),
    "report_of_a_manifest_with_text_for_a_number": Case(
        {"r/manifest.json": '{"kind": "run", "replicates": "abc"}', "r/annual.parquet": "x"},
        ["report", "{dir}/r", "--out", "{dir}/out"],
        ["'replicates' is not a whole number"],
    ),
    "report_of_a_manifest_that_is_a_link_to_a_device": Case(
        {"r/annual.parquet": "x"},
        ["report", "{dir}/r", "--out", "{dir}/out"],
        ["manifest.json is not a file talentsim wrote"],
        links={"r/manifest.json": "/dev/zero"},
    ),
    "targets_with_text_for_a_sample_size": Case(
        {
            "t.csv": "kind,year,n,measure,category,value\n"
            f"share,2015,{SECRET},employment sector of returnees,technology,0.1\n",
            "cal.yaml": BASE + "calibration:\n  parameters:\n"
            "    macro.tension: {distribution: uniform, low: 0.0, high: 0.5}\n",
        },
        ["calibrate", "{dir}/cal.yaml", "--targets", "{dir}/t.csv", "--out", "{dir}/out"],
        ["row 2", "the n is missing or not a whole number"],
        never=[SECRET],
    ),
    "targets_with_an_absurd_sample_size": Case(
        {
            "t.csv": "kind,year,n,measure,category,value\n"
            "share,2015,1e30,employment sector of returnees,technology,0.1\n",
            "cal.yaml": BASE + "calibration:\n  parameters:\n"
            "    macro.tension: {distribution: uniform, low: 0.0, high: 0.5}\n",
        },
        ["calibrate", "{dir}/cal.yaml", "--targets", "{dir}/t.csv", "--out", "{dir}/out"],
        ["row 2", "between 1 and 100,000,000"],
    ),
    "targets_with_a_secret_kind": Case(
        {
            "t.csv": "kind,year,n,measure,category,value\n"
            f"{SECRET},2015,913,employment sector of returnees,technology,0.1\n",
            "cal.yaml": BASE + "calibration:\n  parameters:\n"
            "    macro.tension: {distribution: uniform, low: 0.0, high: 0.5}\n",
        },
        ["calibrate", "{dir}/cal.yaml", "--targets", "{dir}/t.csv", "--out", "{dir}/out"],
        ["row 2", "the kind must be one of share, rank, flow"],
        never=[SECRET],
    ),
    "calibration_seed_beyond_numpys": Case(
        {},
        [
            "calibrate",
            "experiments/calibration/baseline_calibration.yaml",
            "--set",
            f"calibration.abc.seed={10**40}",
            "--out",
            "{dir}/out",
        ],
        ["calibration.abc.seed", "less than or equal to 4294967295"],
    ),
    "table_whose_header_is_a_secret": Case(
        {"t.csv": "db.password\n1\n", "s.yaml": BASE + "sweep: {design: table, table: t.csv}\n"},
        ["sweep", "{dir}/s.yaml", "--out", "{dir}/out", "--dry-run"],
        ["column 1 is not headed by a numeric scenario parameter"],
        never=["db.password"],
    ),
    "timeline_that_floods_the_pool_beyond_memory": Case(
        {},
        [
            "run",
            "--set",
            "population.agents=400000",
            "--set",
            "population.people=10000000",
            "--set",
            "timeline=[{param: entry.rate, from: 2011, set: 20}]",
            "--out",
            "{dir}/out",
        ],
        ["would need about", "GB of memory"],
    ),
    "survey_of_a_billion_respondents": scenario_case(
        BASE + "survey:\n  sample_size: {2015: 1000000000}\n",
        ["survey.sample_size", "between 1 and 10,000,000"],
    ),
    "sensitivity_sample_beyond_the_limit": Case(
        {"s.yaml": BASE + lhs_block(2, 15)},
        ["sensitivity", "{dir}/s.yaml", "--n", "65536", "--out", "{dir}/out"],
        ["makes 1,114,112 points", "lower --n"],
    ),
    "design_of_too_many_values": Case(
        {"s.yaml": BASE + lhs_block(1_000_000, 21)},
        ["sweep", "{dir}/s.yaml", "--dry-run", "--out", "{dir}/out"],
        ["1,000,000 points x 21 parameters", "more than the 20,000,000"],
    ),
    "workers_beyond_memory": Case(
        {},
        ["sweep", "experiments/smoke_sweep.yaml", "--workers", "1000", "--out", "{dir}/out"],
        ["x 1000 runs at once", "run fewer at once (--workers)"],
    ),
    "key_that_is_not_text": scenario_case(BASE + "null: 1\n", ["a key that is not text"]),
    "merge_key": scenario_case(
        BASE + "d: &d {agents: 5}\npopulation:\n  <<: *d\n", ["YAML merge keys (<<)"]
    ),
    "name_with_a_newline": scenario_case(
        BASE + 'name: "evil\\n"\n', ["key 'name'", "result folder names"]
    ),
}


def _prepare(case: Case, folder: Path) -> list[str]:
    for name, text in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for name, target in case.links.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(target.replace("{dir}", str(folder)))
    return [arg.replace("{dir}", str(folder)) for arg in case.args]


def _snapshot(folder: Path) -> dict[str, object]:
    """Every entry under `folder`: a file's bytes, a link's target, a folder's existence."""
    found: dict[str, object] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_file():
                found[rel] = path.read_bytes()
            else:
                found[rel] = "folder"
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # experiments/..., results/...
    args = _prepare(case, tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(main, args)
    lines = [line for line in result.output.splitlines() if not line.startswith("Note: ")]
    message = "\n".join(lines)
    assert result.exit_code == case.status, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert "Traceback" not in result.output
    assert len(lines) == 1 and message.startswith("Error: "), result.output  # one paragraph
    for word in case.words:
        assert word in message, (word, message)
    for word in case.never:
        assert word not in message, (word, message)
    assert _snapshot(tmp_path) == before  # nothing written, nothing changed
    assert not (tmp_path / "out").exists()
    for rel, text in case.kept.items():
        assert (tmp_path / rel).read_text() == text


def test_validate_reports_each_bad_file(tmp_path: Path) -> None:
    good = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "visas:\n  h1b_approval_rate: 2\n")
    result = CliRunner().invoke(main, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert "ok  " in result.output and "bad.yaml, line 3" in result.output


def test_bad_input_from_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE + "population:\n  agents: -1\n")
    out = tmp_path / "out"
    cli = Path(sys.executable).with_name("talentsim")
    proc = subprocess.run(
        [str(cli), "run", str(bad), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml, line 3, key 'population.agents'" in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


def test_labels_from_a_manifest_stay_inside_the_report_folder() -> None:
    """A report names subfolders after the scenarios in the manifests it reads: those names
    cannot lead outside its folder, whatever a manifest says."""
    from talentsim.runs.outputs import safe_label

    for text in ["../../../escaped", "/tmp/absolute", "a/b", "..", ".hidden", "x\n"]:
        label = safe_label(text)
        assert "/" not in label and ".." not in label and not label.startswith("."), label
        assert "\n" not in label
    assert safe_label("h1b_tightening-2.v1") == "h1b_tightening-2.v1"
