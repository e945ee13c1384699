//! Secondary suppression by the hypercube method, for tables with any number of dimensions,
//! hierarchies and linked tables ([`crate::cube`]).
//!
//! A cell the frequency rule withholds is protected by withholding, with it, the corners of a
//! hypercube through it: along every dimension one *pattern* — the cell's category and a sibling
//! (`+1, −1`: their parent does not move), or the category and its ancestors up to the total
//! (`+1, +1, …`); a subtotal category carries on down to a leaf (`+1` on a child at each level) so
//! that its own equation holds — and the corners are the product of the patterns, with the
//! product of their signs. Shifting every corner by `t` times its sign keeps every equation of
//! the table, so the attacker cannot tell the true table from the shifted ones: every corner's
//! interval is at least as wide as the range of `t` that leaves no corner negative, the least
//! count on a `+` corner plus the least on a `−` corner. The hypercube chosen is the one whose
//! newly withheld cells count the fewest persons among those wide enough, found by improving one
//! dimension's pattern at a time.
//!
//! Sources: Repsilber D., "Preservation of confidentiality in aggregated data", 1994; Giessing S.,
//! Repsilber D., "Tools and strategies to protect multiple tables with the GHQUAR cell suppression
//! engine", *Inference Control in Statistical Databases*, LNCS 2316, 2002; de Wolf P.-P.,
//! "HiTaS: a heuristic approach to cell suppression in hierarchical tables", same volume (the
//! hierarchies); Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2.

use crate::cube::{Cube, cartesian};

/// What [`protect`] withholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// Per cell, whether it is withheld.
    pub withheld: Vec<bool>,
    /// Per cell, whether the frequency rule withholds it (a primary cell).
    pub primary: Vec<bool>,
    /// The number of primary cells.
    pub primaries: usize,
    /// The number of cells withheld to protect them (secondary cells).
    pub secondaries: usize,
    /// Of those, cells that were not to be withheld (see [`protect`]) but had to be: no
    /// hypercube through some primary cell avoids them.
    pub forced: Vec<usize>,
    /// Withheld cells whose hypercube is too narrow on its own, for [`settle`].
    pub pending: Vec<usize>,
}

/// Up to this many hypercubes through a cell, every one is tried; beyond, one dimension's
/// pattern is improved at a time.
const EXHAUSTIVE: usize = 4096;

/// One dimension's pattern: categories and their signs.
type Pattern = Vec<(usize, i8)>;

/// Withholds every `published` cell counting 1 to `min_persons − 1` persons, then the corners of
/// a hypercube through each that is not yet protected, so that no withheld cell can be narrowed
/// by the attacker to an interval narrower than `protection` persons. Cells not `published` are
/// unknown to the reader already and cost nothing to use. A published cell that is not
/// `suppressible` (a margin another table publishes) is withheld only when no hypercube avoids
/// it; such cells are listed in [`Suppression::forced`]. Cells `already` withheld (by the tables
/// of this one's margins) stay withheld, cost nothing and are protected too. A cell whose best
/// hypercube avoiding those cells is too narrow on its own is left [`Suppression::pending`] for
/// [`settle`].
pub fn protect(
    cube: &Cube,
    published: &[bool],
    suppressible: &[bool],
    already: &[bool],
    min_persons: u64,
    protection: u64,
) -> Suppression {
    let values = cube.values();
    let primary: Vec<bool> = values.iter().zip(published).map(|(&v, &p)| p && v > 0 && v < min_persons).collect();
    let mut withheld: Vec<bool> = primary.iter().zip(already).map(|(&p, &a)| p || a).collect();
    let mut protected = vec![false; values.len()];
    // The most aggregated cells first (HiTaS works from the top of the hierarchies down).
    let depth =
        |cell: usize| -> usize { cube.coords(cell).iter().zip(cube.dims()).map(|(&c, h)| h.ancestors(c).len()).sum() };
    // The cells withheld already are protected too: a margin withheld elsewhere to protect
    // another must not be recomputable here from its rows.
    let mut order: Vec<usize> = (0..values.len()).filter(|&c| withheld[c]).collect();
    order.sort_by_cached_key(|&c| (depth(c), c));
    let margins = marginals(cube);
    // A published cell that may not be withheld is frozen, unless the frequency rule withholds it.
    let frozen: Vec<bool> = (0..values.len()).map(|c| published[c] && !suppressible[c] && !withheld[c]).collect();
    let (mut forced, mut pending) = (Vec::new(), Vec::new());
    for k in order {
        if protected[k] {
            continue;
        }
        let (corners, fit) = best_hypercube(cube, published, &frozen, &withheld, &margins, k, protection);
        for &(cell, _) in &corners {
            if published[cell] && !withheld[cell] {
                withheld[cell] = true;
                if frozen[cell] {
                    forced.push(cell);
                }
            }
            protected[cell] |= fit != Fit::Narrow;
        }
        if fit == Fit::Narrow {
            pending.push(k);
        }
    }
    let primaries = primary.iter().filter(|&&p| p).count();
    let secondaries = withheld.iter().filter(|&&w| w).count() - primaries;
    Suppression { withheld, primary, primaries, secondaries, forced, pending }
}

