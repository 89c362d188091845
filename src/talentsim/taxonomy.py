"""The fixed categories of the model: segments, skills, sectors, visas, career levels.

Integer codes index the worker and firm arrays; the names are what every output uses.
"""

from __future__ import annotations

from enum import IntEnum

#: Talent-pool segments (field and occupation of a US-based Chinese-born graduate).
SEGMENTS: tuple[str, ...] = ("sv_tech", "finance", "academia", "business_other")
SV_TECH = 0

#: Skills inside the Silicon Valley tech segment ("none" outside it).
SKILLS: tuple[str, ...] = ("software", "ai_ml", "hardware", "none")
AI_ML = 1
NO_SKILL = 3

#: Employment sectors of Chinese firms; the categories of the survey's sector question.
CN_SECTORS: tuple[str, ...] = ("technology", "finance", "education", "manufacturing", "other")
CN_TECHNOLOGY = 0

#: Employment sectors of US firms.
US_SECTORS: tuple[str, ...] = ("tech", "finance", "academia", "other")

#: US sector that employs each segment (a structural assumption, see docs/ODD.md).
US_SECTOR_OF_SEGMENT: tuple[int, ...] = (0, 1, 2, 3)

EDUCATION: tuple[str, ...] = ("bachelor", "master", "phd")
PHD = 2


class Country(IntEnum):
    """Where a worker lives and works, or where a firm is."""

    US = 0
    CHINA = 1


class Visa(IntEnum):
    """US immigration status of a worker (kept after return, for re-migration)."""

    STUDENT_OPT = 0
    H1B = 1
    GREEN_CARD_PENDING = 2
    PERMANENT = 3


#: Career ladder, from individual contributor to executive.
LEVELS: tuple[str, ...] = ("junior IC", "senior IC", "manager", "director", "executive")
MANAGER = 2
EXECUTIVE = 4
TOP_LEVEL = len(LEVELS) - 1

#: Survey position categories ("position level of employed returnees"), by career level.
SURVEY_LEVELS: tuple[str, ...] = ("staff", "junior manager", "middle manager", "senior manager")
SURVEY_LEVEL_OF_LEVEL: tuple[int, ...] = (0, 0, 1, 2, 3)

#: Reasons for return a returnee can give (several allowed), as bits of a mask.
REASONS: tuple[str, ...] = (
    "family reunion",
    "emotional or cultural belonging",
    "China's economic development",
    "unfavourable conditions abroad",
)

#: Firm kinds: (key, country, sector index in that country's list, is a start-up).
FIRM_KINDS: tuple[tuple[str, Country, int, bool], ...] = (
    ("us_tech_giant", Country.US, 0, False),
    ("us_tech_startup", Country.US, 0, True),
    ("us_finance", Country.US, 1, False),
    ("us_academia", Country.US, 2, False),
    ("us_other", Country.US, 3, False),
    ("cn_tech_giant", Country.CHINA, 0, False),
    ("cn_tech_startup", Country.CHINA, 0, True),
    ("cn_finance", Country.CHINA, 1, False),
    ("cn_education", Country.CHINA, 2, False),
    ("cn_manufacturing", Country.CHINA, 3, False),
    ("cn_other", Country.CHINA, 4, False),
)

#: US pay categories: the three sv_tech skills, then the other segments.
US_PAY_CATEGORIES: tuple[str, ...] = (
    "software",
    "ai_ml",
    "hardware",
    "finance",
    "academia",
    "business_other",
)
#: Wage group of a worker in a Chinese firm of sector k: CHINA_WAGE_GROUP + k.
CHINA_WAGE_GROUP = len(US_PAY_CATEGORIES)
