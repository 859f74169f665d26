"""One LP `min c x, A x <= b, x >= 0` through HiGHS' simplex, started from a given basis.

linprog always starts from scratch. After unlisted edges join the restricted problem its
components merge into one LP of nearly every pupil, which from scratch takes several
times longer than from the bases the smaller LPs ended with: those bases, with the new
columns at zero, are still primal feasible, and only the new columns need pivoting in.
scipy ships HiGHS' own Python bindings (the module linprog itself calls), which take a
basis; they are scipy's private module, so this file is the only place that touches it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize._highspy._core as highs
import scipy.sparse as sp

# HighsBasisStatus values: columns sit at their lower bound or are basic; a row's slack
# is basic, or the row sits at its upper bound (the only one these rows have).
LOWER, BASIC, UPPER = 0, 1, 2
UNKNOWN = -1
PRIMAL_SIMPLEX = 4
COLUMN_WISE, MINIMISE = int(highs.MatrixFormat.kColwise), int(highs.ObjSense.kMinimize)
_STATUS = [highs.HighsBasisStatus(s) for s in range(3)]


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
    """The optimum (row duals <= 0, as HiGHS gives them for a minimisation), or None when
    HiGHS finds none. The starting basis (col_zero: the columns at zero in the point it
    stands for) is a guess: HiGHS repairs a singular one itself. `primal` asks for the
    primal simplex from it, for a basis that is optimal but for a few new columns."""
    n_rows, n_cols = a.shape
    solver = highs._Highs()
    solver.setOptionValue("output_flag", False)
    # Presolve finds little to remove in these networks and costs a third of the time.
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("solver", "simplex")
    # Integrality 0 is "continuous" for every column: HiGHS wants the array all the same.
    status = solver.passModel(
        n_cols,
        n_rows,
        a.nnz,
        COLUMN_WISE,
        MINIMISE,
        0.0,
        c,
        np.zeros(n_cols),
        np.full(n_cols, np.inf),
        np.full(n_rows, -np.inf),
        b,
        a.indptr.astype(np.int32),
        a.indices.astype(np.int32),
        a.data,
        np.zeros(n_cols, dtype=np.int32),
    )
    if status != highs.HighsStatus.kOk:
        return None
    col_status, row_status = col_status.copy(), row_status.copy()
    if (col_status == BASIC).any() and _balanced(col_status, row_status, col_zero):
        basis = highs.HighsBasis()
        basis.col_status = [_STATUS[s] for s in col_status.tolist()]
        basis.row_status = [_STATUS[s] for s in row_status.tolist()]
        basis.valid = True
        solver.setBasis(basis)
        if primal:
            solver.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
    solver.run()
    if solver.getModelStatus() != highs.HighsModelStatus.kOptimal:
        return None
    solution = solver.getSolution()
    # Basic variables come as one array (column j as j, row i as -1 - i); everything else
    # sits at its only finite bound.
    _, basic = solver.getBasicVariables()
    col_status = np.full(n_cols, LOWER, dtype=np.int8)
    col_status[basic[basic >= 0]] = BASIC
    row_status = np.full(n_rows, UPPER, dtype=np.int8)
    row_status[-1 - basic[basic < 0]] = BASIC
    return Solution(
        x=np.asarray(solution.col_value),
        row_dual=np.asarray(solution.row_dual),
        col_status=col_status,
        row_status=row_status,
    )