/// Settles the cells [`protect`] left [`Suppression::pending`]: with `prove`, the attacker's
/// programs say which withheld cells the narrow hypercubes leave exposed, and only those get the
/// hypercube of the totals (withholding margins; listed in [`Suppression::forced`]); without,
/// every pending cell gets it.
pub fn settle(
    cube: &Cube,
    published: &[bool],
    s: &mut Suppression,
    protection: u64,
    prove: bool,
) -> Result<(), String> {
    let margins = marginals(cube);
    let force = |s: &mut Suppression, k: usize| {
        let coords = cube.coords(k);
        let up: Vec<Pattern> = (0..coords.len())
            .map(|d| patterns(cube, &margins, d, coords[d]).pop().expect("the pattern up to the total"))
            .collect();
        for (cell, _) in corners(cube, &up.iter().collect::<Vec<_>>()) {
            if published[cell] && !s.withheld[cell] {
                s.withheld[cell] = true;
                s.secondaries += 1;
                s.forced.push(cell);
            }
        }
    };
    if !prove {
        for k in std::mem::take(&mut s.pending) {
            force(s, k);
        }
        return Ok(());
    }
    for _ in 0..=cube.len() {
        let unknown: Vec<bool> = (0..cube.len()).map(|k| s.withheld[k] || !published[k]).collect();
        let mut targets = s.pending.clone();
        targets.extend((0..cube.len()).filter(|&k| s.withheld[k] && !s.pending.contains(&k)));
        match crate::attack::first_exposed(cube, &unknown, &targets, protection as f64)? {
            None => {
                s.pending.clear();
                return Ok(());
            }
            Some(e) => force(s, e),
        }
    }
    Err("secondary suppression did not settle".into())
}

/// How a hypercube protects its cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Wide enough on its own.
    Wide,
    /// Avoids the cells not to be withheld, but too narrow on its own: others may complete it.
    Narrow,
    /// The hypercube of the totals, whatever it withholds.
    Up,
}

/// Publishes again every secondary cell that the others make redundant, the largest first: a
/// cell goes back when, without it, the attacker still narrows no withheld cell below
/// `protection` persons (hypercubes chosen one primary cell at a time overlap; together they
/// protect more than each alone). Two linear programs per withheld cell per secondary cell tried:
/// for tables of up to a few thousand cells. Only `releasable` cells are tried, the
/// [`Suppression::forced`] ones first.
pub fn release_redundant(
    cube: &Cube,
    published: &[bool],
    releasable: &[bool],
    s: &mut Suppression,
    protection: u64,
) -> Result<usize, String> {
    let values = cube.values();
    let mut secondary: Vec<usize> =
        (0..cube.len()).filter(|&c| s.withheld[c] && !s.primary[c] && releasable[c]).collect();
    // Cells that were not to be withheld first, then the largest.
    secondary.sort_by_key(|&c| (!s.forced.contains(&c), std::cmp::Reverse(values[c]), c));
    let exposed = |withheld: &[bool], first: Option<usize>| -> Result<Option<usize>, String> {
        let unknown: Vec<bool> = (0..cube.len()).map(|k| withheld[k] || !published[k]).collect();
        let mut targets: Vec<usize> = (0..cube.len()).filter(|&k| withheld[k]).collect();
        if let Some(e) = first.filter(|e| withheld[*e]) {
            targets.retain(|&k| k != e);
            targets.insert(0, e);
        }
        crate::attack::first_exposed(cube, &unknown, &targets, protection as f64)
    };
    // The forced cells together first: they may protect only one another.
    let mut released = 0;
    let forced: Vec<usize> = s.forced.iter().copied().filter(|&c| releasable[c] && s.withheld[c]).collect();
    if forced.len() > 1 {
        let mut trial = s.withheld.clone();
        forced.iter().for_each(|&c| trial[c] = false);
        if exposed(&trial, None)?.is_none() {
            s.withheld = trial;
            released += forced.len();
            secondary.retain(|c| !forced.contains(c));
        }
    }
    // The cell last found exposed is tried first: it is the likeliest to be exposed again.
    let mut last_exposed: Option<usize> = None;
    for c in secondary {
        s.withheld[c] = false;
        match exposed(&s.withheld, last_exposed)? {
            Some(e) => {
                s.withheld[c] = true;
                last_exposed = Some(e);
            }
            None => released += 1,
        }
    }
    s.forced.retain(|&c| s.withheld[c]);
    s.secondaries -= released;
    Ok(released)
}

