"""Postcodes, rough coordinates for Lancashire postcode districts (no network), and distances.

The centroids are approximate (to about a kilometre): good enough to estimate a pupil's travel
when the school did not give coordinates, never shown as an address.
"""

from __future__ import annotations

import math
import re

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# The same shape for JSON Schema (case-insensitive, optional single space), spelled out for both.
POSTCODE_PATTERN = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"

DISTRICT_CENTROIDS: dict[str, tuple[float, float]] = {
    "PR1": (53.7590, -2.7000),
    "PR2": (53.7860, -2.7120),
    "PR3": (53.8680, -2.6790),
    "PR4": (53.7700, -2.8500),
    "PR5": (53.7280, -2.6580),
    "PR6": (53.6700, -2.6100),
    "PR7": (53.6450, -2.6350),
    "PR8": (53.6350, -3.0000),
    "PR9": (53.6650, -2.9650),
    "PR25": (53.6930, -2.6950),
    "PR26": (53.6850, -2.7450),
    "BB1": (53.7530, -2.4700),
    "BB2": (53.7350, -2.5050),
    "BB3": (53.6980, -2.4650),
    "BB4": (53.7000, -2.2900),
    "BB5": (53.7530, -2.3650),
    "BB6": (53.7870, -2.4250),
    "BB7": (53.8750, -2.3900),
    "BB8": (53.8570, -2.1650),
    "BB9": (53.8350, -2.2150),
    "BB10": (53.8000, -2.2150),
    "BB11": (53.7850, -2.2450),
    "BB12": (53.8000, -2.2800),
    "BB18": (53.9150, -2.1700),
    "LA1": (54.0480, -2.8000),
    "LA2": (54.0600, -2.7000),
    "LA3": (54.0500, -2.8750),
    "LA4": (54.0700, -2.8650),
    "LA5": (54.1600, -2.7900),
    "LA6": (54.1500, -2.6000),
    "FY1": (53.8170, -3.0500),
    "FY2": (53.8450, -3.0400),
    "FY3": (53.8200, -3.0150),
    "FY4": (53.7900, -3.0300),
    "FY5": (53.8750, -3.0250),
    "FY6": (53.8700, -2.9700),
    "FY7": (53.9200, -3.0100),
    "FY8": (53.7500, -3.0200),
    "L39": (53.5680, -2.8850),
    "L40": (53.6050, -2.8350),
    "WN6": (53.5750, -2.6900),
    "WN8": (53.5500, -2.7750),
    "OL13": (53.7050, -2.1950),
    "OL12": (53.6350, -2.1600),
}


def normalise_postcode(raw: str) -> str | None:
    """`pr1 2he` → `PR1 2HE`; None when it is not the shape of a UK postcode."""
    match = POSTCODE.match(raw.strip().upper().replace(" ", "").replace("\u00a0", ""))
    if match is None:
        # Without its space the outward code is ambiguous; try every split.
        compact = raw.strip().upper().replace(" ", "")
        if len(compact) >= 5:
            match = POSTCODE.match(f"{compact[:-3]} {compact[-3:]}")
    if match is None:
        return None
    return f"{match.group(1)} {match.group(2)}"


# The forms' message when a postcode is well formed but not one we can place on the map.
POSTCODE_NOT_FOUND = "We cannot find this postcode. Check it, or set the location by coordinates instead"


def district_centroid(postcode: str | None) -> tuple[float, float] | None:
    """Rough coordinates of the postcode's district, when it is one we know."""
    if not postcode:
        return None
    normalised = normalise_postcode(postcode)
    if normalised is None:
        return None
    return DISTRICT_CENTROIDS.get(normalised.split(" ")[0])


EARTH_KM = 6371.0088  # the mean earth radius the matching format uses


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))
