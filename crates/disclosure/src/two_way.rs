//! Secondary suppression for two-way tables with their margins, and the attacker's check that
//! proves it: a published table is a set of cells tied by additivity (each row and column total is
//! the sum of its cells), so withholding only the small cells is not enough — a reader solves the
//! equations for them. Here:
//!
//! - [`attack`] solves the attacker's problem for each withheld cell: the least and greatest value
//!   the cell can take given every published cell, the equations and non-negativity (two linear
//!   programs per cell; Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.3.2
//!   "the attacker's problem"; Fischetti & Salazar-González, *Management Science* 45, 1999);
//! - [`protect_two_way`] withholds the cells the frequency rule names, then adds complementary
//!   cells by the hypercube method (Repsilber 1994; Giessing & Repsilber, "Tools and strategies
//!   to protect multiple tables with the GHQUAR cell suppression engine", 2002): for an
//!   unprotected cell, the rectangle of the table (the cell and three partners sharing its row
//!   and column) whose newly withheld cells count the fewest persons, until the attacker's
//!   interval of every withheld cell is at least the protection level wide.
//!
//! The LPs are solved with `good_lp` on `microlp`, a pure-Rust simplex solver.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

/// A two-way table of counts with its margins, laid out as an `(R + 1) × (C + 1)` grid: row `R`
/// holds the column totals, column `C` the row totals, `(R, C)` the grand total.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoWay {
    rows: usize,
    columns: usize,
    /// The grid, row by row.
    values: Vec<u64>,
}

impl TwoWay {
    /// The table of `cells` (`rows × columns`, every row as long) with its totals.
    pub fn new(cells: &[Vec<u64>]) -> Result<Self, String> {
        let rows = cells.len();
        let columns = cells.first().map_or(0, Vec::len);
        if rows == 0 || columns == 0 || cells.iter().any(|r| r.len() != columns) {
            return Err("a two-way table needs rows of one length, at least 1 × 1".into());
        }
        let (r1, c1) = (rows + 1, columns + 1);
        let mut values = vec![0u64; r1 * c1];
        for (i, row) in cells.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                values[i * c1 + j] = v;
                values[i * c1 + columns] += v;
                values[rows * c1 + j] += v;
                values[rows * c1 + columns] += v;
            }
        }
        Ok(Self { rows, columns, values })
    }

    /// The grid's size, margins included: `(R + 1, C + 1)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows + 1, self.columns + 1)
    }

    /// The value at `(i, j)` of the grid.
    pub fn value(&self, i: usize, j: usize) -> u64 {
        self.values[i * (self.columns + 1) + j]
    }

    /// The equations a reader knows: for each row of the grid, its cells sum to its total, and
    /// the same for each column; as (total, parts), grid indices.
    fn equations(&self) -> Vec<(usize, Vec<usize>)> {
        let (r1, c1) = self.shape();
        let at = |i: usize, j: usize| i * c1 + j;
        let mut eq = Vec::with_capacity(r1 + c1);
        for i in 0..r1 {
            eq.push((at(i, self.columns), (0..self.columns).map(|j| at(i, j)).collect()));
        }
        for j in 0..c1 {
            eq.push((at(self.rows, j), (0..self.rows).map(|i| at(i, j)).collect()));
        }
        eq
    }
}

/// The attacker's interval `(least, greatest)` of each withheld cell of the grid (`withheld`,
/// grid indices, row by row), `None` for a published cell.
pub fn attack(table: &TwoWay, withheld: &[bool]) -> Result<Vec<Option<(f64, f64)>>, String> {
    let cells = table.values.len();
    let mut out = vec![None; cells];
    for target in (0..cells).filter(|&k| withheld[k]) {
        let mut bounds = [0.0f64; 2];
        for (b, maximise) in [false, true].into_iter().enumerate() {
            let mut vars = ProblemVariables::new();
            let x: Vec<Option<Variable>> =
                (0..cells).map(|k| withheld[k].then(|| vars.add(variable().min(0.0)))).collect();
            let term = |k: usize| -> Expression {
                match x[k] {
                    Some(v) => v.into(),
                    None => (table.values[k] as f64).into(),
                }
            };
            let objective: Expression = x[target].expect("withheld").into();
            let mut model = if maximise { vars.maximise(objective.clone()) } else { vars.minimise(objective.clone()) }
                .using(microlp);
            for (total, parts) in table.equations() {
                let sum: Expression = parts.iter().map(|&k| term(k)).sum();
                model = model.with(sum.eq(term(total)));
            }
            bounds[b] = match model.solve() {
                Ok(solution) => solution.eval(&objective),
                // Nothing bounds the cell from above: the attacker learns nothing of its size.
                Err(good_lp::ResolutionError::Unbounded) if maximise => f64::INFINITY,
                Err(e) => return Err(format!("the attacker's problem has no solution: {e}")),
            };
        }
        out[target] = Some((bounds[0], bounds[1]));
    }
    Ok(out)
}

