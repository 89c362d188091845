"""The oracle: a plain, per-agent implementation of the model's rules.

Each worker is a Mesa agent whose `step_early` and `step_late` methods apply the rules of
docs/ODD.md to that one worker, in Python, with Python's `random`; the model activates them
through Mesa's AgentSet. It shares with the production model only what is not a rule of the
step: the scenario, the starting population and the entrants (drawn by
`demography.create_workers`), the macro indices, and the recording of the results (counts
and the virtual survey). Everything else is written again here, slowly and obviously, from
the documented formulas, so that tests can check that the fast vectorised model computes
the same model (in distribution) and benchmarks can say how much faster it is.

It is not on the production path and is not tuned: it is the reference.
"""

from __future__ import annotations

import functools
import math
import random

import mesa

from talentsim.model.agents import Worker
from talentsim.model.model import TalentModel
from talentsim.model.stages import demography
from talentsim.model.stages.macro import update_macro
from talentsim.scenario.schema import Scenario
from talentsim.taxonomy import (
    AI_ML,
    CN_SECTORS,
    CN_TECHNOLOGY,
    MANAGER,
    PHD,
    SEGMENTS,
    TOP_LEVEL,
    US_SECTOR_OF_SEGMENT,
    Country,
    Visa,
)

US, CHINA = int(Country.US), int(Country.CHINA)
STEM = {"sv_tech": True, "finance": False, "academia": True, "business_other": False}
ACADEMIA = SEGMENTS.index("academia")
CN_OTHER = CN_SECTORS.index("other")


def chance(rate: float, dt: float) -> float:
    """Probability of an event with annual hazard `rate` within `dt` years."""
    return 1.0 - math.exp(-rate * dt)


class Tables:
    """Per-step quantities every worker reads (parameters in force, indices, hazards)."""

    def __init__(self, model: OracleModel) -> None:
        p, macro = model.p, model.macro
        self.p = p
        self.dt = model.dt
        self.t = model.t
        c = p.careers
        base = [
            c.promotion.to_senior,
            c.promotion.to_manager,
            c.promotion.to_director,
            c.promotion.to_executive,
        ]
        penalty = [
            0.0,
            c.bamboo_penalty_management,
            c.bamboo_penalty_management,
            c.bamboo_penalty_executive,
        ]
        self.us_hazard = [b * (1 - q) for b, q in zip(base, penalty, strict=True)] + [0.0]
        self.cn_hazard = [b * c.china_promotion_multiplier for b in base] + [0.0]
        self.level_premium = [(1 + c.level_pay_premium) ** k for k in range(TOP_LEVEL + 1)]
        self.edu_premium = [1.0, 1 + p.pay.master_premium, 1 + p.pay.phd_premium]
        self.horizon = p.decisions.horizon_years
        self.us_prospects = expected_promotions(tuple(self.us_hazard), self.horizon)
        self.cn_prospects = expected_promotions(tuple(self.cn_hazard), self.horizon)
        self.wage_us = {i: float(w) for i, w in enumerate(macro.us_wage)}
        self.wage_cn = {k: float(w) for k, w in enumerate(macro.cn_wage)}
        self.cn_pay_growth = [float(g) for g in macro.cn_pay_growth]
        self.cn_demand_growth = [float(g) for g in macro.cn_demand_growth]
        self.us_pay_growth = float(macro.us_pay_growth)
        self.us_demand_growth = float(macro.us_demand_growth)
        self.ppp = float(macro.ppp)
        self.tension = float(macro.tension)
        self.programme = float(macro.programme)
        demand = [float(d) for d in macro.cn_demand]
        self.sector_weight = {}
        for s, name in enumerate(SEGMENTS):
            fit = getattr(p.offers.fit, name)
            total = sum(getattr(fit, sector) for sector in CN_SECTORS)
            self.sector_weight[s] = [
                getattr(fit, sector) / total * demand[k] for k, sector in enumerate(CN_SECTORS)
            ]
        steps = model.config.time.steps_per_year
        self.lottery_step = model.step_index % steps == (p.visas.lottery_month - 1) * steps // 12
        lottery = (p.visas.lottery_month - 1) * steps // 12
        position = model.step_index % steps
        following = model.step_index - position + lottery + (steps if position >= lottery else 0)
        self.next_lottery = model.config.time.start + following / steps


