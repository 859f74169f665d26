"""The cheapest eligible unlisted placements of each pupil, priced by compatibility class.

An unlisted placement costs a pupil the same whichever it is, and whether it is eligible
depends on a few attributes of each side: year group and weeks (a pupil type and a
placement type, see `UnlistedEdges`), and distance only when a travel limit binds. So a
pupil's cheapest unlisted placements are the first ones, by price, of the placements its
class may take: a per-class order of placements, built once per pricing round, is read
from its start by every pupil of the class, skipping the few pairs that are excluded one
by one (placements the pupil lists, forbidden pairs, schools a placement has no room for)
and adding the pupil's school's group price where a school cap binds. Only pupils with a
travel limit, and only for placements with coordinates that are not remote, need the k-d
tree, asked band by band of cheapest placements (`UnlistedEdges.for_pupils`).

Ties are common (every free place costs nothing), so the pupils of a class start reading
the cheapest block of equal prices at different places: neighbours then ask for different
free places instead of all for the same few. The k-d tree's bands do the same: groups of
pupils take their first band from different parts of the cheapest block.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from matching.solver.eligibility import UnlistedEdges, in_sorted, pair_keys
from matching.solver.instance import Instance
from matching.solver.rooms import Rooms

# Placements of least price asked of the k-d tree first, then BAND_GROWTH times more.
BAND_FIRST = 1024
BAND_GROWTH = 2

GroupPrice = Callable[[np.ndarray], np.ndarray]


def _no_group_price(keys: np.ndarray) -> np.ndarray:
    return np.zeros(keys.size, dtype=np.int64)


def _spread(p: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random start per pupil."""
    return (p * 2654435761) % 4294967291


def _k_smallest(p: np.ndarray, q: np.ndarray, price: np.ndarray, k: int) -> np.ndarray:
    """Indices of each pupil's k cheapest pairs, sorted by pupil then price; equal prices
    in an order that differs from pupil to pupil."""
    order = np.lexsort((q, _spread(q * 40503 + p), price, p))
    first = np.searchsorted(p[order], p[order])
    return order[(np.arange(order.size) - first) < k]