/// What [`protect_two_way`] withholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// Per grid cell (row by row, margins included), whether it is withheld.
    pub withheld: Vec<bool>,
    /// The cells the frequency rule withholds.
    pub primary: usize,
    /// The cells withheld to protect them.
    pub secondary: usize,
    /// The attacker's interval of each withheld cell, once protected.
    pub intervals: Vec<Option<(f64, f64)>>,
}

/// Withholds every cell of the grid counting 1 to `min_persons − 1` persons, then complementary
/// cells until the attacker cannot narrow any withheld cell to an interval narrower than
/// `protection` persons (or to its own value: an interval of 0 cells).
pub fn protect_two_way(table: &TwoWay, min_persons: u64, protection: f64) -> Result<Suppression, String> {
    let (r1, c1) = table.shape();
    let n = r1 * c1;
    let mut withheld: Vec<bool> = table.values.iter().map(|&v| v > 0 && v < min_persons).collect();
    let primary = withheld.iter().filter(|&&w| w).count();
    let mut rounds = 0;
    loop {
        let intervals = attack(table, &withheld)?;
        let exposed: Vec<usize> =
            (0..n).filter(|&k| intervals[k].is_some_and(|(lo, hi)| hi - lo < protection - 1e-9)).collect();
        if exposed.is_empty() {
            let secondary = withheld.iter().filter(|&&w| w).count() - primary;
            return Ok(Suppression { withheld, primary, secondary, intervals });
        }
        rounds += 1;
        if rounds > n {
            return Err("secondary suppression did not converge".into());
        }
        // The first exposed cell: the cheapest rectangle through it.
        let k = exposed[0];
        let (i, j) = (k / c1, k % c1);
        let mut best: Option<(u64, [usize; 3])> = None;
        for a in (0..r1).filter(|&a| a != i) {
            for b in (0..c1).filter(|&b| b != j) {
                let partners = [i * c1 + b, a * c1 + j, a * c1 + b];
                // A partner published at zero cannot move down: it gives no protection.
                if partners.iter().any(|&p| !withheld[p] && table.values[p] == 0) {
                    continue;
                }
                let cost: u64 = partners.iter().filter(|&&p| !withheld[p]).map(|&p| table.values[p].max(1)).sum();
                if cost > 0 && best.is_none_or(|(c, _)| cost < c) {
                    best = Some((cost, partners));
                }
            }
        }
        match best {
            Some((_, partners)) => partners.iter().for_each(|&p| withheld[p] = true),
            // No rectangle adds protection: the whole row and column of the cell are withheld.
            None => {
                let mut added = false;
                for p in (0..c1).map(|b| i * c1 + b).chain((0..r1).map(|a| a * c1 + j)) {
                    added |= !withheld[p];
                    withheld[p] = true;
                }
                if !added {
                    return Err(format!(
                        "cell ({i}, {j}) cannot be protected: every cell of its row and column is withheld"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attacker's interval of a 2 × 2 table whose four inner cells are withheld, by hand:
    /// rows 23 and 45, columns 18 and 50 leave x00 anywhere in [0, 18].
    #[test]
    fn the_attacker_finds_the_interval_a_hand_calculation_gives() {
        let t = TwoWay::new(&[vec![3, 20], vec![15, 30]]).unwrap();
        let mut withheld = vec![false; 9];
        for k in [0, 1, 3, 4] {
            withheld[k] = true;
        }
        let got = attack(&t, &withheld).unwrap();
        let (lo, hi) = got[0].unwrap();
        assert!((lo - 0.0).abs() < 1e-6 && (hi - 18.0).abs() < 1e-6, "{lo} {hi}");
        let (lo, hi) = got[4].unwrap();
        assert!((lo - 27.0).abs() < 1e-6 && (hi - 45.0).abs() < 1e-6, "{lo} {hi}");
        // Withholding the small cell alone discloses it: its row total minus the rest.
        let mut alone = vec![false; 9];
        alone[0] = true;
        let (lo, hi) = attack(&t, &alone).unwrap()[0].unwrap();
        assert!((lo - 3.0).abs() < 1e-6 && (hi - 3.0).abs() < 1e-6);
    }

    /// Generated tables: after secondary suppression no withheld cell can be narrowed below the
    /// protection level, no count of 1–10 is published, and the zeros stay published.
    #[test]
    fn no_withheld_cell_of_generated_tables_is_recoverable() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut total_secondary = 0;
        for _ in 0..40 {
            let (rows, columns) = (2 + (next() % 4) as usize, 2 + (next() % 4) as usize);
            let cells: Vec<Vec<u64>> = (0..rows)
                .map(|_| (0..columns).map(|_| [0, 2, 5, 9, 14, 30, 60][(next() % 7) as usize]).collect())
                .collect();
            let t = TwoWay::new(&cells).unwrap();
            let s = match protect_two_way(&t, 11, 11.0) {
                Ok(s) => s,
                Err(e) => panic!("{cells:?}: {e}"),
            };
            let (r1, c1) = t.shape();
            for k in 0..r1 * c1 {
                let v = t.value(k / c1, k % c1);
                if v > 0 && v < 11 {
                    assert!(s.withheld[k], "{cells:?}: a count of {v} is published");
                }
                if let Some((lo, hi)) = s.intervals[k] {
                    assert!(hi - lo >= 11.0 - 1e-6, "{cells:?}: cell {k} narrowed to [{lo}, {hi}]");
                    assert!(lo <= v as f64 + 1e-6 && v as f64 <= hi + 1e-6);
                }
            }
            total_secondary += s.secondary;
        }
        assert!(total_secondary > 0);
    }

    /// oncodata's attacker against scipy's `linprog` (HiGHS) on 30 seeded tables and withheld
    /// sets (`reference/attack_reference.py`, `attack_reference.csv`): the same interval for
    /// every withheld cell.
    #[test]
    fn the_attacker_equals_scipy_linprog() {
        let text = include_str!("../reference/attack_reference.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut compared = 0;
        type Intervals = Vec<Option<(f64, f64)>>;
        let mut cache: std::collections::HashMap<(String, String), Intervals> = Default::default();
        for rec in r.records() {
            let rec = rec.unwrap();
            let (cells, withheld) = (rec[1].to_string(), rec[2].to_string());
            let got = cache.entry((cells.clone(), withheld.clone())).or_insert_with(|| {
                let rows: Vec<Vec<u64>> =
                    cells.split(';').map(|r| r.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
                let t = TwoWay::new(&rows).unwrap();
                let (r1, c1) = t.shape();
                let mut w = vec![false; r1 * c1];
                for k in withheld.split(' ') {
                    w[k.parse::<usize>().unwrap()] = true;
                }
                attack(&t, &w).unwrap()
            });
            let k: usize = rec[3].parse().unwrap();
            let (lo, hi) = got[k].unwrap();
            let want_lo: f64 = rec[4].parse().unwrap();
            let want_hi: f64 = if &rec[5] == "inf" { f64::INFINITY } else { rec[5].parse().unwrap() };
            assert!((lo - want_lo).abs() < 1e-6, "case {}: cell {k} low {lo} for {want_lo}", &rec[0]);
            assert!(
                (hi - want_hi).abs() < 1e-6 || (hi.is_infinite() && want_hi.is_infinite()),
                "case {}: cell {k} high {hi} for {want_hi}",
                &rec[0]
            );
            compared += 1;
        }
        assert_eq!(compared, 128);
    }

    /// The hypercube heuristic against the least-cost protected suppression, found by exhaustive
    /// search with scipy on 24 small tables (`reference/optimal_suppression.py`): never cheaper
    /// (that would mean one of the two protects wrongly), and how far above it.
    #[test]
    fn secondary_suppression_against_the_exhaustive_optimum() {
        let text = include_str!("../reference/optimal_suppression.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let (mut ours, mut best, mut cells_ours, mut cells_best, mut optimal_cases, mut cases) = (0, 0, 0, 0, 0, 0);
        for rec in r.records() {
            let rec = rec.unwrap();
            let rows: Vec<Vec<u64>> =
                rec[1].split(';').map(|r| r.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
            let t = TwoWay::new(&rows).unwrap();
            let s = protect_two_way(&t, 11, 11.0).unwrap();
            let primary: Vec<bool> = t.values.iter().map(|&v| v > 0 && v < 11).collect();
            let cost: u64 =
                (0..t.values.len()).filter(|&k| s.withheld[k] && !primary[k]).map(|k| t.values[k].max(1)).sum();
            let (n, c): (usize, u64) = (rec[2].parse().unwrap(), rec[3].parse().unwrap());
            assert!(cost >= c, "{rows:?}: cost {cost} below the optimum {c}");
            ours += cost;
            best += c;
            cells_ours += s.secondary;
            cells_best += n;
            optimal_cases += usize::from(cost == c);
            cases += 1;
        }
        eprintln!(
            "hypercube: {cells_ours} secondary cells costing {ours} persons; optimum {cells_best} costing {best}; \
             optimal on {optimal_cases} of {cases} tables"
        );
        assert_eq!(cases, 24);
        assert!(ours as f64 <= 1.5 * best as f64, "{ours} against {best}");
    }
}