@functools.cache
def expected_promotions(
    hazards: tuple[float, ...], years: float, substeps: int = 4000
) -> list[float]:
    """Expected promotions within `years` from each level, by integrating the ladder's
    occupation probabilities forward in small Euler steps (an independent method)."""
    levels = len(hazards)
    result = []
    h = years / substeps
    for start in range(levels):
        prob = [0.0] * levels
        prob[start] = 1.0
        for _ in range(substeps):
            flow = [prob[k] * hazards[k] * h for k in range(levels)]
            for k in range(levels - 1):
                prob[k] -= flow[k]
                prob[k + 1] += flow[k]
        result.append(sum(k * q for k, q in enumerate(prob)) - start)
    return result


class OracleWorker(Worker):
    """A worker that applies the rules to itself."""

    # ------------------------------------------------------------------ helpers

    def rand(self) -> float:
        return self.model.random.random()

    def gauss(self) -> float:
        return self.model.random.gauss(0.0, 1.0)

    def gumbel(self) -> float:
        u = min(max(self.rand(), 1e-300), 1.0 - 1e-16)
        return -math.log(-math.log(u))

    def pay(self, country: int, firm: int, level: int, mult: float) -> float:
        """PPP-adjusted pay plus equity of a job."""
        tab, firms = self.model.tables, self.model.firms
        p = self.model.people
        if country == US:
            index = tab.wage_us[int(p.pay_cat[self.slot])]
        else:
            index = tab.wage_cn[int(firms.sector[firm])]
        salary = (
            index
            * float(firms.wage_mult[firm])
            * tab.level_premium[level]
            * tab.edu_premium[self.education_code]
            * mult
        )
        total = salary * (1 + float(firms.equity_rate[firm]))
        return total if country == US else total / tab.ppp

    def job_value(self, country: int, firm: int, level: int, mult: float) -> float:
        tab, firms, w = self.model.tables, self.model.firms, self.model.p.decisions.weights
        if country == US:
            growth, prospects = tab.us_pay_growth, tab.us_prospects[level]
            opportunity = tab.us_demand_growth
        else:
            sector = int(firms.sector[firm])
            growth, prospects = tab.cn_pay_growth[sector], tab.cn_prospects[level]
            opportunity = tab.cn_demand_growth[sector]
        if firms.startup[firm]:
            opportunity += self.model.p.firms.startup_upside * float(firms.equity_rate[firm])
        return (
            w.salary * math.log(self.pay(country, firm, level, mult))
            + w.growth * tab.horizon * growth
            + w.promotion * prospects
            + w.opportunity * opportunity
        )

    def win_chance(self) -> float:
        v = self.model.p.visas
        if self.segment_code == ACADEMIA:
            return v.h1b_approval_rate
        lottery = v.h1b_lottery_rate if self.education_code == 0 else v.h1b_lottery_rate_advanced
        return lottery * v.h1b_approval_rate

    def visa_risk(self, visa: int, since: float) -> float:
        tab, v = self.model.tables, self.model.p.visas
        if visa == Visa.STUDENT_OPT:
            opt = v.opt_years_stem if STEM[self.segment] else v.opt_years_other
            left = max(math.ceil(since + opt - tab.next_lottery - 1e-9), 0)
            return (1 - self.win_chance()) ** left
        if visa == Visa.H1B:
            return math.exp(-v.green_card_sponsor_rate * max(v.h1b_max_years - (tab.t - since), 0))
        return 0.0

    def family_pull(self) -> float:
        f, t = self.model.p.family, self.model.tables.t
        age_pull = min(max((t - self.parent_birth - 60.0) / 20.0, 0.0), 1.0) * f.parent_age_pull
        event = math.exp(-(t - self.family_event_time) / f.event_memory_years)
        return f.only_child_pull * self.only_child + age_pull + event

    def us_extras(self, visa: int, since: float) -> float:
        w = self.model.p.decisions.weights
        return (
            w.belonging * self.belong_us
            - w.visa_risk * self.visa_risk(visa, since)
            - w.tension * self.model.tables.tension
        )

    def china_extras(self) -> float:
        w = self.model.p.decisions.weights
        return (
            w.belonging * self.belong_cn
            + w.family * self.family_pull()
            + w.peers * self.model.carried.peer_fared[self.slot]
        )

    def eligible(self) -> bool:
        return self.education_code == PHD or self.level >= MANAGER or self.skill_code == AI_ML

    def draw_firm(self, country: int, sector: int, exclude: int = -1) -> int:
        firms = self.model.firms
        ids = [
            f
            for f in range(len(firms.kind))
            if firms.country[f] == country and firms.sector[f] == sector and f != exclude
        ]
        weights = [float(firms.size[f] * firms.recruiting[f]) for f in ids]
        return self.model.random.choices(ids, weights=weights)[0] if ids else -1

    def set_job(self, country: int, firm: int, level: int, mult: float) -> None:
        p, tab, s = self.model.people, self.model.tables, self.slot
        p.country[s] = country
        p.employer[s] = firm
        p.level[s] = level
        p.pay_mult[s] = mult
        p.wage_group[s] = p.pay_cat[s] if country == US else 6 + self.model.firms.sector[firm]
        p.pay_factor[s] = (
            float(self.model.firms.wage_mult[firm])
            * tab.level_premium[level]
            * tab.edu_premium[self.education_code]
            * mult
        )

    # ------------------------------------------------------------------ the rules

    def step_early(self) -> None:
        """Exit, promotion and visa rules."""
        if not self.active:
            return
        m, tab, p = self.model, self.model.tables, self.model.p
        self.forced = False
        in_us = self.country_code == US
        # exit
        # retirement in the step in which the worker reaches the retirement age
        if tab.t + tab.dt - self.birth > p.exit.retirement_age or self.rand() < chance(
            p.exit.attrition_rate, tab.dt
        ):
            self.active = False
            m.step_state.flows["exits" if in_us else "exits_china"] += self.weight
            return
        # promotion
        level = self.level
        hazard = (tab.us_hazard if in_us else tab.cn_hazard)[level]
        promoted = self.rand() < chance(hazard, tab.dt)
        if in_us and level == MANAGER - 1:
            m.step_state.flows["mgmt_eligible_us"] += self.weight
            if promoted:
                m.step_state.flows["mgmt_promoted_us"] += self.weight
        if promoted:
            self.set_job(self.country_code, self.employer_id, level + 1, self.pay_mult)
        # visas
        if in_us:
            self.visa_rules()

    def visa_rules(self) -> None:
        tab, v = self.model.tables, self.model.p.visas
        visa, clock = self.visa_code, tab.t - self.visa_since
        if visa == Visa.STUDENT_OPT:
            opt = v.opt_years_stem if STEM[self.segment] else v.opt_years_other
            if clock >= opt:
                self.lose_status()
            elif tab.lottery_step and self.rand() < self.win_chance():
                self.visa_code, self.visa_since = Visa.H1B, tab.t
        elif visa == Visa.H1B:
            if self.rand() < chance(v.green_card_sponsor_rate, tab.dt):
                self.visa_code, self.visa_since = Visa.GREEN_CARD_PENDING, tab.t
            elif clock >= v.h1b_max_years:
                self.lose_status()
        elif visa == Visa.GREEN_CARD_PENDING and self.rand() < chance(
            1.0 / v.green_card_wait_years, tab.dt
        ):
            self.visa_code, self.visa_since = Visa.PERMANENT, tab.t

    def lose_status(self) -> None:
        share = self.model.p.visas.other_route_share
        if share > 0 and self.rand() < share:  # another route: an H-1B-like status, anew
            self.visa_code, self.visa_since = Visa.H1B, self.model.tables.t
            return
        self.forced = True
        self.model.step_state.flows["status_lost"] += self.weight

    def step_late(self) -> None:
        """Belonging (yearly), family events, offers, the decision, re-migration."""
        if not self.active:
            return
        m, tab = self.model, self.model.tables
        in_us = self.country_code == US
        if m.step_index % m.config.time.steps_per_year == 0:
            self.relax_belonging(in_us)
        f = m.p.family
        hazard = f.event_rate_at_70 * math.exp(
            (tab.t - self.parent_birth - 70.0) / f.event_age_scale
        )
        if self.rand() < chance(hazard, tab.dt):
            self.family_event_time = tab.t
        if in_us:
            self.offers_and_decision()
        else:
            self.remigration()

    def relax_belonging(self, in_us: bool) -> None:
        b, tab = self.model.p.belonging, self.model.tables
        if in_us:
            rate = b.us_gain_rate + b.tension_sensitivity * tab.tension
            target = b.us_gain_rate / rate if rate > 0 else 0.0
            self.belong_us = target + (self.belong_us - target) * math.exp(-rate)
            pull = b.peer_effect * self.model.carried.peer_share[self.slot]
            rate_cn = b.china_decay_rate + pull
            target_cn = pull / rate_cn if rate_cn > 0 else 0.0
            self.belong_cn = target_cn + (self.belong_cn - target_cn) * math.exp(-rate_cn)
        else:
            self.belong_us = self.belong_us * math.exp(-b.us_decay_rate)
            self.belong_cn = 1 - (1 - self.belong_cn) * math.exp(-b.china_gain_rate)

    def offers_and_decision(self) -> None:
        m, tab, p = self.model, self.model.tables, self.model.p
        o = p.offers
        weights = tab.sector_weight[self.segment_code]
        has_cn = self.forced
        if not has_cn:
            edu = [o.bachelor_multiplier, 1.0, o.phd_multiplier][self.education_code]
            rate = (
                o.china_rate
                * sum(weights)
                * edu
                * (1 + o.level_multiplier * self.level)
                * (1 + o.peer_reach * m.carried.peer_share[self.slot])
                * (1 + tab.programme * self.eligible())
            )
            has_cn = self.rand() < chance(rate, tab.dt)
        has_us = not self.forced and self.rand() < chance(o.us_rate, tab.dt)
        if not (has_cn or has_us):
            return
        stay = self.job_value(US, self.employer_id, self.level, self.pay_mult) + self.us_extras(
            self.visa_code, self.visa_since
        )
        options = {} if self.forced else {"stay": stay}
        if has_cn:
            sector = m.random.choices(range(len(CN_SECTORS)), weights=weights)[0]
            firm = self.draw_firm(CHINA, sector)
            level = min(self.level + (self.rand() < p.careers.returnee_step_up), TOP_LEVEL)
            mult = self.pay_mult * math.exp(o.offer_sd * self.gauss() - 0.5 * o.offer_sd**2)
            if self.skill_code == AI_ML and sector == CN_TECHNOLOGY:
                mult *= (2.0 * (1.0 - self.rand())) ** (-1.0 / o.ai_tail_alpha)
            mult *= 1 + p.macro.programme_pay_bonus * tab.programme * self.eligible()
            back = (
                self.job_value(CHINA, firm, level, mult)
                + self.china_extras()
                - p.decisions.moving_cost_return
            )
            options["return"] = back
        if has_us:
            us_firm = self.draw_firm(
                US, US_SECTOR_OF_SEGMENT[self.segment_code], exclude=self.employer_id
            )
            if us_firm >= 0:
                us_mult = self.pay_mult * math.exp(
                    o.us_switch_premium + o.offer_sd * self.gauss() - 0.5 * o.offer_sd**2
                )
                options["switch"] = (
                    self.job_value(US, us_firm, self.level, us_mult)
                    + self.us_extras(self.visa_code, self.visa_since)
                    - p.decisions.moving_cost_switch
                )
        if not options:
            return
        choice = max(options, key=lambda k: options[k] + self.gumbel())
        if choice == "switch":
            self.set_job(US, us_firm, self.level, us_mult)
            self.us_pay_mult = us_mult
        elif choice == "return":
            self.go_back(sector, firm, level, mult)

    def go_back(self, sector: int, firm: int, level: int, mult: float) -> None:
        m, tab, p, s = self.model, self.model.tables, self.model.p, self.slot
        people, w, d = m.people, p.decisions.weights, p.decisions
        # reasons: each factor's contribution to returning against staying
        stay_growth, back_growth = tab.us_pay_growth, tab.cn_pay_growth[sector]
        stay_opp = tab.us_demand_growth + (
            p.firms.startup_upside * float(m.firms.equity_rate[self.employer_id])
            if m.firms.startup[self.employer_id]
            else 0.0
        )
        back_opp = tab.cn_demand_growth[sector] + (
            p.firms.startup_upside * float(m.firms.equity_rate[firm])
            if m.firms.startup[firm]
            else 0.0
        )
        development = (
            w.growth * tab.horizon * (back_growth - stay_growth)
            + w.promotion * (tab.cn_prospects[level] - tab.us_prospects[self.level])
            + w.opportunity * (back_opp - stay_opp)
        )
        push = (
            w.visa_risk * self.visa_risk(self.visa_code, self.visa_since) + w.tension * tab.tension
            >= d.reason_threshold
        )
        if self.forced:  # a lost status: named with the reporting share alone
            abroad = d.forced_reason_share >= 1 or self.rand() < d.forced_reason_share
        else:
            abroad = push
        flags = [
            w.family * self.family_pull() >= d.reason_threshold,
            w.belonging * (self.belong_cn - self.belong_us) >= d.reason_threshold,
            development >= d.reason_threshold,
            abroad,
        ]
        # counts, before the state changes
        m.step_state.flows["returns"] += self.weight
        if self.forced:
            m.step_state.flows["forced_returns"] += self.weight
        if self.level > 0:
            m.step_state.flows["returns_experienced"] += self.weight
        m.step_state.returns_by_segment[self.segment_code] += self.weight
        m.step_state.returns_by_sector[sector] += self.weight
        # the move
        people.us_years_banked[s] += tab.t - people.us_since[s]
        self.set_job(CHINA, firm, level, mult)
        people.returns[s] += 1
        people.return_time[s] = tab.t
        people.return_sector[s] = sector
        people.return_reasons[s] = sum(int(flag) << bit for bit, flag in enumerate(flags))
        people.return_pay_ppp[s] = self.pay(CHINA, firm, level, mult)
        people.fared[s] = 0.0
        can_found = bool(m.firms.startup[firm]) or int(m.firms.sector[firm]) == CN_OTHER
        people.founder[s] = can_found and self.rand() < p.offers.founder_rate

    def remigration(self) -> None:
        m, tab, p = self.model, self.model.tables, self.model.p
        v, o, s = p.visas, p.offers, self.slot
        people = m.people
        if self.rand() >= chance(p.remigration.us_offer_rate, tab.dt):
            return
        held = float(people.return_time[s] - people.visa_since[s])
        abroad = tab.t - float(people.return_time[s])
        permanent = self.visa_code == Visa.PERMANENT and (
            held >= v.naturalisation_years or abroad < v.permanent_lapse_years
        )
        if not permanent and not (tab.lottery_step and self.rand() < self.win_chance()):
            return
        firm = self.draw_firm(US, US_SECTOR_OF_SEGMENT[self.segment_code])
        mult = self.us_pay_mult * math.exp(o.offer_sd * self.gauss() - 0.5 * o.offer_sd**2)
        visa = Visa.PERMANENT if permanent else Visa.H1B
        since = float(people.visa_since[s]) if permanent else tab.t
        here = self.job_value(CHINA, self.employer_id, self.level, self.pay_mult) + (
            self.china_extras()
        )
        there = (
            self.job_value(US, firm, self.level, mult)
            + self.us_extras(visa, since)
            - p.decisions.moving_cost_remigrate
        )
        if there + self.gumbel() > here + self.gumbel():
            self.visa_code, self.visa_since = visa, since
            people.us_since[s] = tab.t
            self.set_job(US, firm, self.level, mult)
            self.us_pay_mult = mult
            m.step_state.flows["remigrants"] += self.weight


