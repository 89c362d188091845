"""Where the map draws firms and workers: the US on the left, China on the right.

The model has no geography. The map is a drawing convention: US firms sit in clusters by
kind (Silicon Valley's tech giants and start-ups, then finance, universities, other), and
Chinese firms in four city clusters, each firm given a city by its kind in turn (tech in
Beijing, Shenzhen, Hangzhou and Shanghai; finance in Shanghai and Beijing; and so on).
A worker is drawn next to their employer at a fixed offset of their own, so a worker who
returns (changes to a Chinese employer) moves across the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from talentsim.model.firms import FirmTable
from talentsim.taxonomy import FIRM_KINDS, SEGMENTS

WIDTH, HEIGHT = 100.0, 60.0
DIVIDE = WIDTH / 2  # the Pacific: US to the left, China to the right

#: Cluster centres of US firm kinds (Silicon Valley's tech first).
US_CLUSTERS: dict[str, tuple[str, tuple[float, float]]] = {
    "us_tech_giant": ("SV tech giants", (13.0, 42.0)),
    "us_tech_startup": ("SV start-ups", (33.0, 42.0)),
    "us_finance": ("Finance", (10.0, 15.0)),
    "us_academia": ("Universities", (24.0, 15.0)),
    "us_other": ("Other US", (38.0, 15.0)),
}
#: Chinese city clusters.
CITIES: dict[str, tuple[float, float]] = {
    "Beijing": (66.0, 43.0),
    "Shanghai": (87.0, 43.0),
    "Shenzhen": (66.0, 15.0),
    "Hangzhou": (87.0, 15.0),
}
#: Cities each Chinese firm kind is spread over, in turn.
CITIES_OF_KIND: dict[str, tuple[str, ...]] = {
    "cn_tech_giant": ("Beijing", "Shenzhen", "Hangzhou", "Shanghai"),
    "cn_tech_startup": ("Beijing", "Shenzhen", "Hangzhou", "Shanghai"),
    "cn_finance": ("Shanghai", "Beijing"),
    "cn_education": ("Beijing", "Shanghai"),
    "cn_manufacturing": ("Shenzhen", "Hangzhou"),
    "cn_other": ("Beijing", "Shanghai", "Shenzhen", "Hangzhou"),
}
#: Colours of the talent-pool segments (workers) and of the firms of each country.
SEGMENT_COLOURS: dict[str, str] = {
    "sv_tech": "#1f77b4",
    "finance": "#ff7f0e",
    "academia": "#2ca02c",
    "business_other": "#9467bd",
}
SEGMENT_LABELS: dict[str, str] = {
    "sv_tech": "Silicon Valley tech",
    "finance": "finance",
    "academia": "academia",
    "business_other": "business & other",
}
FIRM_COLOURS = ("#8a9bb0", "#d9a0a0")  # US, China
GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


def _spiral(count: int, spacing: float) -> np.ndarray:
    """Offsets of `count` points on a sunflower spiral (evenly filled disc)."""
    k = np.arange(count)
    radius = spacing * np.sqrt(k + 0.5)
    angle = k * GOLDEN_ANGLE
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


@dataclass
class MapLayout:
    """Positions of firms (by firm id) and labels of the clusters."""

    firm_xy: np.ndarray  # (n_firms, 2)
    labels: list[tuple[str, float, float]]  # (text, x, y) of each cluster

    @classmethod
    def build(cls, firms: FirmTable) -> MapLayout:
        """Place every firm in its cluster."""
        centres: dict[str, tuple[float, float]] = {}
        cluster = np.empty(len(firms), dtype=object)
        for code, (key, *_rest) in enumerate(FIRM_KINDS):
            ids = np.flatnonzero(firms.kind == code)
            if key in US_CLUSTERS:
                label, centre = US_CLUSTERS[key]
                centres[label] = centre
                cluster[ids] = label
            else:
                cities = CITIES_OF_KIND[key]
                for i, firm in enumerate(ids):
                    cluster[firm] = cities[i % len(cities)]
        centres.update(CITIES)
        xy = np.zeros((len(firms), 2))
        for label, centre in centres.items():
            ids = np.flatnonzero(cluster == label)
            order = ids[np.argsort(-firms.size[ids], kind="stable")]  # biggest in the middle
            xy[order] = np.asarray(centre) + _spiral(len(order), spacing=1.5)
        labels = [(text, x, y + 11.0) for text, (x, y) in centres.items()]
        return cls(firm_xy=xy, labels=labels)


def sample_keys(slots: np.ndarray) -> np.ndarray:
    """A fixed uniform number in [0, 1) for each slot (a hash of it).

    The map draws the workers whose key is below the share it can draw, so when the share
    falls some dots go, but no drawn worker is swapped for another.
    """
    z = np.asarray(slots, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / 2.0**53


def worker_offsets(slots: np.ndarray) -> np.ndarray:
    """A fixed offset of each worker from their employer (a ring of radius 0.8 to 3)."""
    slots = np.asarray(slots, dtype=np.float64)
    angle = slots * GOLDEN_ANGLE
    radius = 0.8 + 2.2 * np.mod(slots * 0.6180339887, 1.0)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def worker_positions(layout: MapLayout, slots: np.ndarray, employers: np.ndarray) -> np.ndarray:
    """Where workers are drawn: their employer's place plus their own offset, in the map."""
    xy = layout.firm_xy[employers] + worker_offsets(slots)
    xy[:, 0] = np.clip(xy[:, 0], 0.0, WIDTH - 0.01)
    xy[:, 1] = np.clip(xy[:, 1], 0.0, HEIGHT - 0.01)
    return xy


def segment_colour(segment_code: int) -> str:
    """Colour of a talent-pool segment."""
    return SEGMENT_COLOURS[SEGMENTS[segment_code]]
