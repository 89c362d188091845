"""What the stages hand each other, declared, and the view of the model a stage works on.

Worker state lives in :mod:`.people` (one slot per worker). Besides it, a step passes
values from stage to stage (:class:`StepState`, reset at the start of every step) and the
model carries a few values from step to step (:class:`CarriedState`). :class:`Model` is the
view of the model a stage is typed against, so that no stage needs the model's own module
(:mod:`.model`) to be imported, even for type hints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from talentsim.taxonomy import CN_SECTORS, EDUCATION, SEGMENTS

if TYPE_CHECKING:  # the stages' own types, for the fields below
    from talentsim.model.firms import FirmSampler, FirmTable
    from talentsim.model.ledger import Ledger
    from talentsim.model.people import People
    from talentsim.model.streams import Streams
    from talentsim.scenario.schema import Scenario

T = TypeVar("T")

#: The step's flows, by name: people entering, leaving, returning and moving back, and the
#: people eligible for and promoted to management in US firms (the bamboo ceiling's rate).
FLOW_NAMES: tuple[str, ...] = (
    "entrants",
    "exits",
    "exits_china",
    "returns",
    "forced_returns",
    "returns_experienced",
    "remigrants",
    "status_lost",
    "mgmt_eligible_us",
    "mgmt_promoted_us",
)


#: The flows of people the record of a step and the annual table keep, in their order.
RECORDED_FLOWS: tuple[str, ...] = (
    "returns",
    "entrants",
    "exits",
    "exits_china",
    "remigrants",
    "forced_returns",
    "returns_experienced",
    "status_lost",
)


def _zeros(n: int, dtype: type = bool) -> np.ndarray:
    return np.zeros(n, dtype=dtype)


@dataclass
class StepState:
    """What the stages of one step hand each other; made anew at the start of every step.

    Attributes:
        flows: People moving in the step, by flow (:data:`FLOW_NAMES`); every stage adds
            to its own flows, and the record of the step reads them (stage 9).
        returns_by_segment: People returning in the step, by segment (decisions).
        returns_by_sector: People returning in the step, by Chinese sector (decisions).
        returns_by_degree: People returning in the step, by degree (decisions).
        forced: Per slot, whether the worker lost US status this step and must move
            (visas, read by decisions).
        active: Per slot, whether the worker is in the pool, fixed after demography.
        in_us: Per slot, active and in the US at the start of the step's decisions.
        in_cn: Per slot, active and in China at the start of the step's decisions.
        prospects: Expected promotions over the horizon by country and level (offers,
            read by decisions).
        offers: The step's offers (offers, read by decisions).
    """

    flows: dict[str, float]
    returns_by_segment: np.ndarray
    returns_by_sector: np.ndarray
    returns_by_degree: np.ndarray
    forced: np.ndarray
    active: np.ndarray = field(default_factory=lambda: _zeros(0))
    in_us: np.ndarray = field(default_factory=lambda: _zeros(0))
    in_cn: np.ndarray = field(default_factory=lambda: _zeros(0))
    prospects: Any = None
    offers: Any = None  # talentsim.model.stages.offers.Offers

    @classmethod
    def new(cls, slots: int) -> StepState:
        """The state at the start of a step, for `slots` worker slots."""
        return cls(
            flows=dict.fromkeys(FLOW_NAMES, 0.0),
            returns_by_segment=np.zeros(len(SEGMENTS)),
            returns_by_sector=np.zeros(len(CN_SECTORS)),
            returns_by_degree=np.zeros(len(EDUCATION)),
            forced=_zeros(slots),
        )

    def grow(self, slots: int) -> None:
        """Extend the per-slot arrays to new slots (the step's entrants)."""
        if len(self.forced) < slots:
            self.forced = np.concatenate([self.forced, _zeros(slots - len(self.forced))])


@dataclass
class CarriedState:
    """What the model carries from step to step besides the worker arrays.

    Attributes:
        entry_carry: The fraction of a graduate the entry schedule owes the next year.
        weight: People each new agent stands for (set anew when recording starts after a
            spin-up).
        n_circles: Peer circles formed so far (the next circle's number).
        peer_share: Per slot, the share of the worker's peers in China (updated yearly).
        peer_fared: Per slot, how those peers fared in China (log pay growth).
        max_peer_share: The largest peer_share (bounds the offer hazard).
        pay_key: The pay premia the workers' pay factors were built with.
        family_key: The family-event hazard the scheduled events were drawn with.
        schedule_keys: The hazards each scheduled date was drawn with, by date field.
    """

    entry_carry: float = 0.0
    weight: float = 1.0
    n_circles: int = 0
    peer_share: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    peer_fared: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    max_peer_share: float = 1.0
    pay_key: tuple[float, ...] | None = None
    family_key: tuple[float, float] | None = None
    schedule_keys: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def grow(self, slots: int) -> None:
        """Extend the per-slot arrays to new slots (zeros)."""
        for name in ("peer_share", "peer_fared"):
            old = getattr(self, name)
            if len(old) < slots:
                setattr(self, name, np.concatenate([old, np.zeros(slots - len(old), old.dtype)]))


class Model(Protocol):
    """The model as the stages see it (:class:`talentsim.model.model.TalentModel`)."""

    config: Scenario  # the resolved scenario (base values)
    p: Scenario  # the parameters in force this step (the timeline applied)
    people: People
    firms: FirmTable
    us_firm_sampler: FirmSampler
    cn_firm_sampler: FirmSampler
    streams: Streams
    ledger: Ledger
    macro: Any  # talentsim.model.stages.macro.MacroState: the indices in force
    step_state: StepState
    carried: CarriedState
    t: float  # decimal year at the start of the step
    dt: float  # step length in years
    tick: int  # steps taken, burn-in included (keys the random streams)
    step_index: int  # steps since time.start (negative in the burn-in)
    survey_years: set[int]
    firm_agents: list[Any]  # the firms' Mesa agents
    survey_rows: list[dict[str, object]]
    cohort_rows: list[dict[str, np.ndarray]]
    audit: bool
    ledger_stale: bool
    initial_in_us: float

    @property
    def year(self) -> int:
        """Calendar year of the step."""
        ...

    @property
    def recording(self) -> bool:
        """Whether the step is after the burn-in."""
        ...

    def derived(self, function: Callable[[Scenario], T]) -> T:
        """`function(self.p)`, computed once per set of parameters in force."""
        ...