class OracleModel(TalentModel):
    """The model stepped agent by agent through Mesa's AgentSet."""

    def __init__(self, scenario: Scenario, replicate: int = 0) -> None:
        super().__init__(scenario, replicate=replicate)
        self.random = random.Random(int(self.rng.integers(2**63)))
        self.roster = mesa.agent.AgentSet([], random=self.random)
        self._enrol(0, self.people.n)
        self.stages = [
            ("macro", update_macro),
            ("entry", OracleModel._entry),
            ("early", lambda m: m.roster.do("step_early")),
            ("peers", OracleModel._peers),
            ("late", lambda m: m.roster.shuffle_do("step_late")),
            ("observe", OracleModel._observe_all),
        ]
        self.stage_times = {name: 0.0 for name, _ in self.stages}

    def _enrol(self, first: int, last: int) -> None:
        for slot in range(first, last):
            self.roster.add(OracleWorker(self, slot))

    def _entry(self) -> None:
        first = self.people.n
        demography.entry(self)
        self._grow_scratch()
        self._enrol(first, self.people.n)
        self.tables = Tables(self)

    def _peers(self) -> None:
        """Yearly: what each worker hears from the other members of their circle."""
        if self.step_index % self.config.time.steps_per_year != 0:
            return
        p = self.people
        circles: dict[int, list[OracleWorker]] = {}
        for agent in self.roster:
            s = agent.slot
            if not p.active[s]:
                continue
            circles.setdefault(int(p.circle[s]), []).append(agent)
            if p.country[s] == CHINA:
                pay = agent.pay(CHINA, int(p.employer[s]), int(p.level[s]), float(p.pay_mult[s]))
                p.fared[s] = math.log(pay / p.return_pay_ppp[s])
        for members in circles.values():
            for agent in members:
                others = [m.slot for m in members if m is not agent]
                returned = [o for o in others if p.country[o] == CHINA]
                count = max(len(others), 1)
                self.carried.peer_share[agent.slot] = len(returned) / count
                self.carried.peer_fared[agent.slot] = (
                    sum(float(p.fared[o]) for o in returned) / count
                )
        self.carried.max_peer_share = 1.0

    def _observe_all(self) -> None:
        if self.recording:
            self._refresh_masks()
            self.ledger.rebuild(self.people)  # the oracle keeps no running totals: recount
            TalentModel._observe(self)
