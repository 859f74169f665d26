"""LPs `min c x, A x <= b, x >= 0` through HiGHS' simplex, started from a given basis,
and grown in place.

linprog always starts from scratch. After unlisted edges join the restricted problem its
components merge into one LP of nearly every pupil, which from scratch takes several
times longer than from the bases the smaller LPs ended with: those bases, with the new
columns at zero, are still primal feasible, and only the new columns need pivoting in.
HiGHS' own Python package, highspy, takes a basis and lets an LP grow by columns and rows
between runs. Its plain binding class (`highspy._Highs`, exported beside `Highs`) is used
rather than `highspy.Highs`: that wrapper registers its callbacks before any option can
be set, and so prints HiGHS' banner on standard output, where `placements solve` writes
its result. HiGHS lets go of the interpreter while it runs, so independent LPs can run in
threads side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

# HighsBasisStatus values: columns sit at their lower bound or are basic; a row's slack
# is basic, or the row sits at its upper bound (the only one these rows have).
LOWER, BASIC, UPPER = 0, 1, 2
UNKNOWN = -1
DUAL_SIMPLEX, PRIMAL_SIMPLEX = 1, 4
CHOOSE, DEVEX = -1, 1
COLUMN_WISE, MINIMISE = highspy.MatrixFormat.kColwise, highspy.ObjSense.kMinimize
_STATUS = [highspy.HighsBasisStatus(s) for s in range(3)]


@dataclass(frozen=True)
class Solution:
    x: np.ndarray
    row_dual: np.ndarray
    col_status: np.ndarray
    row_status: np.ndarray


def _balanced(col_status: np.ndarray, row_status: np.ndarray, col_zero: np.ndarray) -> bool:
    """Makes the basis one basic variable per row, in place, without moving the point it
    stands for: a basic column at zero leaves the basis, or a tight row's slack joins it
    (degenerate either way). False when that cannot be done."""
    excess = int((col_status == BASIC).sum() + (row_status == BASIC).sum()) - row_status.size
    if excess > 0:
        out = np.flatnonzero((col_status == BASIC) & col_zero)[:excess]
        col_status[out] = LOWER
        return out.size == excess
    if excess < 0:
        join = np.flatnonzero(row_status == UPPER)[:-excess]
        row_status[join] = BASIC
        return join.size == -excess
    return True


class Model:
    """One LP that grows: columns and rows are only ever added, and each run starts from
    the basis (and its factorisation) the last one ended with. After unlisted edges join
    the merged LP, rebuilding it and refactorising its basis costs far more than the few
    pivots the new columns need."""

    def __init__(
        self,
        c: np.ndarray,
        a: sp.csc_matrix,
        b: np.ndarray,
        col_status: np.ndarray,
        row_status: np.ndarray,
        col_zero: np.ndarray,
    ) -> None:
        """The starting basis (col_zero: the columns at zero in the point it stands for)
        is a guess: HiGHS repairs a singular one itself."""
        self.n_rows, self.n_cols = a.shape
        self.highs = highspy._Highs()
        self.highs.setOptionValue("output_flag", False)
        # Presolve finds little to remove in these networks and costs a third of the time.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("solver", "simplex")
        # Integrality 0 is "continuous" for every column: HiGHS wants the array all the same.
        status = self.highs.passModel(
            self.n_cols,
            self.n_rows,
            a.nnz,
            COLUMN_WISE,
            MINIMISE,
            0.0,
            c,
            np.zeros(self.n_cols),
            np.full(self.n_cols, np.inf),
            np.full(self.n_rows, -np.inf),
            b,
            a.indptr.astype(np.int32),
            a.indices.astype(np.int32),
            a.data,
            np.zeros(self.n_cols, dtype=np.int32),
        )
        self.ok = status == highspy.HighsStatus.kOk
        col_status, row_status = col_status.copy(), row_status.copy()
        self.warm = bool((col_status == BASIC).any()) and _balanced(col_status, row_status, col_zero)
        # The basis and point of the last run (see `basis`): none before the first.
        self.col_status, self.row_status = col_status, row_status
        self.at_one = np.zeros(self.n_cols, dtype=bool)
        if self.ok and self.warm:
            self._set_basis()

    def _set_basis(self) -> None:
        basis = highspy.HighsBasis()
        basis.col_status = [_STATUS[s] for s in self.col_status.tolist()]
        basis.row_status = [_STATUS[s] for s in self.row_status.tolist()]
        basis.valid = True
        self.highs.setBasis(basis)

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column and row statuses of the basis the last run ended with, and which columns
        are at 1 in its point; added columns at 0 and added rows with their slack basic."""
        return self.col_status, self.row_status, self.at_one

    def take_in(self, cols: np.ndarray, rows: np.ndarray) -> None:
        """Starts the next run with the columns `cols` at 1 and basic, and the rows `rows`
        (one for each, whose slack they replace) at their bound. The caller sees that the
        basis stays one and its point feasible (see `optimal._GreedyStart`)."""
        if cols.size == 0 or not self.warm:
            return
        self.col_status[cols] = BASIC
        self.row_status[rows] = UPPER
        self.at_one[cols] = True
        self._set_basis()

    def add(self, c: np.ndarray, cols: sp.csc_matrix, b: np.ndarray, rows: sp.csr_matrix) -> None:
        """Appends columns (cols: their entries in the rows so far), then rows (rows: their
        entries in every column, old and new). New columns start at zero and new rows with
        their slack basic, so the basis stays one, and feasible."""
        if c.size:
            self.ok &= (
                self.highs.addCols(
                    c.size,
                    c,
                    np.zeros(c.size),
                    np.full(c.size, np.inf),
                    cols.nnz,
                    cols.indptr[:-1].astype(np.int32),
                    cols.indices.astype(np.int32),
                    cols.data,
                )
                == highspy.HighsStatus.kOk
            )
        if b.size:
            self.ok &= (
                self.highs.addRows(
                    b.size,
                    np.full(b.size, -np.inf),
                    b,
                    rows.nnz,
                    rows.indptr[:-1].astype(np.int32),
                    rows.indices.astype(np.int32),
                    rows.data,
                )
                == highspy.HighsStatus.kOk
            )
        self.n_cols += c.size
        self.n_rows += b.size
        self.col_status = np.r_[self.col_status, np.full(c.size, LOWER, dtype=np.int8)]
        self.at_one = np.r_[self.at_one, np.zeros(c.size, dtype=bool)]
        self.row_status = np.r_[self.row_status, np.full(b.size, BASIC, dtype=np.int8)]

    def run(self, *, primal: bool) -> Solution | None:
        """The optimum (row duals <= 0, as HiGHS gives them for a minimisation), or None
        when HiGHS finds none. `primal` asks for the primal simplex from a warm basis,
        which new columns at zero leave feasible (see `optimal` for when it pays)."""
        if not self.ok:
            return None
        strategy = PRIMAL_SIMPLEX if primal and self.warm else DUAL_SIMPLEX
        self.highs.setOptionValue("simplex_strategy", strategy)
        # From a warm basis with many new columns the dual simplex pivots a lot, and
        # devex pricing is cheaper per pivot than the steepest edge HiGHS would pick
        # (merged LP of the benchmark generator at 100,000 pupils: 1.5 s against 1.8 s).
        weights = DEVEX if self.warm else CHOOSE
        self.highs.setOptionValue("simplex_dual_edge_weight_strategy", weights)
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        # Later runs start from where this one ended.
        self.warm = True
        solution = self.highs.getSolution()
        # Basic variables come as one array (column j as j, row i as -1 - i); everything
        # else sits at its only finite bound.
        _, basic = self.highs.getBasicVariables()
        col_status = np.full(self.n_cols, LOWER, dtype=np.int8)
        col_status[basic[basic >= 0]] = BASIC
        row_status = np.full(self.n_rows, UPPER, dtype=np.int8)
        row_status[-1 - basic[basic < 0]] = BASIC
        x = np.asarray(solution.col_value)
        self.col_status, self.row_status, self.at_one = col_status.copy(), row_status.copy(), x > 0.5
        return Solution(
            x=x,
            row_dual=np.asarray(solution.row_dual),
            col_status=col_status,
            row_status=row_status,
        )


def solve(
    c: np.ndarray,
    a: sp.csc_matrix,
    b: np.ndarray,
    col_status: np.ndarray,
    row_status: np.ndarray,
    col_zero: np.ndarray,
    *,
    primal: bool,
) -> Solution | None:
    """One LP, solved once from the given basis (see `Model`)."""
    return Model(c, a, b, col_status, row_status, col_zero).run(primal=primal)
