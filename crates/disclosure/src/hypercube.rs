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
//! The same argument makes a hypercube whose corners are all unknown to the reader a
//! *certificate*: it proves, without solving the attacker's linear programs, that each of its
//! corners keeps an interval at least its width wide. Every hypercube chosen is kept as the
//! certificate of its corners ([`Suppression::certificate`]); a secondary cell is published again
//! when every cell it certified finds another certificate among the withheld cells
//! ([`release_redundant`]).
//!
//! Sources: Repsilber D., "Preservation of confidentiality in aggregated data", 1994; Giessing S.,
//! Repsilber D., "Tools and strategies to protect multiple tables with the GHQUAR cell suppression
//! engine", *Inference Control in Statistical Databases*, LNCS 2316, 2002; de Wolf P.-P.,
//! "HiTaS: a heuristic approach to cell suppression in hierarchical tables", same volume (the
//! hierarchies); Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::cube::Cube;

/// A hypercube: its corners (cell, sign `+1` or `−1`).
pub type Hypercube = Vec<(usize, i8)>;

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
    /// The hypercubes chosen, every corner withheld or unpublished, each wide enough.
    pub hypercubes: Vec<Hypercube>,
    /// Per cell, the hypercube (an index into [`Suppression::hypercubes`]) that certifies it.
    pub certificate: Vec<Option<u32>>,
}

impl Suppression {
    /// Keeps `cube` as the certificate of each of its corners.
    fn certify(&mut self, cube: Hypercube) {
        let id = self.hypercubes.len() as u32;
        for &(cell, _) in &cube {
            self.certificate[cell] = Some(id);
        }
        self.hypercubes.push(cube);
    }
}

/// Up to this many hypercubes through a cell, every one is tried; beyond, one dimension's
/// pattern is improved at a time.
const EXHAUSTIVE: usize = 4096;

/// One dimension's pattern: cell offsets (category × the dimension's stride) and their signs.
type Pattern = Vec<(usize, i8)>;

/// Every category's patterns, per dimension ([`patterns`]), computed once per cube.
struct Patterns(Vec<Vec<Vec<Pattern>>>);

