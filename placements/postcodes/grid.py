"""Ordnance Survey National Grid eastings and northings to WGS84 latitude and longitude.

Code-Point Open gives only grid references. The grid is a transverse Mercator projection of the
Airy 1830 ellipsoid (OSGB36); undoing it gives OSGB36 latitude and longitude, and a seven-parameter
Helmert transformation moves those to WGS84, as in Ordnance Survey's "A guide to coordinate
systems in Great Britain" (annex C and section 6.6). The Helmert step is good to about 5 metres,
far finer than a journey to a placement needs, without the OSTN15 grid file.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Ellipsoid(NamedTuple):
    a: float  # semi-major axis, metres
    b: float  # semi-minor axis, metres

    @property
    def e2(self) -> float:
        return 1 - (self.b * self.b) / (self.a * self.a)


AIRY_1830 = Ellipsoid(6_377_563.396, 6_356_256.909)
WGS84 = Ellipsoid(6_378_137.0, 6_356_752.314245)

# The National Grid's projection: scale on the central meridian, true origin, false origin.
F0 = 0.9996012717
PHI0 = math.radians(49.0)
LAMBDA0 = math.radians(-2.0)
E0, N0 = 400_000.0, -100_000.0

# OSGB36 to WGS84: translations in metres, scale in parts per million, rotations in seconds of arc.
TX, TY, TZ = 446.448, -125.157, 542.060
SCALE_PPM = -20.4894
RX, RY, RZ = 0.1502, 0.2470, 0.8421


def _meridional_arc(phi: float) -> float:
    """Distance along the central meridian from the true origin's latitude to `phi` (scaled)."""
    a, b = AIRY_1830
    n = (a - b) / (a + b)
    n2, n3 = n * n, n * n * n
    d, s = phi - PHI0, phi + PHI0
    return (
        b
        * F0
        * (
            (1 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3 * n + 3 * n2 + 21 / 8 * n3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n2 + 15 / 8 * n3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def grid_to_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """OSGB36 latitude and longitude in degrees of a National Grid reference in metres."""
    a, e2 = AIRY_1830.a, AIRY_1830.e2
    phi = PHI0
    arc = 0.0
    while True:
        phi += (northing - N0 - arc) / (a * F0)
        arc = _meridional_arc(phi)
        if abs(northing - N0 - arc) < 0.00001:  # a hundredth of a millimetre
            break
    sin_phi, cos_phi, tan_phi = math.sin(phi), math.cos(phi), math.tan(phi)
    nu = a * F0 / math.sqrt(1 - e2 * sin_phi**2)
    rho = a * F0 * (1 - e2) / (1 - e2 * sin_phi**2) ** 1.5
    eta2 = nu / rho - 1
    t2, t4, t6 = tan_phi**2, tan_phi**4, tan_phi**6
    sec_phi = 1 / cos_phi
    vii = tan_phi / (2 * rho * nu)
    viii = tan_phi / (24 * rho * nu**3) * (5 + 3 * t2 + eta2 - 9 * t2 * eta2)
    ix = tan_phi / (720 * rho * nu**5) * (61 + 90 * t2 + 45 * t4)
    x = sec_phi / nu
    xi = sec_phi / (6 * nu**3) * (nu / rho + 2 * t2)
    xii = sec_phi / (120 * nu**5) * (5 + 28 * t2 + 24 * t4)
    xiia = sec_phi / (5040 * nu**7) * (61 + 662 * t2 + 1320 * t4 + 720 * t6)
    de = easting - E0
    lat = phi - vii * de**2 + viii * de**4 - ix * de**6
    lon = LAMBDA0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(lat), math.degrees(lon)


def osgb36_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 latitude and longitude in degrees of an OSGB36 point at height 0."""
    phi, lam = math.radians(lat), math.radians(lon)
    a, e2 = AIRY_1830.a, AIRY_1830.e2
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    x = nu * math.cos(phi) * math.cos(lam)
    y = nu * math.cos(phi) * math.sin(lam)
    z = (1 - e2) * nu * math.sin(phi)

    s = SCALE_PPM / 1e6
    rx, ry, rz = (math.radians(seconds / 3600) for seconds in (RX, RY, RZ))
    x, y, z = (
        TX + x * (1 + s) - y * rz + z * ry,
        TY + x * rz + y * (1 + s) - z * rx,
        TZ - x * ry + y * rx + z * (1 + s),
    )

    a, e2 = WGS84.a, WGS84.e2
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    while True:
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        previous, phi = phi, math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(phi - previous) < 1e-12:
            break
    return math.degrees(phi), math.degrees(math.atan2(y, x))


def grid_to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    return osgb36_to_wgs84(*grid_to_osgb36(easting, northing))