/// Per dimension, each category's total over every other dimension (its one-way margin).
fn marginals(cube: &Cube) -> Vec<Vec<u64>> {
    let roots: Vec<usize> = cube.dims().iter().map(|h| h.root()).collect();
    let top = cube.cell(&roots);
    cube.dims()
        .iter()
        .enumerate()
        .map(|(d, h)| (0..h.len()).map(|n| cube.values()[cube.with(top, d, n)]).collect())
        .collect()
}

/// The patterns of dimension `d` through category `node`: with each sibling, and up to the
/// total; a subtotal category goes down through each of its children in turn (then the largest
/// child at each level below).
fn patterns(cube: &Cube, margins: &[Vec<u64>], d: usize, node: usize) -> Vec<Pattern> {
    let h = &cube.dims()[d];
    // Down to a leaf through the largest child at each level.
    let down = |from: usize, sign: i8| -> Pattern {
        let mut out = vec![(from, sign)];
        let mut at = from;
        while let Some(&c) = h.children(at).iter().max_by_key(|&&c| (margins[d][c], std::cmp::Reverse(c))) {
            out.push((c, sign));
            at = c;
        }
        out
    };
    let own: Vec<Pattern> = if h.children(node).is_empty() {
        vec![vec![(node, 1)]]
    } else {
        h.children(node)
            .iter()
            .map(|&c| {
                let mut p = vec![(node, 1)];
                p.extend(down(c, 1));
                p
            })
            .collect()
    };
    let mut out = Vec::new();
    if let Some(p) = h.parent(node) {
        let mut siblings: Vec<usize> = h.children(p).iter().copied().filter(|&s| s != node).collect();
        siblings.sort_by_key(|&s| (std::cmp::Reverse(margins[d][s]), s));
        for s in siblings {
            for o in &own {
                let mut pattern = o.clone();
                pattern.extend(down(s, -1));
                out.push(pattern);
            }
        }
    }
    for o in own {
        let mut up = o;
        up.extend(h.ancestors(node).into_iter().skip(1).map(|a| (a, 1)));
        out.push(up);
    }
    out
}

/// The cells of a hypercube (product of one pattern per dimension) and their signs.
fn corners(cube: &Cube, chosen: &[&Pattern]) -> Vec<(usize, i8)> {
    let lists: Vec<Vec<usize>> = chosen.iter().map(|p| (0..p.len()).collect()).collect();
    cartesian(&lists)
        .into_iter()
        .map(|at| {
            let coords: Vec<usize> = at.iter().zip(chosen).map(|(&i, p)| p[i].0).collect();
            let sign = at.iter().zip(chosen).map(|(&i, p)| p[i].1).product::<i8>();
            (cube.cell(&coords), sign)
        })
        .collect()
}

/// How a hypercube scores: wide enough first, then fewest persons newly withheld; among those
/// too narrow, the widest.
fn score(
    cube: &Cube,
    published: &[bool],
    frozen: &[bool],
    withheld: &[bool],
    corners: &[(usize, i8)],
    protection: u64,
) -> (bool, u64, u64) {
    let values = cube.values();
    let (mut least_up, mut least_down, mut cost) = (u64::MAX, u64::MAX, 0u64);
    for &(cell, sign) in corners {
        if frozen[cell] && !withheld[cell] {
            return (false, u64::MAX, u64::MAX);
        }
        let v = values[cell];
        if sign > 0 {
            least_up = least_up.min(v);
        } else {
            least_down = least_down.min(v);
        }
        if published[cell] && !withheld[cell] {
            cost += v.max(1);
        }
    }
    let width = least_up.saturating_add(least_down);
    if width >= protection { (true, cost, 0) } else { (false, u64::MAX, u64::MAX - width) }
}