impl Patterns {
    fn new(cube: &Cube) -> Self {
        let margins = marginals(cube);
        Self(
            (0..cube.dims().len())
                .map(|d| {
                    (0..cube.dims()[d].len())
                        .map(|n| {
                            patterns(cube, &margins, d, n)
                                .into_iter()
                                .map(|p| p.into_iter().map(|(c, s)| (c * cube.stride(d), s)).collect())
                                .collect()
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// Per dimension, the patterns through `cell`'s category.
    fn through(&self, cube: &Cube, cell: usize) -> Vec<&[Pattern]> {
        cube.coords(cell).iter().enumerate().map(|(d, &x)| self.0[d][x].as_slice()).collect()
    }
}

/// What a hypercube may use: the table, which cells are published, which may not be withheld,
/// and which are withheld already.
struct Ground<'a> {
    values: &'a [u64],
    published: &'a [bool],
    frozen: &'a [bool],
    withheld: &'a [bool],
    protection: u64,
}

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
    let withheld: Vec<bool> = primary.iter().zip(already).map(|(&p, &a)| p || a).collect();
    let mut protected = vec![false; values.len()];
    // The most aggregated cells first (HiTaS works from the top of the hierarchies down).
    let depth =
        |cell: usize| -> usize { cube.coords(cell).iter().zip(cube.dims()).map(|(&c, h)| h.ancestors(c).len()).sum() };
    // The cells withheld already are protected too: a margin withheld elsewhere to protect
    // another must not be recomputable here from its rows.
    let mut order: Vec<usize> = (0..values.len()).filter(|&c| withheld[c]).collect();
    order.sort_by_cached_key(|&c| (depth(c), c));
    let patterns = Patterns::new(cube);
    // A published cell that may not be withheld is frozen, unless the frequency rule withholds it.
    let frozen: Vec<bool> = (0..values.len()).map(|c| published[c] && !suppressible[c] && !withheld[c]).collect();
    let mut s = Suppression {
        withheld,
        primaries: primary.iter().filter(|&&p| p).count(),
        primary,
        secondaries: 0,
        forced: Vec::new(),
        pending: Vec::new(),
        hypercubes: Vec::new(),
        certificate: vec![None; values.len()],
    };
    for k in order {
        if protected[k] {
            continue;
        }
        let ground = Ground { values, published, frozen: &frozen, withheld: &s.withheld, protection };
        let (corners, fit) = best_hypercube(&ground, &patterns.through(cube, k));
        for &(cell, _) in &corners {
            if published[cell] && !s.withheld[cell] {
                s.withheld[cell] = true;
                if frozen[cell] {
                    s.forced.push(cell);
                }
            }
            protected[cell] |= fit != Fit::Narrow;
        }
        match fit {
            Fit::Narrow => s.pending.push(k),
            Fit::Wide | Fit::Up => s.certify(corners),
        }
    }
    s.secondaries = s.withheld.iter().filter(|&&w| w).count() - s.primaries;
    s
}

/// Settles the cells [`protect`] left [`Suppression::pending`]: with `prove`, the attacker's
/// programs say which withheld cells neither a certificate nor the narrow hypercubes protect, and
/// only those get the hypercube of the totals (withholding margins; listed in
/// [`Suppression::forced`]); without, every pending cell gets a certificate among the withheld
/// cells or else the hypercube of the totals, so that every withheld cell is certified.
pub fn settle(
    cube: &Cube,
    published: &[bool],
    s: &mut Suppression,
    protection: u64,
    prove: bool,
) -> Result<(), String> {
    let patterns = Patterns::new(cube);
    let force = |s: &mut Suppression, k: usize| {
        let options = patterns.through(cube, k);
        let corners = corners(&options, &up(&options));
        for &(cell, _) in &corners {
            if published[cell] && !s.withheld[cell] {
                s.withheld[cell] = true;
                s.secondaries += 1;
                s.forced.push(cell);
            }
        }
        s.certify(corners);
    };
    if !prove {
        // Each pending cell: a certificate among the withheld cells, else the totals'.
        let frozen = published.to_vec();
        for k in std::mem::take(&mut s.pending) {
            if s.certificate[k].is_some() {
                continue;
            }
            let ground =
                Ground { values: cube.values(), published, frozen: &frozen, withheld: &s.withheld, protection };
            match best_hypercube(&ground, &patterns.through(cube, k)) {
                (corners, Fit::Wide) => s.certify(corners),
                _ => force(s, k),
            }
        }
        // The other corners of the narrow hypercubes, unless a certificate holds them, are
        // published again: no certificate relies on them, and no primary cell is among them.
        for k in 0..cube.len() {
            if s.withheld[k] && s.certificate[k].is_none() && !s.primary[k] {
                s.withheld[k] = false;
                s.secondaries -= 1;
            }
        }
        s.forced.retain(|&c| s.withheld[c]);
        return Ok(());
    }
    for _ in 0..=cube.len() {
        let unknown: Vec<bool> = (0..cube.len()).map(|k| s.withheld[k] || !published[k]).collect();
        let mut targets = s.pending.clone();
        let pending: std::collections::HashSet<usize> = s.pending.iter().copied().collect();
        targets.extend(
            (0..cube.len())
                .filter(|&k| s.withheld[k] && !pending.contains(&k) && !certified(cube, s, &unknown, k, protection)),
        );
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

/// Whether cell `k`'s certificate still holds against what is `unknown`.
fn certified(cube: &Cube, s: &Suppression, unknown: &[bool], k: usize, protection: u64) -> bool {
    s.certificate[k].is_some_and(|h| holds(cube.values(), unknown, &s.hypercubes[h as usize], protection))
}

/// Whether a hypercube proves its corners protected: every corner `unknown` to the reader, and
/// the least count on a `+` corner plus the least on a `−` corner at least `protection`.
pub fn holds(values: &[u64], unknown: &[bool], corners: &[(usize, i8)], protection: u64) -> bool {
    let (mut up, mut down) = (u64::MAX, u64::MAX);
    for &(cell, sign) in corners {
        if !unknown[cell] {
            return false;
        }
        if sign > 0 {
            up = up.min(values[cell]);
        } else {
            down = down.min(values[cell]);
        }
    }
    up.saturating_add(down) >= protection
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

/// Publishes again every secondary cell that the others make redundant, the largest first
/// (hypercubes chosen one primary cell at a time overlap; together they protect more than each
/// alone). A cell goes back when every withheld cell it certified finds another certificate
/// among the withheld cells; failing that, on a table of at most `lp_cells` cells, when the
/// attacker's programs still narrow no withheld cell of its linked group below `protection`
/// persons. Only `releasable` cells are tried, the [`Suppression::forced`] ones first.
pub fn release_redundant(
    cube: &Cube,
    published: &[bool],
    releasable: &[bool],
    s: &mut Suppression,
    protection: u64,
    lp_cells: usize,
) -> Result<usize, String> {
    let values = cube.values();
    let patterns = Patterns::new(cube);
    let lp = cube.len() <= lp_cells;
    let is_forced: HashSet<usize> = s.forced.iter().copied().collect();
    let mut secondary: Vec<usize> =
        (0..cube.len()).filter(|&c| s.withheld[c] && !s.primary[c] && releasable[c]).collect();
    // Cells that were not to be withheld first, then the largest.
    secondary.sort_by_key(|&c| (!is_forced.contains(&c), std::cmp::Reverse(values[c]), c));
    // The hypercubes through each cell.
    let mut through: HashMap<usize, Vec<u32>> = HashMap::new();
    for (h, corners) in s.hypercubes.iter().enumerate() {
        for &(cell, _) in corners {
            through.entry(cell).or_default().push(h as u32);
        }
    }
    let mut unknown: Vec<bool> = (0..cube.len()).map(|k| s.withheld[k] || !published[k]).collect();
    // Withheld cells no certificate covers: the attacker's programs prove them.
    let mut bare: BTreeSet<usize> =
        (0..cube.len()).filter(|&k| s.withheld[k] && !certified(cube, s, &unknown, k, protection)).collect();
    let mut released = 0;
    // The forced cells together first: they may protect only one another.
    let forced: Vec<usize> = s.forced.iter().copied().filter(|&c| releasable[c] && s.withheld[c]).collect();
    if lp && forced.len() > 1 {
        let mut trial = unknown.clone();
        forced.iter().for_each(|&c| trial[c] = false);
        let targets: Vec<usize> = (0..cube.len())
            .filter(|&k| trial[k] && s.withheld[k] && !certified(cube, s, &trial, k, protection))
            .collect();
        if crate::attack::first_exposed(cube, &trial, &targets, protection as f64)?.is_none() {
            unknown = trial;
            for &c in &forced {
                s.withheld[c] = false;
                bare.remove(&c);
                bare.extend(drop_certificates(s, &mut through, c));
            }
            released += forced.len();
            secondary.retain(|c| !forced.contains(c));
        }
    }
    // Every published cell not withheld is frozen: a new certificate must cost nothing.
    let frozen = published.to_vec();
    for c in secondary {
        s.withheld[c] = false;
        unknown[c] = false;
        // The withheld cells `c` certified, and new certificates for them without it.
        let lost: Vec<usize> = through
            .get(&c)
            .into_iter()
            .flatten()
            .flat_map(|&h| s.hypercubes[h as usize].iter().map(move |&(x, _)| (x, h)))
            .filter(|&(x, h)| x != c && s.withheld[x] && s.certificate[x] == Some(h))
            .map(|(x, _)| x)
            .collect();
        let mut renewed: Vec<Hypercube> = Vec::new();
        let mut uncertified: Vec<usize> = Vec::new();
        for &x in &lost {
            if renewed.iter().any(|h| h.iter().any(|&(cell, _)| cell == x)) {
                continue;
            }
            let ground = Ground { values, published, frozen: &frozen, withheld: &s.withheld, protection };
            match best_hypercube(&ground, &patterns.through(cube, x)) {
                (corners, Fit::Wide) => renewed.push(corners),
                _ => uncertified.push(x),
            }
            if !lp && !uncertified.is_empty() {
                break;
            }
        }
        let was_bare = bare.remove(&c);
        let mut targets = uncertified.clone();
        targets.extend(bare.iter().copied());
        let keep = if targets.is_empty() {
            false
        } else if lp {
            crate::attack::first_exposed(cube, &unknown, &targets, protection as f64)?.is_some()
        } else {
            true
        };
        if keep {
            s.withheld[c] = true;
            unknown[c] = true;
            if was_bare {
                bare.insert(c);
            }
            continue;
        }
        released += 1;
        drop_certificates(s, &mut through, c);
        bare.extend(uncertified);
        for corners in renewed {
            let id = s.hypercubes.len() as u32;
            for &(cell, _) in &corners {
                through.entry(cell).or_default().push(id);
                bare.remove(&cell);
            }
            s.certify(corners);
        }
    }
    s.forced.retain(|&c| s.withheld[c]);
    s.secondaries -= released;
    Ok(released)
}

/// Forgets the hypercubes through cell `c` (published again): returns the withheld cells they
/// certified, now without a certificate.
fn drop_certificates(s: &mut Suppression, through: &mut HashMap<usize, Vec<u32>>, c: usize) -> Vec<usize> {
    let mut lost = Vec::new();
    for h in through.remove(&c).unwrap_or_default() {
        for &(cell, _) in &s.hypercubes[h as usize] {
            if s.certificate[cell] == Some(h) {
                s.certificate[cell] = None;
                if s.withheld[cell] {
                    lost.push(cell);
                }
            }
        }
    }
    lost
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
/// child at each level below). Categories, not yet cell offsets.
fn patterns(cube: &Cube, margins: &[Vec<u64>], d: usize, node: usize) -> Vec<Vec<(usize, i8)>> {
    let h = &cube.dims()[d];
    // Down to a leaf through the largest child at each level.
    let down = |from: usize, sign: i8| -> Vec<(usize, i8)> {
        let mut out = vec![(from, sign)];
        let mut at = from;
        while let Some(&c) = h.children(at).iter().max_by_key(|&&c| (margins[d][c], std::cmp::Reverse(c))) {
            out.push((c, sign));
            at = c;
        }
        out
    };
    let own: Vec<Vec<(usize, i8)>> = if h.children(node).is_empty() {
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

/// Visits the corners of the hypercube of one pattern per dimension (`options[d][choice[d]]`),
/// with their signs, while `visit` returns true; returns whether every corner was visited.
fn each_corner<F: FnMut(usize, i8) -> bool>(options: &[&[Pattern]], choice: &[usize], visit: &mut F) -> bool {
    fn go<F: FnMut(usize, i8) -> bool>(
        options: &[&[Pattern]],
        choice: &[usize],
        d: usize,
        at: usize,
        sign: i8,
        visit: &mut F,
    ) -> bool {
        if d == options.len() {
            return visit(at, sign);
        }
        options[d][choice[d]].iter().all(|&(offset, s)| go(options, choice, d + 1, at + offset, sign * s, visit))
    }
    go(options, choice, 0, 0, 1, visit)
}

/// The corners of the hypercube of one pattern per dimension, with their signs.
fn corners(options: &[&[Pattern]], choice: &[usize]) -> Hypercube {
    let mut out = Vec::new();
    each_corner(options, choice, &mut |cell, sign| {
        out.push((cell, sign));
        true
    });
    out
}

/// A hypercube's score, lower first: too narrow or not, persons newly withheld (when wide
/// enough), how much too narrow (when not).
type Score = (bool, u64, u64);

/// How a hypercube scores. `None` when it needs a frozen cell, or when it is wide enough but
/// costs `bound` or more (it cannot beat the best found).
fn score(g: &Ground, options: &[&[Pattern]], choice: &[usize], bound: u64) -> Option<Score> {
    let (mut least_up, mut least_down, mut cost) = (u64::MAX, u64::MAX, 0u64);
    let complete = each_corner(options, choice, &mut |cell, sign| {
        if g.withheld[cell] {
            // Withheld already: costs nothing.
        } else if g.frozen[cell] {
            return false;
        } else if g.published[cell] {
            cost += g.values[cell].max(1);
            if cost >= bound {
                return false;
            }
        }
        let v = g.values[cell];
        if sign > 0 {
            least_up = least_up.min(v);
        } else {
            least_down = least_down.min(v);
        }
        true
    });
    if !complete {
        return None;
    }
    let width = least_up.saturating_add(least_down);
    Some(if width >= g.protection { (false, cost, 0) } else { (true, u64::MAX, u64::MAX - width) })
}

/// The least costly hypercube through a cell wide enough to protect it, from the patterns
/// through it along each dimension (`options`): every combination when there are few, else
/// improving one dimension's pattern at a time from the largest siblings. The hypercube of the
/// totals (every pattern up) is always wide enough: it has no `−` corner.
fn best_hypercube(g: &Ground, options: &[&[Pattern]]) -> (Hypercube, Fit) {
    let dims = options.len();
    // The best so far: its score and choice. Only a wide hypercube that costs less beats a wide one.
    let mut best: Option<(Score, Vec<usize>)> = None;
    let offer = |trial: &[usize], best: &mut Option<(Score, Vec<usize>)>| -> bool {
        let bound = match best {
            Some(((false, c, _), _)) => *c,
            _ => u64::MAX,
        };
        match score(g, options, trial, bound) {
            Some(s) if best.as_ref().is_none_or(|(b, _)| s < *b) => {
                *best = Some((s, trial.to_vec()));
                true
            }
            _ => false,
        }
    };
    let free = |best: &Option<(Score, Vec<usize>)>| matches!(best, Some(((false, 0, _), _)));
    let mut trial = vec![0usize; dims];
    offer(&trial, &mut best);
    let combinations = options.iter().try_fold(1usize, |n, o| n.checked_mul(o.len()).filter(|&n| n <= EXHAUSTIVE));
    if combinations.is_some() {
        // Every combination, in odometer order, until one costs nothing.
        'all: loop {
            if free(&best) {
                break;
            }
            let mut d = dims;
            loop {
                if d == 0 {
                    break 'all;
                }
                d -= 1;
                trial[d] += 1;
                if trial[d] < options[d].len() {
                    break;
                }
                trial[d] = 0;
            }
            offer(&trial, &mut best);
        }
    } else {
        'passes: for _pass in 0..3 {
            let mut improved = false;
            for d in 0..dims {
                for i in 0..options[d].len() {
                    if free(&best) {
                        break 'passes;
                    }
                    match &best {
                        Some((_, c)) => trial.copy_from_slice(c),
                        None => trial.fill(0),
                    }
                    if i == trial[d] {
                        continue;
                    }
                    trial[d] = i;
                    improved |= offer(&trial, &mut best);
                }
            }
            if !improved {
                break;
            }
        }
    }
    match best {
        Some(((false, _, _), choice)) => (corners(options, &choice), Fit::Wide),
        Some(((true, _, w), choice)) if w < u64::MAX => (corners(options, &choice), Fit::Narrow),
        _ => {
            // Up to the totals: no `−` corner, always wide enough, whatever it withholds.
            (corners(options, &up(options)), Fit::Up)
        }
    }
}

/// The choice of the pattern up to the total along every dimension (the last of each).
fn up(options: &[&[Pattern]]) -> Vec<usize> {
    options.iter().map(|o| o.len() - 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::intervals;
    use crate::cube::Hierarchy;
    use crate::cube::cartesian;

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
            release_redundant(&t, &all, &all, &mut s, 11, usize::MAX).unwrap();
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
            release_redundant(&cube, &published, &published, &mut s, 11, usize::MAX).unwrap();
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

    /// Without the attacker's programs (a table too large for them), every withheld cell is
    /// certified by a hypercube of withheld cells, and the attacker's programs, run here, confirm
    /// each certificate: no withheld cell narrowed below the protection. Sparse tables, where one
    /// hypercube is rarely wide enough without the margins.
    #[test]
    fn certificates_hold_against_the_attacker() {
        let mut rng = Rng(0x0bad_5eed_1234_5678);
        for case in 0..20 {
            let mut geo = vec![("FR".to_string(), None)];
            for r in 0..3 {
                geo.push((format!("R{r}"), Some("FR".to_string())));
                for d in 0..3 {
                    geo.push((format!("D{r}{d}"), Some(format!("R{r}"))));
                }
            }
            let geo = Hierarchy::from_parents(&geo).unwrap();
            let sex = Hierarchy::flat("both", &["m", "f"]);
            let age = Hierarchy::flat("all", &["0-49", "50-69", "70+", "80+"]);
            let leaves: Vec<(Vec<usize>, u64)> = cartesian(&[
                (0..geo.len()).filter(|&n| geo.children(n).is_empty()).collect(),
                vec![1, 2],
                vec![1, 2, 3, 4],
            ])
            .into_iter()
            .map(|c| (c, rng.pick(&[0, 0, 1, 2, 3, 5, 8, 13, 30])))
            .collect();
            let cube = Cube::from_leaves(vec![geo, sex, age], leaves).unwrap();
            let all = vec![true; cube.len()];
            let mut s = protect(&cube, &all, &all, &none(&cube), 11, 11);
            settle(&cube, &all, &mut s, 11, false).unwrap();
            release_redundant(&cube, &all, &all, &mut s, 11, 0).unwrap();
            let unknown = s.withheld.clone();
            for k in (0..cube.len()).filter(|&k| s.withheld[k]) {
                assert!(certified(&cube, &s, &unknown, k, 11), "case {case}: {:?} has no certificate", cube.coords(k));
            }
            assert_protected(&cube, &all, &s, 11.0);
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
