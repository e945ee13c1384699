//! The attacker's problem: how closely a reader can pin down a withheld cell from what is
//! published. For each withheld cell, two linear programs — its least and greatest value given
//! every published cell, every equation of the table and non-negativity (Hundepool et al.,
//! *Statistical Disclosure Control*, Wiley 2012, §4.3.2; Fischetti & Salazar-González,
//! *Mathematical Programming* 84, 1999). A withheld cell is protected when that interval is at
//! least the protection level wide.
//!
//! Only the equations that hold an unknown cell matter, and a cell's interval depends only on the
//! unknown cells linked to it through them: the programs are solved per linked group, with
//! `good_lp` on `microlp` (a pure-Rust simplex).

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, Variable, microlp, variable};

use crate::cube::Cube;

/// The attacker's interval `(least, greatest)` of every cell that is `unknown` to the reader
/// (withheld or never published); `None` for a published cell. `f64::INFINITY` when nothing
/// bounds a cell from above.
pub fn intervals(cube: &Cube, unknown: &[bool]) -> Result<Vec<Option<(f64, f64)>>, String> {
    let mut out = vec![None; cube.len()];
    for group in groups(cube, unknown) {
        for &target in &group.cells {
            let lo = bound(cube.values(), &group, target, false)?;
            let hi = bound(cube.values(), &group, target, true)?;
            out[target] = Some((lo, hi));
        }
    }
    Ok(out)
}

/// The first of the `targets` (unknown cells) that the attacker narrows to an interval less
/// than `protection` wide, or `None` when every one is protected. Cheaper than [`intervals`]: a
/// cell whose greatest value is at least `protection` above its true value needs no second
/// program.
pub fn first_exposed(
    cube: &Cube,
    unknown: &[bool],
    targets: &[usize],
    protection: f64,
) -> Result<Option<usize>, String> {
    let values = cube.values();
    let groups = groups(cube, unknown);
    let mut of_cell = vec![usize::MAX; cube.len()];
    for (g, group) in groups.iter().enumerate() {
        for &c in &group.cells {
            of_cell[c] = g;
        }
    }
    for &target in targets {
        let group = &groups[of_cell[target]];
        let hi = bound(values, group, target, true)?;
        if hi - values[target] as f64 >= protection - 1e-9 {
            continue;
        }
        let lo = bound(values, group, target, false)?;
        if hi - lo < protection - 1e-9 {
            return Ok(Some(target));
        }
    }
    Ok(None)
}

/// Unknown cells linked through the equations, with the equations that hold them.
struct Group {
    cells: Vec<usize>,
    equations: Vec<(usize, Vec<usize>)>,
}

/// The linked groups of unknown cells (union-find over the equations that hold one).
fn groups(cube: &Cube, unknown: &[bool]) -> Vec<Group> {
    let equations: Vec<(usize, Vec<usize>)> =
        cube.equations().into_iter().filter(|(t, parts)| unknown[*t] || parts.iter().any(|&p| unknown[p])).collect();
    let mut root: Vec<usize> = (0..cube.len()).collect();
    fn find(g: &mut [usize], mut x: usize) -> usize {
        while g[x] != x {
            g[x] = g[g[x]];
            x = g[x];
        }
        x
    }
    for (t, parts) in &equations {
        let mut first = None;
        for &c in std::iter::once(t).chain(parts).filter(|&&c| unknown[c]) {
            let r = find(&mut root, c);
            match first {
                None => first = Some(r),
                Some(f) => root[r] = f,
            }
        }
    }
    let mut index: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut out: Vec<Group> = Vec::new();
    for c in (0..cube.len()).filter(|&c| unknown[c]) {
        let r = find(&mut root, c);
        let g = *index.entry(r).or_insert_with(|| {
            out.push(Group { cells: Vec::new(), equations: Vec::new() });
            out.len() - 1
        });
        out[g].cells.push(c);
    }
    for e in equations {
        let c = *std::iter::once(&e.0).chain(&e.1).find(|&&c| unknown[c]).expect("an unknown cell");
        let g = index[&find(&mut root, c)];
        out[g].equations.push(e);
    }
    out
}