/// The least costly hypercube through `k` wide enough to protect it, improving one dimension's
/// pattern at a time from the largest siblings (all of them, when there are few). The hypercube of the totals (every pattern up) is
/// always wide enough: it has no `−` corner.
fn best_hypercube(
    cube: &Cube,
    published: &[bool],
    frozen: &[bool],
    withheld: &[bool],
    margins: &[Vec<u64>],
    k: usize,
    protection: u64,
) -> (Vec<(usize, i8)>, Fit) {
    let coords = cube.coords(k);
    let options: Vec<Vec<Pattern>> = (0..coords.len()).map(|d| patterns(cube, margins, d, coords[d])).collect();
    let evaluate = |choice: &[usize]| {
        let chosen: Vec<&Pattern> = choice.iter().enumerate().map(|(d, &i)| &options[d][i]).collect();
        let c = corners(cube, &chosen);
        let s = score(cube, published, frozen, withheld, &c, protection);
        (s, c)
    };
    let rank = |s: (bool, u64, u64)| (!s.0, s.1, s.2);
    // Few enough hypercubes: try them all; else improve one dimension at a time.
    let combinations = options.iter().try_fold(1usize, |n, o| n.checked_mul(o.len()).filter(|&n| n <= EXHAUSTIVE));
    let mut choice = vec![0usize; coords.len()];
    let (mut best, mut best_corners) = evaluate(&choice);
    if combinations.is_some() {
        let all: Vec<Vec<usize>> = options.iter().map(|o| (0..o.len()).collect()).collect();
        for trial in cartesian(&all) {
            let (s, c) = evaluate(&trial);
            if rank(s) < rank(best) {
                (best, best_corners) = (s, c);
            }
        }
    } else {
        for _pass in 0..3 {
            let mut improved = false;
            for d in 0..coords.len() {
                for i in 0..options[d].len() {
                    if i == choice[d] {
                        continue;
                    }
                    let mut trial = choice.clone();
                    trial[d] = i;
                    let (s, c) = evaluate(&trial);
                    if rank(s) < rank(best) {
                        (best, best_corners, choice) = (s, c, trial);
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }
    if best.0 {
        (best_corners, Fit::Wide)
    } else if best.2 < u64::MAX {
        (best_corners, Fit::Narrow)
    } else {
        // Up to the totals: no `−` corner, always wide enough, whatever it withholds.
        let up: Vec<usize> = options.iter().map(|o| o.len() - 1).collect();
        let chosen: Vec<&Pattern> = up.iter().enumerate().map(|(d, &i)| &options[d][i]).collect();
        (corners(cube, &chosen), Fit::Up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::intervals;
    use crate::cube::Hierarchy;

    use crate::testing::Rng;

    /// Checks a suppression with the attacker: no count of 1–10 published, every withheld cell at
    /// least `protection` wide and containing its true value.
    fn assert_protected(cube: &Cube, published: &[bool], s: &Suppression, protection: f64) {
        let unknown: Vec<bool> = (0..cube.len()).map(|c| s.withheld[c] || !published[c]).collect();
        let got = intervals(cube, &unknown).unwrap();
        for c in 0..cube.len() {
            let v = cube.values()[c];
            if published[c] && v > 0 && v < 11 {
                assert!(s.withheld[c], "a count of {v} is published at {:?}", cube.coords(c));
            }
            if s.withheld[c] {
                let (lo, hi) = got[c].unwrap();
                assert!(hi - lo >= protection - 1e-6, "cell {:?} = {v} narrowed to [{lo}, {hi}]", cube.coords(c));
                assert!(lo <= v as f64 + 1e-6 && v as f64 <= hi + 1e-6);
            }
        }
    }

    fn settle_all(s: &mut Suppression, cube: &Cube, published: &[bool]) {
        settle(cube, published, s, 11, true).unwrap();
    }

    fn none(cube: &Cube) -> Vec<bool> {
        vec![false; cube.len()]
    }

    fn counts() -> [u64; 8] {
        [0, 2, 5, 9, 14, 30, 60, 120]
    }

    /// Two-way tables with their margins: protected, and no cheaper than the least-cost protected
    /// suppression an exhaustive search with scipy finds (`reference/optimal_suppression.py`).
    #[test]
    fn two_way_tables_against_the_exhaustive_optimum() {
        let text = include_str!("../reference/optimal_suppression.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let (mut ours, mut best, mut cells_ours, mut cells_best, mut optimal_cases, mut cases) = (0, 0, 0, 0, 0, 0);
        for rec in r.records() {
            let rec = rec.unwrap();
            let rows: Vec<Vec<u64>> =
                rec[1].split(';').map(|r| r.split(' ').map(|v| v.parse().unwrap()).collect()).collect();
            let t = crate::attack::tests::two_way(&rows);
            let all = vec![true; t.len()];
            let mut s = protect(&t, &all, &all, &none(&t), 11, 11);
            settle_all(&mut s, &t, &all);
            release_redundant(&t, &all, &all, &mut s, 11).unwrap();
            assert_protected(&t, &all, &s, 11.0);
            let cost: u64 =
                (0..t.len()).filter(|&k| s.withheld[k] && !s.primary[k]).map(|k| t.values()[k].max(1)).sum();
            let (n, c): (usize, u64) = (rec[2].parse().unwrap(), rec[3].parse().unwrap());
            assert!(cost >= c, "{rows:?}: cost {cost} below the optimum {c}");
            ours += cost;
            best += c;
            cells_ours += s.secondaries;
            cells_best += n;
            optimal_cases += usize::from(cost == c);
            cases += 1;
        }
        eprintln!(
            "hypercube: {cells_ours} secondary cells costing {ours} persons; optimum {cells_best} costing {best}; \
             optimal on {optimal_cases} of {cases} tables"
        );
        assert_eq!(cases, 24);
        assert!(ours as f64 <= 1.3 * best as f64, "{ours} against {best}");
    }

    /// Hierarchical and linked tables against an independent implementation of another
    /// published algorithm — the least-cost protection LP one primary cell at a time, with
    /// scipy's HiGHS as solver and attacker (`reference/secondary_reference.py`): the same
    /// primary cells, both protected, and oncodata withholds no more cells than the reference
    /// on average.
    #[test]
    fn hierarchical_and_linked_tables_against_the_protection_lp_reference() {
        let text = include_str!("../reference/secondary_reference.csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let (mut ours, mut theirs, mut cases) = (0usize, 0usize, 0usize);
        for rec in r.records() {
            let rec = rec.unwrap();
            let dims: Vec<Hierarchy> = rec[2]
                .split('|')
                .map(|d| {
                    let nodes: Vec<(String, Option<String>)> = d
                        .split(',')
                        .map(|n| {
                            let (l, p) = n.split_once(':').unwrap();
                            (l.to_string(), (!p.is_empty()).then(|| p.to_string()))
                        })
                        .collect();
                    Hierarchy::from_parents(&nodes).unwrap()
                })
                .collect();
            let leaf_lists: Vec<Vec<usize>> =
                dims.iter().map(|h| (0..h.len()).filter(|&n| h.children(n).is_empty()).collect()).collect();
            let counts: Vec<u64> = rec[3].split(' ').map(|v| v.parse().unwrap()).collect();
            let cube = Cube::from_leaves(dims, cartesian(&leaf_lists).into_iter().zip(counts)).unwrap();
            let published: Vec<bool> = if &rec[1] == "linked" {
                (0..cube.len()).map(|c| cube.coords(c)[2] == 0 || cube.coords(c)[0] == 0).collect()
            } else {
                vec![true; cube.len()]
            };
            let mut s = protect(&cube, &published, &published, &none(&cube), 11, 11);
            settle_all(&mut s, &cube, &published);
            release_redundant(&cube, &published, &published, &mut s, 11).unwrap();
            assert_protected(&cube, &published, &s, 11.0);
            assert_eq!(s.primaries, rec[4].parse::<usize>().unwrap(), "case {}", &rec[0]);
            ours += s.secondaries;
            theirs += rec[5].parse::<usize>().unwrap();
            cases += 1;
        }
        eprintln!("secondary cells over {cases} tables: oncodata {ours}, protection-LP reference {theirs}");
        assert_eq!(cases, 30);
        assert!(ours <= theirs, "oncodata withholds {ours} secondary cells, the reference {theirs}");
    }

    /// Generated three-way tables with a two-level hierarchy (France → regions → départements),
    /// all their margins published: nothing recoverable.
    #[test]
    fn hierarchical_three_way_tables_leave_nothing_recoverable() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for case in 0..25 {
            let regions = 2 + (rng.next() % 2) as usize;
            let mut geo = vec![("FR".to_string(), None)];
            for r in 0..regions {
                geo.push((format!("R{r}"), Some("FR".to_string())));
                for d in 0..(1 + rng.next() % 3) {
                    geo.push((format!("D{r}{d}"), Some(format!("R{r}"))));
                }
            }
            let geo = Hierarchy::from_parents(&geo).unwrap();
            let sex = Hierarchy::flat("both", &["m", "f"]);
            let age = Hierarchy::flat("all", &["0-49", "50-69", "70+"]);
            let leaves: Vec<(Vec<usize>, u64)> = cartesian(&[
                (0..geo.len()).filter(|&n| geo.children(n).is_empty()).collect(),
                vec![1, 2],
                vec![1, 2, 3],
            ])
            .into_iter()
            .map(|c| (c, rng.pick(&counts())))
            .collect();
            let cube = Cube::from_leaves(vec![geo, sex, age], leaves).unwrap();
            let all = vec![true; cube.len()];
            let mut s = protect(&cube, &all, &all, &none(&cube), 11, 11);
            settle_all(&mut s, &cube, &all);
            assert_protected(&cube, &all, &s, 11.0);
            assert!(case > 0 || s.primaries > 0);
        }
    }

    /// Linked tables — by site and sex, and by year and sex, each with its margins — published
    /// from one cube whose inner cells stay unknown: protected together.
    #[test]
    fn linked_tables_are_protected_together() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20 {
            let site = Hierarchy::flat("all", &["lung", "breast", "colon", "skin"]);
            let sex = Hierarchy::flat("both", &["m", "f"]);
            let year = Hierarchy::flat("all", &["2021", "2022", "2023"]);
            let leaves: Vec<(Vec<usize>, u64)> = cartesian(&[vec![1, 2, 3, 4], vec![1, 2], vec![1, 2, 3]])
                .into_iter()
                .map(|c| (c, rng.pick(&[0, 1, 3, 4, 6, 8, 20, 45])))
                .collect();
            let cube = Cube::from_leaves(vec![site, sex, year], leaves).unwrap();
            // Table 1: site × sex over all years; table 2: year × sex over all sites.
            let published: Vec<bool> = (0..cube.len())
                .map(|c| {
                    let at = cube.coords(c);
                    at[2] == 0 || at[0] == 0
                })
                .collect();
            let mut s = protect(&cube, &published, &published, &none(&cube), 11, 11);
            settle_all(&mut s, &cube, &published);
            assert_protected(&cube, &published, &s, 11.0);
            assert!((0..cube.len()).all(|c| published[c] || !s.withheld[c]), "only published cells are withheld");
        }
    }

    /// Margins that another table publishes may not be withheld: a hypercube that would need
    /// one is passed over, and a margin withheld all the same is announced as forced.
    #[test]
    fn published_margins_are_withheld_only_when_forced() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..25 {
            let rows = 2 + (rng.next() % 4) as usize;
            let cells: Vec<Vec<u64>> = (0..rows).map(|_| (0..3).map(|_| rng.pick(&counts())).collect()).collect();
            let t = crate::attack::tests::two_way(&cells);
            let all = vec![true; t.len()];
            let inner: Vec<bool> = (0..t.len()).map(|c| t.coords(c).iter().all(|&x| x > 0)).collect();
            let mut s = protect(&t, &all, &inner, &none(&t), 11, 11);
            settle_all(&mut s, &t, &all);
            assert_protected(&t, &all, &s, 11.0);
            for (c, &is_inner) in inner.iter().enumerate() {
                if s.withheld[c] && !is_inner && !s.primary[c] {
                    assert!(s.forced.contains(&c), "{cells:?}: margin {:?} withheld unannounced", t.coords(c));
                }
            }
        }
    }

    /// A table published without its margins: its small cells alone are withheld (nothing ties
    /// them to the others), at no secondary cost.
    #[test]
    fn without_margins_nothing_more_is_withheld() {
        let t = crate::attack::tests::two_way(&[vec![3, 40], vec![25, 30]]);
        let inner: Vec<bool> = (0..t.len()).map(|c| t.coords(c).iter().all(|&x| x > 0)).collect();
        let mut s = protect(&t, &inner, &inner, &none(&t), 11, 11);
        settle_all(&mut s, &t, &inner);
        assert_eq!((s.primaries, s.secondaries), (1, 0));
        assert_protected(&t, &inner, &s, 11.0);
    }
}