class UnlistedPricing:
    """Prices the eligible unlisted pairs of open pupils with room left, given the
    placements' prices `z` and a school group's price on top where a cap binds."""

    def __init__(self, inst: Instance, rooms: Rooms, source: UnlistedEdges | None = None) -> None:
        self.inst = inst
        self.rooms = rooms
        self.source = source or UnlistedEdges(inst)
        limit = self.source.checker.limit
        self.limited = np.isfinite(limit) & ~np.isnan(inst.pupil_lat)
        self.spatial = ~inst.remote & ~np.isnan(inst.placement_lat)
        # A placement with no room, or a school cap of 0, takes no free pupil.
        self.usable = (rooms.placement > 0) & (rooms.cap != 0)
        m = max(inst.n_placements, 1)
        self.excluded = np.unique(
            np.concatenate(
                [self.source.listed_keys, pair_keys(inst.forbidden_pupil, inst.forbidden_placement, m)]
            )
        )
        owner = self.excluded // m
        # How many pairs each pupil has excluded: so many more placements are read.
        self.skips = np.bincount(owner, minlength=inst.n_pupils)
        # Classes: pupil type, and whether a travel limit binds (then spatial placements
        # are the k-d tree's); a pupil type too many for a table prices pair by pair.
        self.by_class = self.source.compatible is not None
        self.pupil_class = self.source.p_type * 2 + self.limited

    def cheapest(
        self,
        pupils: np.ndarray,
        z: np.ndarray,
        k: int,
        group_price: GroupPrice = _no_group_price,
        below: np.ndarray | None = None,
        among: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pupil, placement, price) of the k cheapest eligible unlisted placements of each of
        the pupils (open ones only), sorted by pupil then price; with `below` (per pupil),
        only those priced below it; with `among` (per placement), only those placements.
        Ties among equal prices are taken in an order that differs from pupil to pupil."""
        pupils = np.unique(pupils[self.inst.pupil_open[pupils]])
        limit = np.full(self.inst.n_pupils, np.iinfo(np.int64).max, dtype=np.int64)
        if below is not None:
            limit[:] = below
        usable = self.usable if among is None else self.usable & among
        if not self.by_class:
            parts = [self._by_band(pupils, np.flatnonzero(usable), z, k, group_price, limit)]
        else:
            spatial = np.flatnonzero(usable & self.spatial)
            parts = [
                self._by_band(pupils[self.limited[pupils]], spatial, z, k, group_price, limit),
                self._by_class(pupils, usable, z, k, group_price),
            ]
        p, q, price = (np.concatenate(x) for x in zip(*parts, strict=True))
        wanted = price < limit[p]
        p, q, price = p[wanted], q[wanted], price[wanted]
        keep = _k_smallest(p, q, price, k)
        return p[keep], q[keep], price[keep]

    def _price(
        self, p: np.ndarray, q: np.ndarray, z: np.ndarray, group_price: GroupPrice
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pairs a free pupil may take (room left for the school too), with prices."""
        key = self.rooms.group_key(p, q)
        ok = self.usable[q] & (self.rooms.group(key, q) > 0)
        p, q, key = p[ok], q[ok], key[ok]
        return p, q, z[q] + np.where(key >= 0, group_price(key), 0)

    def _class_order(self, c: int, usable: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The usable placements class c may take without the k-d tree, by price."""
        ptype, limited = divmod(c, 2)
        src = self.source
        may = usable & src.compatible[ptype][src.q_type]
        if limited:
            may &= ~self.spatial
        places = np.flatnonzero(may)
        return places[np.lexsort((_spread(places), z[places]))]

    def _by_class(
        self, pupils: np.ndarray, usable: np.ndarray, z: np.ndarray, k: int, group_price: GroupPrice
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = max(self.inst.n_placements, 1)
        parts, doubtful = [], []
        for c in np.unique(self.pupil_class[pupils]).tolist():
            members = pupils[self.pupil_class[pupils] == c]
            order = self._class_order(c, usable, z)
            if order.size == 0:
                continue
            prices = z[order]
            block = int(np.searchsorted(prices, prices[0], side="right"))
            width = k + self.skips[members]
            j = np.arange(int(width.max()))
            # Inside the cheapest block each pupil starts at its own place; past it, in order.
            at = np.where(j < block, (_spread(members)[:, None] % block + j) % block, j)
            read = (j < width[:, None]) & (at < order.size)
            p = np.broadcast_to(members[:, None], at.shape)[read]
            q = order[at[read]]
            listed_or_forbidden = in_sorted(pair_keys(p, q, m), self.excluded)
            p, q, price = self._price(p[~listed_or_forbidden], q[~listed_or_forbidden], z, group_price)
            # Exact for a pupil when what it read holds k pairs priced at no more than the
            # first placement it left unread, or when it read the whole order.
            unread = prices[np.minimum(width, order.size - 1)]
            row = np.searchsorted(members, p)
            cheap = np.bincount(row, weights=price <= unread[row], minlength=members.size)
            sure = (width >= order.size) | (cheap >= k)
            keep = sure[row]
            parts.append((p[keep], q[keep], price[keep]))
            doubtful.append(members[~sure])
        unsure = np.concatenate(doubtful) if doubtful else np.zeros(0, dtype=np.int64)
        if unsure.size:
            # Caps binding on many of a pupil's cheapest placements: priced pair by pair.
            p, q = self.source.for_pupils(unsure)
            plain = ~(self.limited[p] & self.spatial[q]) & usable[q]
            parts.append(self._price(p[plain], q[plain], z, group_price))
        return _joined(parts)

    def _by_band(
        self,
        pupils: np.ndarray,
        places: np.ndarray,
        z: np.ndarray,
        k: int,
        group_price: GroupPrice,
        limit: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pupils into the given placements through `UnlistedEdges` (the k-d tree where a
        travel limit binds), band after band of cheapest placements, until each pupil has k
        priced no higher than any placement left out, or every placement left out is
        priced at its limit or more.

        When the cheapest block of equal prices holds several bands, the pupils are shared
        out over as many starts inside it (see `_band_starts`)."""
        by_price = places[np.lexsort((_spread(places), z[places]))]
        parts = []
        for order, asking in _band_starts(by_price, z, pupils):
            parts.extend(self._bands(asking, order, z, k, group_price, limit))
        return _joined(parts)

    def _bands(
        self,
        asking: np.ndarray,
        by_price: np.ndarray,
        z: np.ndarray,
        k: int,
        group_price: GroupPrice,
        limit: np.ndarray,
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The pupils `asking` (sorted) priced band after band along `by_price`, an order
        of the placements by price."""
        parts = []
        size = BAND_FIRST
        while asking.size:
            p, q, price = self._price(
                *self.source.for_pupils(asking, np.sort(by_price[:size])), z, group_price
            )
            if size >= by_price.size:
                parts.append((p, q, price))
                break
            bound = z[by_price[size]]
            row = np.searchsorted(asking, p)
            wanted = (price <= bound) & (price < limit[p])
            done = (np.bincount(row, weights=wanted, minlength=asking.size) >= k) | (bound >= limit[asking])
            parts.append((p[done[row]], q[done[row]], price[done[row]]))
            asking = asking[~done]
            size *= BAND_GROWTH
        return parts


def _joined(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pupils, placements and prices of the parts, one part after another."""
    if not parts:
        return (np.zeros(0, dtype=np.int64),) * 3
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))  # type: ignore[return-value]


def _band_starts(
    by_price: np.ndarray, z: np.ndarray, pupils: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Orders of the placements by price, each with the group of the pupils (sorted) that
    reads it: each group reads the cheapest block of equal prices from its own start,
    wrapping round, and the rest in order.

    A pupil takes its first band from the front of its order, and stops there once that
    holds k placements. Were all to read one order, a block of equal prices wider than a
    band (every placement at price 0 before the first unlisted round) would give nearly
    every pupil its placements among the same BAND_FIRST: a corner of the round that is
    the smaller the more placements it has (handful family, 30,000 pupils: 17,400 of the
    first unlisted round's 18,400 columns into travel-limited placements went into the
    first band's 2,600 places of 15,100). The LP then placed about one band's worth of
    pupils per round, so the rounds grew with the placements, and each dearer with the
    pupils. One start per band's width of the block shares the pupils out over all of it
    at the same cost. Any order of equal prices prices exactly."""
    block = int(np.searchsorted(z[by_price], z[by_price[0]], side="right")) if by_price.size else 0
    n_starts = max(1, block // BAND_FIRST)
    if n_starts == 1:
        return [(by_price, pupils)]
    group = _spread(pupils) % n_starts
    width = block // n_starts
    starts = []
    for g in range(n_starts):
        shift = g * width
        order = np.concatenate([by_price[shift:block], by_price[:shift], by_price[block:]])
        starts.append((order, pupils[group == g]))
    return starts