/// The least (or greatest) value of `target` over the unknown cells of its linked group.
fn bound(values: &[u64], group: &Group, target: usize, maximise: bool) -> Result<f64, String> {
    if group.equations.is_empty() {
        return Ok(if maximise { f64::INFINITY } else { 0.0 });
    }
    let mut vars = ProblemVariables::new();
    let x: std::collections::HashMap<usize, Variable> =
        group.cells.iter().map(|&c| (c, vars.add(variable().min(0.0)))).collect();
    let term = |k: usize| -> Expression {
        match x.get(&k) {
            Some(v) => (*v).into(),
            None => (values[k] as f64).into(),
        }
    };
    let objective: Expression = x[&target].into();
    let mut model =
        if maximise { vars.maximise(objective.clone()) } else { vars.minimise(objective.clone()) }.using(microlp);
    for (total, parts) in &group.equations {
        let sum: Expression = parts.iter().map(|&k| term(k)).sum();
        model = model.with(sum.eq(term(*total)));
    }
    match model.solve() {
        Ok(solution) => Ok(solution.eval(&objective)),
        // Nothing bounds the cell from above: the attacker learns nothing of its size.
        Err(good_lp::ResolutionError::Unbounded) if maximise => Ok(f64::INFINITY),
        Err(e) => Err(format!("the attacker's problem has no solution: {e}")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cube::Hierarchy;

    /// A two-way table of `rows` with its margins (node 0 of each dimension the total).
    pub(crate) fn two_way(rows: &[Vec<u64>]) -> Cube {
        let r: Vec<String> = (0..rows.len()).map(|i| format!("r{i}")).collect();
        let c: Vec<String> = (0..rows[0].len()).map(|j| format!("c{j}")).collect();
        let leaves = rows
            .iter()
            .enumerate()
            .flat_map(|(i, row)| row.iter().enumerate().map(move |(j, &v)| (vec![i + 1, j + 1], v)));
        Cube::from_leaves(vec![Hierarchy::flat("all", &r), Hierarchy::flat("all", &c)], leaves).unwrap()
    }

    /// The grid index of `attack_reference.py` (row by row, the margins last) as a cube cell.
    pub(crate) fn grid_cell(cube: &Cube, k: usize) -> usize {
        let (r1, c1) = (cube.dims()[0].len(), cube.dims()[1].len());
        let (i, j) = (k / c1, k % c1);
        cube.cell(&[(i + 1) % r1, (j + 1) % c1])
    }

    /// A 2 × 2 table whose four inner cells are withheld, by hand: rows 23 and 45, columns 18 and
    /// 50 leave the first cell anywhere in [0, 18]; withheld alone, it is its row total minus the
    /// rest.
    #[test]
    fn the_attacker_finds_the_interval_a_hand_calculation_gives() {
        let t = two_way(&[vec![3, 20], vec![15, 30]]);
        let mut unknown = vec![false; t.len()];
        for k in [0, 1, 3, 4] {
            unknown[grid_cell(&t, k)] = true;
        }
        let got = intervals(&t, &unknown).unwrap();
        let (lo, hi) = got[grid_cell(&t, 0)].unwrap();
        assert!((lo - 0.0).abs() < 1e-6 && (hi - 18.0).abs() < 1e-6, "{lo} {hi}");
        let (lo, hi) = got[grid_cell(&t, 4)].unwrap();
        assert!((lo - 27.0).abs() < 1e-6 && (hi - 45.0).abs() < 1e-6, "{lo} {hi}");
        let mut alone = vec![false; t.len()];
        alone[grid_cell(&t, 0)] = true;
        let (lo, hi) = intervals(&t, &alone).unwrap()[grid_cell(&t, 0)].unwrap();
        assert!((lo - 3.0).abs() < 1e-6 && (hi - 3.0).abs() < 1e-6);
    }

    /// oncodata's attacker against scipy's `linprog` (HiGHS) on 30 seeded tables and withheld
    /// sets (`reference/attack_reference.py`, `attack_reference.csv`): the same interval for
    /// every withheld cell.
    #[test]
    fn the_attacker_equals_scipy_linprog() {
        let text = include_str!("../reference/attack_reference.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let mut compared = 0;
        type Intervals = (Cube, Vec<Option<(f64, f64)>>);
        let mut cache: std::collections::HashMap<(String, String), Intervals> = Default::default();
        for rec in r.records() {
            let rec = rec.unwrap();
            let (cells, withheld) = (rec[1].to_string(), rec[2].to_string());
            let (t, got) = cache.entry((cells.clone(), withheld.clone())).or_insert_with(|| {
                let rows: Vec<Vec<u64>> =
                    cells.split(';').map(|r| r.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
                let t = two_way(&rows);
                let mut w = vec![false; t.len()];
                for k in withheld.split(' ') {
                    w[grid_cell(&t, k.parse::<usize>().unwrap())] = true;
                }
                let got = intervals(&t, &w).unwrap();
                (t, got)
            });
            let k: usize = rec[3].parse().unwrap();
            let (lo, hi) = got[grid_cell(t, k)].unwrap();
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
}
