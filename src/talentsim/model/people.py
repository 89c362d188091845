"""Worker state as a struct of arrays behind stable slot ids.

Each worker owns one slot for the whole run: slots are never reused, so a slot id is a
stable identity. Workers who leave the pool drop out of the active mask. Arrays grow
geometrically when graduates enter, so appending is amortised O(1) per worker.
"""

from __future__ import annotations

import numpy as np

#: Every worker state variable with its dtype (see docs/ODD.md, "State variables").
#: Quantities that change with time alone (age, years in a visa status, the pull of a
#: family event) are stored as the date they started, so no step has to touch them.
#: Codes used to index lookup tables every step are intp: numpy gathers with them are
#: two to three times faster than with int8 codes.
FIELDS: dict[str, np.dtype] = {
    "active": np.dtype(bool),  # in the pool (not retired or left)
    "country": np.dtype(np.int8),  # Country: where the worker lives and works
    "weight": np.dtype(np.float64),  # people this agent stands for
    "birth": np.dtype(np.float64),  # decimal year of birth: age = t - birth
    "education": np.dtype(np.intp),  # index into EDUCATION
    "segment": np.dtype(np.intp),  # index into SEGMENTS
    "skill": np.dtype(np.int8),  # index into SKILLS
    "stem": np.dtype(bool),  # STEM graduate (longer OPT)
    "pay_cat": np.dtype(np.intp),  # index into macro.US_PAY_CATEGORIES (skill or segment)
    "wage_group": np.dtype(np.intp),  # pay_cat in the US; CHINA_WAGE_GROUP + sector in China
    "us_years_banked": np.dtype(np.float64),  # years in the US before the current stay
    "us_since": np.dtype(np.float64),  # start of the current US stay
    "visa": np.dtype(np.int8),  # Visa (kept after return: the status they left with)
    "visa_since": np.dtype(np.float64),  # start of the current visa status
    "employer": np.dtype(np.intp),  # firm id
    "level": np.dtype(np.intp),  # career level, index into LEVELS
    "pay_mult": np.dtype(np.float64),  # individual pay multiplier in the current job
    "us_pay_mult": np.dtype(np.float64),  # pay multiplier of the last US job (US track record)
    "pay_factor": np.dtype(
        np.float64
    ),  # salary / sector wage index (firm, level, degree, pay_mult)
    "only_child": np.dtype(bool),
    "parent_birth": np.dtype(np.float64),  # decimal year of birth of the parents
    "family_event_time": np.dtype(np.float64),  # date of the latest family event (-inf: none)
    "family_next_event": np.dtype(np.float64),  # date the next family event is due
    "exit_date": np.dtype(np.float64),  # date the worker leaves the pool (scheduled)
    "us_offer_date": np.dtype(np.float64),  # date of the next US offer (scheduled)
    "promotion_date": np.dtype(np.float64),  # date of the next promotion (scheduled)
    "belong_us": np.dtype(np.float32),  # belonging to the US, [0, 1]
    "belong_cn": np.dtype(np.float32),  # belonging to China, [0, 1]
    "returns": np.dtype(np.int16),  # times returned to China
    "return_time": np.dtype(np.float64),  # decimal year of the latest return (nan if never)
    "return_sector": np.dtype(np.int8),  # CN_SECTORS index of the latest return (-1 if never)
    "return_reasons": np.dtype(np.uint8),  # bit mask over REASONS at the latest return
    "founder": np.dtype(bool),  # founded a firm on return
    "return_pay_ppp": np.dtype(np.float64),  # PPP pay of the job taken on the latest return
    "fared": np.dtype(np.float32),  # log growth of PPP pay since the latest return
    "circle": np.dtype(np.intp),  # peer circle (classmates: same segment and cohort)
    "entry_year": np.dtype(np.int16),  # calendar year of graduation and entry (0: starting pool)
}

#: Initial value of fields whose zero is not the natural "unset".
FILL: dict[str, float] = {
    "return_time": np.nan,
    "return_sector": -1,
    "employer": -1,
    "family_event_time": -np.inf,
}


class People:
    """Arrays of worker state, indexed by slot."""

    def __init__(self, capacity: int) -> None:
        """Allocate arrays for `capacity` slots; none is used yet."""
        self.n = 0
        self.capacity = max(int(capacity), 16)
        for name, dtype in FIELDS.items():
            setattr(self, name, self._new(name, dtype, self.capacity))

    @staticmethod
    def _new(name: str, dtype: np.dtype, size: int) -> np.ndarray:
        array = np.zeros(size, dtype=dtype)
        if name in FILL:
            array.fill(FILL[name])
        return array

    def add(self, count: int) -> slice:
        """Reserve `count` new slots at the end, growing the arrays if needed.

        Returns:
            The slice of the new slots.
        """
        needed = self.n + count
        if needed > self.capacity:
            self._grow(max(needed, int(self.capacity * 1.5)))
        new = slice(self.n, needed)
        self.n = needed
        return new

    def _grow(self, capacity: int) -> None:
        for name, dtype in FIELDS.items():
            old = getattr(self, name)
            array = self._new(name, dtype, capacity)
            array[: self.capacity] = old
            setattr(self, name, array)
        self.capacity = capacity

    def view(self, name: str) -> np.ndarray:
        """The used part (slots 0..n-1) of a field."""
        return getattr(self, name)[: self.n]

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(getattr(self, name).nbytes for name in FIELDS)
