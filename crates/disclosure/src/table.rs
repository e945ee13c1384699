//! Disclosure control of one table as a command prints it: rows of grouping columns and a count
//! of persons. The table is taken with all its margins — anyone of the same audience can ask for
//! them with fewer grouping columns — and with the hierarchies its columns carry (an `area` of
//! département codes rolls up to regions and France, `departements.csv`): the frequency rule
//! withholds its small cells, the hypercube method protects them, and every withheld cell is
//! proved protected — by the hypercube of withheld cells that certifies it, or else by the
//! attacker's linear programs (on the whole table up to the policy's `attack_max_cells`, on
//! sampled sub-tables beyond) — and every withheld row says which rule withheld it.

use std::collections::HashMap;

use crate::cube::{Cube, Hierarchy};
use crate::{DisclosureError, Rules, attack, frequency, hypercube};

/// The département → région table (INSEE COG 2026; Licence Ouverte, see `data/README.md`).
const DEPARTEMENTS: &str = include_str!("../data/departements.csv");

/// Why a row is withheld.
pub const FREQUENCY: &str = "frequency";
/// A row withheld so that a small one cannot be recomputed from the others and the margins.
pub const SECONDARY: &str = "secondary";

/// How a protected table was proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// Nothing withheld, or an unrestricted audience: nothing to prove.
    None,
    /// Every withheld cell of the whole table (`cells`, margins included) proved: `certified` of
    /// them by a hypercube of withheld cells wide enough (the tables it shifts agree with
    /// everything published, [`crate::hypercube`]), the others by the attacker's linear programs.
    Whole {
        /// Cells of the table with its margins.
        cells: usize,
        /// Withheld cells.
        withheld: usize,
        /// Of those, proved by a certificate.
        certified: usize,
    },
    /// On a table too large for the attacker's programs, where some withheld cells have no
    /// certificate: those on sampled sub-tables (a subtotal and its children along every
    /// dimension).
    Sampled {
        /// Cells of the table with its margins.
        cells: usize,
        /// Withheld cells.
        withheld: usize,
        /// Of those, proved by a certificate.
        certified: usize,
        /// Sub-tables checked.
        subtables: usize,
    },
}

impl Proof {
    /// The proof in a sentence, for the messages of the commands.
    pub fn describe(&self) -> String {
        let how = |withheld: usize, certified: usize| {
            if certified == withheld {
                format!("each of the {withheld} withheld cells by a hypercube of withheld cells wide enough")
            } else if certified == 0 {
                format!("the {withheld} withheld cells by the attacker's linear programs")
            } else {
                format!(
                    "{certified} of the {withheld} withheld cells by a hypercube of withheld cells wide enough, \
                     the others by the attacker's linear programs"
                )
            }
        };
        match *self {
            Proof::None => "nothing withheld".into(),
            Proof::Whole { cells, withheld, certified } => {
                format!(
                    "none recoverable on the {cells} cells of the table and its margins: {}",
                    how(withheld, certified)
                )
            }
            Proof::Sampled { cells, withheld, certified, subtables } => format!(
                "{certified} of the {withheld} withheld cells of the {cells} proved unrecoverable by a hypercube of \
                 withheld cells, the others checked by the attacker's linear programs on {subtables} sampled \
                 sub-tables"
            ),
        }
    }
}

/// What the rules make of a table's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// Per row, the rule that withholds it ([`FREQUENCY`] or [`SECONDARY`]), `None` if shown.
    pub rules: Vec<Option<&'static str>>,
    /// Withheld cells of the table with its margins, by the frequency rule.
    pub primaries: usize,
    /// Withheld cells added to protect them (rows and margins).
    pub secondaries: usize,
    /// How the protection was proved.
    pub proof: Proof,
    /// Margins (named by their groups, `all …` for a total) that had to be withheld for the
    /// protection: a table by fewer columns must not publish them.
    pub margins: Vec<String>,
}

impl Protected {
    /// Rows withheld by `rule`.
    pub fn rows(&self, rule: &str) -> usize {
        self.rules.iter().filter(|r| **r == Some(rule)).count()
    }
}

/// The hierarchy of a grouping column: départements under their regions under France for an
/// `area` column of département codes; otherwise a total over the values.
fn hierarchy(column: &str, values: &[&str]) -> Hierarchy {
    if column == "area" {
        let regions: HashMap<&str, &str> = DEPARTEMENTS
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let code = f.next()?;
                Some((code, f.nth(1)?))
            })
            .collect();
        if values.iter().all(|v| regions.contains_key(v)) {
            let mut nodes = vec![("France".to_string(), None)];
            for v in values {
                let region = format!("region {}", regions[v]);
                if !nodes.iter().any(|(l, _)| *l == region) {
                    nodes.push((region.clone(), Some("France".to_string())));
                }
                nodes.push((v.to_string(), Some(region)));
            }
            return Hierarchy::from_parents(&nodes).expect("département codes are distinct");
        }
    }
    Hierarchy::flat(&format!("all {column}"), values)
}

/// The hierarchy of each grouping column over its distinct values, sorted: the same table by
/// fewer columns has the same categories in the same order, and so makes the same choices.
fn dimensions(columns: &[String], keys: &[Vec<String>]) -> Result<Vec<Hierarchy>, DisclosureError> {
    let mut values: Vec<Vec<&str>> = vec![Vec::new(); columns.len()];
    for (r, key) in keys.iter().enumerate() {
        if key.len() != columns.len() {
            return Err(DisclosureError::Table {
                message: format!("row {}: {} grouping values for {} columns", r + 1, key.len(), columns.len()),
            });
        }
        for (d, v) in key.iter().enumerate() {
            values[d].push(v);
        }
    }
    for v in &mut values {
        v.sort_unstable();
        v.dedup();
    }
    Ok(columns.iter().zip(&values).map(|(c, v)| hierarchy(c, v)).collect())
}

/// Protects a table: `columns` names its grouping columns, `keys[r]` row `r`'s values of them,
/// `counts[r]` its count of persons (`None`: not a count, left as it is and unknown to a reader).
pub fn protect_rows(
    columns: &[String],
    keys: &[Vec<String>],
    counts: &[Option<u64>],
    rules: &Rules,
) -> Result<Protected, DisclosureError> {
    protect_rows_with(columns, keys, counts, &vec![None; keys.len()], rules)
}

/// [`protect_rows`], with rows another primary rule withholds whatever their count (`sensitive`:
/// per row, the rule — the dominance or p % rule on a sum): they are withheld under their rule
/// and protected as the frequency rule's are.
pub fn protect_rows_with(
    columns: &[String],
    keys: &[Vec<String>],
    counts: &[Option<u64>],
    sensitive: &[Option<&'static str>],
    rules: &Rules,
) -> Result<Protected, DisclosureError> {
    let none = || Protected {
        rules: vec![None; keys.len()],
        primaries: 0,
        secondaries: 0,
        proof: Proof::None,
        margins: Vec::new(),
    };
    if counts.len() != keys.len() || sensitive.len() != keys.len() {
        return Err(DisclosureError::Table {
            message: format!(
                "{} rows, {} counts and {} sensitivity flags: one of each per row",
                keys.len(),
                counts.len(),
                sensitive.len()
            ),
        });
    }
    if rules.unrestricted || keys.is_empty() {
        return Ok(none());
    }
    let table = |message: String| DisclosureError::Table { message };
    let dims: Vec<Hierarchy> =
        if columns.is_empty() { vec![Hierarchy::flat("total", &["all"])] } else { dimensions(columns, keys)? };
    let mut coords = Vec::with_capacity(keys.len());
    for key in keys {
        let c: Vec<usize> = if columns.is_empty() {
            vec![1]
        } else {
            key.iter().zip(&dims).map(|(v, h)| h.position(v).expect("a value of the column")).collect()
        };
        coords.push(c);
    }
    let cube =
        Cube::from_leaves(dims, coords.iter().cloned().zip(counts.iter().map(|c| c.unwrap_or(0)))).map_err(table)?;
    let mut row_of = HashMap::with_capacity(keys.len());
    for (r, c) in coords.iter().enumerate() {
        if row_of.insert(cube.cell(c), r).is_some() {
            return Err(table(format!("row {}: the same groups as an earlier row", r + 1)));
        }
    }
    // A row without a count is unknown to the reader, and so is every margin it enters.
    let mut published = vec![true; cube.len()];
    for (r, c) in coords.iter().enumerate() {
        if counts[r].is_none() {
            let chains: Vec<Vec<usize>> = c.iter().zip(cube.dims()).map(|(&x, h)| h.ancestors(x)).collect();
            for up in crate::cube::cartesian(&chains) {
                published[cube.cell(&up)] = false;
            }
        }
    }
    let full = (1u32 << cube.dims().len()) - 1;
    let mut extra = vec![false; cube.len()];
    for (r, c) in coords.iter().enumerate() {
        extra[cube.cell(c)] = sensitive[r].is_some();
    }
    let staged = protect_tables(&cube, &published, &[full], &extra, rules).map_err(table)?;
    let mut out = none();
    for (cell, &r) in &row_of {
        if staged.withheld[*cell] {
            out.rules[r] = Some(match sensitive[r] {
                Some(rule) => rule,
                None if staged.primary[*cell] => FREQUENCY,
                None => SECONDARY,
            });
        }
    }
    let rows = out.rules.iter().filter(|r| r.is_some()).count();
    out.primaries = staged.primary.iter().filter(|&&p| p).count();
    out.secondaries = staged.withheld.iter().filter(|&&w| w).count() - out.primaries;
    out.margins = staged.forced.iter().map(|&c| name_of(&cube, c)).collect();
    out.proof = if rows == 0 { Proof::None } else { prove(&cube, &staged, rules).map_err(table)? };
    Ok(out)
}

/// A cell named by its categories.
fn name_of(cube: &Cube, cell: usize) -> String {
    cube.coords(cell).iter().zip(cube.dims()).map(|(&x, h)| h.label(x).to_string()).collect::<Vec<_>>().join(", ")
}

/// Proves what `staged` withholds from the cells it publishes: every withheld cell whose
/// certificate holds is proved; the attacker's programs settle the others, on the whole cube up
/// to the policy's `attack_max_cells`, on sampled sub-tables beyond.
fn prove(cube: &Cube, staged: &Staged, rules: &Rules) -> Result<Proof, String> {
    let protection = rules.protection();
    let unknown: Vec<bool> = (0..cube.len()).map(|c| staged.withheld[c] || !staged.shown[c]).collect();
    let withheld: Vec<usize> = (0..cube.len()).filter(|&c| staged.withheld[c]).collect();
    let rest: Vec<usize> = withheld
        .iter()
        .copied()
        .filter(|&c| {
            !staged.certificate[c]
                .is_some_and(|h| hypercube::holds(cube.values(), &unknown, &staged.hypercubes[h as usize], protection))
        })
        .collect();
    let certified = withheld.len() - rest.len();
    if rest.is_empty() || cube.len() <= rules.attack_max_cells {
        if let Some(c) = attack::first_exposed(cube, &unknown, &rest, protection as f64)? {
            return Err(format!(
                "the protection failed: the attacker narrows cell ({}) below {protection} persons",
                name_of(cube, c)
            ));
        }
        Ok(Proof::Whole { cells: cube.len(), withheld: withheld.len(), certified })
    } else {
        let subtables =
            prove_sampled(cube, &staged.shown, &staged.withheld, &rest, protection, rules.attack_max_cells)?;
        Ok(Proof::Sampled { cells: cube.len(), withheld: withheld.len(), certified, subtables })
    }
}

/// What the tables published together withhold, as cells of their common cube.
struct Staged {
    /// Per cell, whether it is withheld.
    withheld: Vec<bool>,
    /// Per cell, whether the frequency rule withholds it.
    primary: Vec<bool>,
    /// Margins withheld although a table by fewer columns publishes them.
    forced: Vec<usize>,
    /// Per cell, whether one of the tables (or a margin of one) shows it.
    shown: Vec<bool>,
    /// The hypercubes that certify withheld cells ([`hypercube::Suppression::hypercubes`]).
    hypercubes: Vec<hypercube::Hypercube>,
    /// Per cell, its certificate.
    certificate: Vec<Option<u32>>,
}

/// Protects tables published together — each by a set of the cube's dimensions (`tables`, bit
/// masks), with its margins — the way each is protected when printed alone: the tables by every
/// subset of their columns, fewest columns first, each keeping what the smaller ones withheld and
/// leaving the rest of its margins published (never withheld to protect a row, unless no way
/// round them exists). So a table by fewer columns, printed on its own, withholds exactly the
/// margins the larger ones rely on, and two tables sharing margins agree on them.
fn protect_tables(
    cube: &Cube,
    published: &[bool],
    tables: &[u32],
    sensitive: &[bool],
    rules: &Rules,
) -> Result<Staged, String> {
    let dims = cube.dims().len();
    // Cells another primary rule withholds, protected as the frequency rule's.
    let mut withheld = sensitive.to_vec();
    let mut primary = sensitive.to_vec();
    let mut shown = vec![false; cube.len()];
    let mut forced = Vec::new();
    let mut hypercubes = Vec::new();
    let mut certificate = vec![None; cube.len()];
    // The grand total alone.
    let roots: Vec<usize> = cube.dims().iter().map(Hierarchy::root).collect();
    let top = cube.cell(&roots);
    let v = cube.values()[top];
    withheld[top] |= published[top] && v > 0 && v < rules.min_persons;
    primary[top] |= withheld[top];
    shown[top] = published[top];
    let mut stages: Vec<u32> = (1..(1u32 << dims)).filter(|m| tables.iter().any(|t| m & !t == 0)).collect();
    stages.sort_by_key(|m| (m.count_ones(), *m));
    // The tables by as many columns as each other are margins of none of the others: each is
    // protected knowing what the smaller ones withheld, side by side on the machine's cores.
    for columns in 1..=dims as u32 {
        let group: Vec<u32> = stages.iter().copied().filter(|m| m.count_ones() == columns).collect();
        for (mask, stage) in group.iter().zip(protect_stages(cube, published, &withheld, &group, rules)) {
            let (map, s) = stage?;
            for (k, &c) in map.iter().enumerate() {
                withheld[c] |= s.withheld[k];
                primary[c] |= s.primary[k];
                shown[c] = published[c];
            }
            forced.extend(s.forced.iter().filter(|&&k| s.withheld[k]).map(|&k| map[k]));
            // The certificates of the stage by every dimension, the only one whose hypercubes are
            // hypercubes of the whole cube (a margin table's keep every other dimension at its
            // total, whose equations they do not keep).
            if mask.count_ones() as usize == dims {
                let first = hypercubes.len() as u32;
                hypercubes
                    .extend(s.hypercubes.iter().map(|h| h.iter().map(|&(k, sign)| (map[k], sign)).collect::<Vec<_>>()));
                for (k, h) in s.certificate.iter().enumerate() {
                    if let Some(h) = h {
                        certificate[map[k]] = Some(first + h);
                    }
                }
            }
        }
    }
    forced.sort_unstable();
    forced.dedup();
    Ok(Staged { withheld, primary, forced, shown, hypercubes, certificate })
}

/// One margin table protected: its cells in the cube and what it withholds.
type Stage = Result<(Vec<usize>, hypercube::Suppression), String>;

/// Protects the margin tables by each of `masks` (bit masks of the cube's dimensions) given what
/// is `withheld` already, on as many threads as the machine has cores: per table, its cells in
/// the cube and what it withholds.
fn protect_stages(cube: &Cube, published: &[bool], withheld: &[bool], masks: &[u32], rules: &Rules) -> Vec<Stage> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(masks.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<Stage>> = vec![None; masks.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&mask) = masks.get(i) else { break };
                        done.push((i, protect_stage(cube, published, withheld, mask, rules)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            for (i, result) in worker.join().expect("a stage's thread does not panic") {
                out[i] = Some(result);
            }
        }
    });
    out.into_iter().map(|r| r.expect("every stage protected")).collect()
}

/// Protects the margin table by the dimensions of `mask`, given what is `withheld` already.
fn protect_stage(cube: &Cube, published: &[bool], withheld: &[bool], mask: u32, rules: &Rules) -> Stage {
    let protection = rules.protection();
    let keep: Vec<usize> = (0..cube.dims().len()).filter(|d| mask & (1 << d) != 0).collect();
    let (sub, map) = cube.project(&keep)?;
    let sub_published: Vec<bool> = map.iter().map(|&c| published[c]).collect();
    let already: Vec<bool> = map.iter().map(|&c| withheld[c]).collect();
    // The table's own rows: every coordinate a category without subdivisions.
    let printed: Vec<bool> =
        (0..sub.len()).map(|c| sub.coords(c).iter().zip(sub.dims()).all(|(&x, h)| h.children(x).is_empty())).collect();
    let mut s = hypercube::protect(&sub, &sub_published, &printed, &already, rules.min_persons, protection);
    let lp = rules.attack_max_cells;
    hypercube::settle(&sub, &sub_published, &mut s, protection, sub.len() <= lp)?;
    if s.secondaries > 0 {
        let forced: std::collections::HashSet<usize> = s.forced.iter().copied().collect();
        let releasable: Vec<bool> =
            (0..sub.len()).map(|c| (printed[c] || forced.contains(&c)) && !already[c]).collect();
        hypercube::release_redundant(&sub, &sub_published, &releasable, &mut s, protection, lp)?;
    }
    Ok((map, s))
}

/// Tables published together, protected as one: the cells each shows, what is withheld and why,
/// and how it was proved.
#[derive(Debug, Clone)]
pub struct Linked {
    cube: Cube,
    staged_withheld: Vec<bool>,
    staged_primary: Vec<bool>,
    /// How the protection of everything published was proved.
    pub proof: Proof,
    /// Withheld cells, over all the tables and their margins.
    pub withheld: usize,
    /// Of those, by the frequency rule.
    pub primaries: usize,
}

impl Linked {
    /// The rule that withholds the cell of these categories (`None` in a column: its total), or
    /// `None` when it is shown.
    pub fn rule(&self, key: &[Option<&str>]) -> Result<Option<&'static str>, DisclosureError> {
        let coords: Vec<usize> = key
            .iter()
            .zip(self.cube.dims())
            .map(|(k, h)| match k {
                None => Ok(h.root()),
                Some(v) => h
                    .position(v)
                    .ok_or_else(|| DisclosureError::Table { message: format!("no category {v} in the linked tables") }),
            })
            .collect::<Result<_, _>>()?;
        let c = self.cube.cell(&coords);
        Ok(self.staged_withheld[c].then(|| if self.staged_primary[c] { FREQUENCY } else { SECONDARY }))
    }
}

/// Protects several tables published together: `columns` are the columns of the most detailed
/// table they are all margins of, `keys` and `counts` its rows (persons), and each of `tables`
/// the columns one published table is by. Each table is protected as it would be printed alone
/// ([`protect_rows`] on it gives the same cells), and the attacker's programs then prove that
/// nothing withheld can be recomputed from everything published together.
pub fn protect_linked(
    columns: &[String],
    keys: &[Vec<String>],
    counts: &[u64],
    tables: &[Vec<String>],
    rules: &Rules,
) -> Result<Linked, DisclosureError> {
    let table = |message: String| DisclosureError::Table { message };
    let dims = dimensions(columns, keys)?;
    let leaves: Vec<(Vec<usize>, u64)> = keys
        .iter()
        .zip(counts)
        .map(|(k, &n)| (k.iter().zip(&dims).map(|(v, h)| h.position(v).expect("a category")).collect(), n))
        .collect();
    let cube = Cube::from_leaves(dims, leaves).map_err(table)?;
    let masks: Vec<u32> = tables
        .iter()
        .map(|t| {
            t.iter().try_fold(0u32, |m, c| match columns.iter().position(|x| x == c) {
                Some(d) => Ok(m | (1 << d)),
                None => Err(table(format!("table by {}: no column {c}", t.join(", ")))),
            })
        })
        .collect::<Result<_, _>>()?;
    let published = vec![true; cube.len()];
    let staged = if rules.unrestricted {
        Staged {
            withheld: vec![false; cube.len()],
            primary: vec![false; cube.len()],
            forced: Vec::new(),
            shown: published.clone(),
            hypercubes: Vec::new(),
            certificate: vec![None; cube.len()],
        }
    } else {
        protect_tables(&cube, &published, &masks, &vec![false; cube.len()], rules).map_err(table)?
    };
    let withheld = staged.withheld.iter().filter(|&&w| w).count();
    let proof = if withheld == 0 { Proof::None } else { prove(&cube, &staged, rules).map_err(table)? };
    Ok(Linked {
        primaries: staged.primary.iter().filter(|&&p| p).count(),
        withheld,
        proof,
        staged_withheld: staged.withheld,
        staged_primary: staged.primary,
        cube,
    })
}

/// A table rounded under control with all its margins ([`crate::rounding`]): every cell — each
/// row, and each margin named `all COLUMN` (or its région / France for départements) — with its
/// rounded count, rows first in their order, then the margins.
pub fn round_rows(
    columns: &[String],
    keys: &[Vec<String>],
    counts: &[u64],
    base: u64,
) -> Result<Vec<(Vec<String>, u64)>, DisclosureError> {
    let table = |message: String| DisclosureError::Table { message };
    let dims = dimensions(columns, keys)?;
    let coords: Vec<Vec<usize>> =
        keys.iter().map(|k| k.iter().zip(&dims).map(|(v, h)| h.position(v).expect("a category")).collect()).collect();
    let cube = Cube::from_leaves(dims, coords.iter().cloned().zip(counts.iter().copied())).map_err(table)?;
    let mut seen = std::collections::HashSet::new();
    for (r, c) in coords.iter().enumerate() {
        if !seen.insert(cube.cell(c)) {
            return Err(table(format!("row {}: the same groups as an earlier row", r + 1)));
        }
    }
    let rounded = crate::rounding::controlled_rounding(&cube, base).map_err(table)?;
    let label = |cell: usize| -> Vec<String> {
        cube.coords(cell).iter().zip(cube.dims()).map(|(&x, h)| h.label(x).to_string()).collect()
    };
    let mut out: Vec<(Vec<String>, u64)> =
        coords.iter().map(|c| (label(cube.cell(c)), rounded.values[cube.cell(c)])).collect();
    let rows: std::collections::HashSet<usize> = coords.iter().map(|c| cube.cell(c)).collect();
    out.extend((0..cube.len()).filter(|c| !rows.contains(c)).map(|c| (label(c), rounded.values[c])));
    Ok(out)
}

/// Sub-tables checked on a large table.
const SAMPLED_SUBTABLES: usize = 32;

/// The attacker on sub-tables of a large table: for `cells` (withheld, without a certificate)
/// spread over it, the sub-table of each dimension's block (the cell's parent and its children)
/// around the cell, where every one of `cells` is checked. Returns the number of sub-tables
/// checked.
fn prove_sampled(
    cube: &Cube,
    published: &[bool],
    withheld: &[bool],
    cells: &[usize],
    protection: u64,
    max_cells: usize,
) -> Result<usize, String> {
    let step = (cells.len() / SAMPLED_SUBTABLES).max(1);
    let checked_cells: std::collections::HashSet<usize> = cells.iter().copied().collect();
    let mut checked = 0;
    for &c in cells.iter().step_by(step).take(SAMPLED_SUBTABLES) {
        let coords = cube.coords(c);
        let mut blocks: Vec<Vec<usize>> = coords
            .iter()
            .zip(cube.dims())
            .map(|(&x, h)| match h.parent(x) {
                Some(p) => std::iter::once(p).chain(h.children(p).iter().copied()).collect(),
                None if !h.children(x).is_empty() => std::iter::once(x).chain(h.children(x).iter().copied()).collect(),
                None => vec![x],
            })
            .collect();
        // Small enough for the attacker's programs: the largest blocks shrink to the cell's own
        // category (the sub-table then drops that dimension's equations: a weaker attacker).
        while blocks.iter().map(Vec::len).product::<usize>() > max_cells {
            let d = (0..blocks.len()).max_by_key(|&d| blocks[d].len()).expect("a dimension");
            if blocks[d].len() == 1 {
                break;
            }
            blocks[d] = vec![coords[d]];
        }
        let (sub, map) = cube.sub(&blocks)?;
        let unknown: Vec<bool> = map.iter().map(|&g| withheld[g] || !published[g]).collect();
        let targets: Vec<usize> = (0..sub.len()).filter(|&k| checked_cells.contains(&map[k])).collect();
        if let Some(k) = attack::first_exposed(&sub, &unknown, &targets, protection as f64)? {
            return Err(format!(
                "the protection failed: in a sub-table, the attacker narrows cell {:?} below {protection} persons",
                cube.coords(map[k])
            ));
        }
        checked += 1;
    }
    Ok(checked)
}

/// Withholds, in a table of text records whose first `keys` columns group it, every row the
/// rules withhold: its count (column `count`) and every column after it — person-years, rates,
/// intervals, from which the count could be recomputed (count = rate × person-years) — are
/// emptied. `NA` and empty counts are left as they are. `sensitive` (empty, or one per row)
/// names rows another primary rule withholds ([`protect_rows_with`]). Returns what was withheld
/// and why.
pub fn withhold_rows(
    records: &mut [Vec<String>],
    columns: &[String],
    count: usize,
    sensitive: &[Option<&'static str>],
    rules: &Rules,
) -> Result<Protected, DisclosureError> {
    let texts: Vec<Option<&str>> =
        records.iter().map(|r| r.get(count).map(String::as_str).filter(|t| *t != "NA")).collect();
    let counts: Vec<Option<u64>> = frequency::check_counts(&texts, rules)?.cells.iter().map(|c| c.count).collect();
    let keys: Vec<Vec<String>> = records.iter().map(|r| r[..columns.len()].to_vec()).collect();
    let none = vec![None; records.len()];
    let sensitive = if sensitive.is_empty() { &none } else { sensitive };
    let protected = protect_rows_with(columns, &keys, &counts, sensitive, rules)?;
    for (record, rule) in records.iter_mut().zip(&protected.rules) {
        if rule.is_some() {
            record.iter_mut().skip(count).for_each(String::clear);
        }
    }
    Ok(protected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Audience, Policy};

    fn strings(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_withheld_row_loses_its_count_and_everything_computed_from_it() {
        let rules = Policy::default().audience.public;
        let mut records = vec![
            strings(&["lung", "3", "1200", "250.0"]),
            strings(&["breast", "40", "1300", "3076.9"]),
            strings(&["colon", "25", "1250", "2000.0"]),
            strings(&["skin", "0", "900", "0.0"]),
        ];
        let p = withhold_rows(&mut records, &strings(&["site"]), 1, &[], &rules).unwrap();
        // The total over sites is anyone's to ask for: lung alone would be the total minus the
        // rest, so the smallest other row goes with it.
        assert_eq!(p.rules, vec![Some(FREQUENCY), None, Some(SECONDARY), None]);
        assert_eq!(records[0], strings(&["lung", "", "", ""]));
        assert_eq!(records[2], strings(&["colon", "", "", ""]));
        assert_eq!(records[1][1], "40");
        assert_eq!(records[3][1], "0");
        assert!(matches!(p.proof, Proof::Whole { .. }));
        // A row whose count is not known (NA) leaves the total unknown: nothing recomputes lung.
        let mut records =
            vec![strings(&["lung", "3", "1200"]), strings(&["breast", "40", "1300"]), strings(&["skin", "NA", "0"])];
        let p = withhold_rows(&mut records, &strings(&["site"]), 1, &[], &rules).unwrap();
        assert_eq!(p.rules, vec![Some(FREQUENCY), None, None]);
        assert_eq!(records[2][1], "NA");
        let steward = Policy::default().audience.steward;
        let mut raw = vec![strings(&["lung", "3"])];
        assert_eq!(withhold_rows(&mut raw, &strings(&["site"]), 1, &[], &steward).unwrap().rules, vec![None]);
    }

    /// Départements roll up to their regions: a small département is protected inside its
    /// region, and the region inside France.
    #[test]
    fn departements_roll_up_to_their_regions() {
        let rules = Policy::default().rules(Audience::Public).clone();
        // 50 and 14 are in Normandie (28); 35 and 22 in Bretagne (53).
        let rows = [("50", 4), ("14", 30), ("61", 25), ("35", 40), ("22", 33)];
        let keys: Vec<Vec<String>> = rows.iter().map(|(a, _)| vec![a.to_string()]).collect();
        let counts: Vec<Option<u64>> = rows.iter().map(|(_, n)| Some(*n)).collect();
        let p = protect_rows(&strings(&["area"]), &keys, &counts, &rules).unwrap();
        assert_eq!(p.rules[0], Some(FREQUENCY));
        // The partner is in Normandie, so that the region's total does not give 50 away.
        let partners: Vec<usize> = (1..5).filter(|&r| p.rules[r] == Some(SECONDARY)).collect();
        assert!(partners.iter().any(|&r| r == 1 || r == 2), "{p:?}");
        assert!(matches!(p.proof, Proof::Whole { .. }));
    }

    /// Generated tables by two columns, printed as a command prints them: no count of 1-10,
    /// nothing the attacker recovers from the rows and every margin the tables by one column
    /// publish, and the margins those tables withhold are exactly what this one relies on.
    #[test]
    fn a_table_and_its_margin_tables_withhold_consistently() {
        let rules = Policy::default().rules(Audience::Public).clone();
        let mut rng = crate::testing::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next();
        let columns = strings(&["site", "sex"]);
        let (mut forced, mut withheld) = (0, 0);
        for case in 0..30 {
            let sites = 3 + (next() % 5) as usize;
            let mut keys = Vec::new();
            let mut counts = Vec::new();
            for i in 0..sites {
                for sex in ["female", "male"] {
                    keys.push(vec![format!("s{i}"), sex.to_string()]);
                    counts.push(Some([0, 1, 3, 5, 8, 12, 20, 45, 90][(next() % 9) as usize]));
                }
            }
            let p = protect_rows(&columns, &keys, &counts, &rules).unwrap();
            forced += p.margins.len();
            // The tables by one column, printed alone.
            let margin = |d: usize| -> HashMap<String, Option<&'static str>> {
                let mut sums: std::collections::BTreeMap<String, u64> = Default::default();
                for (k, c) in keys.iter().zip(&counts) {
                    *sums.entry(k[d].clone()).or_default() += c.unwrap();
                }
                let mkeys: Vec<Vec<String>> = sums.keys().map(|k| vec![k.clone()]).collect();
                let mcounts: Vec<Option<u64>> = sums.values().map(|&v| Some(v)).collect();
                let m = protect_rows(&columns[d..=d], &mkeys, &mcounts, &rules).unwrap();
                sums.keys().cloned().zip(m.rules).collect()
            };
            let (by_site, by_sex) = (margin(0), margin(1));
            // The attacker knows every shown row and every shown margin.
            let mut t: Vec<(Vec<String>, u64, bool)> = keys
                .iter()
                .zip(&counts)
                .zip(&p.rules)
                .map(|((k, c), r)| (k.clone(), c.unwrap(), r.is_some()))
                .collect();
            for (m, d) in [(&by_site, 0), (&by_sex, 1)] {
                for (value, rule) in m {
                    let total: u64 = t.iter().filter(|(k, _, _)| k.len() == 2 && k[d] == *value).map(|x| x.1).sum();
                    let mut key = vec![String::new(); 3];
                    key[d] = value.clone();
                    t.push((key, total, rule.is_some()));
                }
            }
            let grand: u64 = counts.iter().map(|c| c.unwrap()).sum();
            t.push((vec![String::new(); 4], grand, grand > 0 && grand < 11));
            for (k, v, w) in &t {
                assert!(*w || *v == 0 || *v >= 11, "case {case}: {k:?} = {v} shown");
            }
            withheld += t.iter().filter(|x| x.2).count();
            // Every line (a site's two sexes with its margin; a sex over the sites with its
            // margin) holds no withheld cell alone.
            for (d, m) in [(0usize, &by_site), (1, &by_sex)] {
                for value in m.keys() {
                    let line: Vec<bool> =
                        t.iter().filter(|(k, _, _)| k.len() == 2 && k[d] == *value).map(|x| x.2).collect();
                    let hidden = line.iter().filter(|&&w| w).count() + usize::from(m[value].is_some());
                    assert!(
                        hidden != 1,
                        "case {case}: the line of {value} gives its one withheld cell away: {:?} margin {:?}",
                        t.iter().filter(|(k, _, _)| k.len() == 2 && k[d] == *value).collect::<Vec<_>>(),
                        m[value]
                    );
                }
            }
        }
        assert!(withheld > 30, "{withheld}");
        assert!(forced <= 2, "{forced} margins forced");
    }

    /// Incidence by site and sex and by year and sex, published together from one table by
    /// site, sex and year: each withholds what it withholds printed alone, and the attacker
    /// recovers nothing from both.
    #[test]
    fn linked_tables_withhold_what_each_withholds_alone() {
        let rules = Policy::default().rules(Audience::Public).clone();
        let mut rng = crate::testing::Rng(0x51_7cc1_b727_220a);
        let mut next = move || rng.next();
        let columns = strings(&["site", "sex", "year"]);
        for _ in 0..8 {
            let (mut keys, mut counts) = (Vec::new(), Vec::new());
            for site in ["breast", "colon", "kaposi", "lung", "skin"] {
                for sex in ["female", "male"] {
                    for year in ["2021", "2022", "2023"] {
                        keys.push(strings(&[site, sex, year]));
                        counts.push([0, 1, 2, 4, 7, 15, 30, 60][(next() % 8) as usize]);
                    }
                }
            }
            let tables = vec![strings(&["site", "sex"]), strings(&["year", "sex"])];
            let linked = protect_linked(&columns, &keys, &counts, &tables, &rules).unwrap();
            assert!(linked.withheld == 0 || matches!(linked.proof, Proof::Whole { .. }));
            // The table by site and sex printed alone.
            let mut sums: std::collections::BTreeMap<Vec<String>, u64> = Default::default();
            for (k, c) in keys.iter().zip(&counts) {
                *sums.entry(vec![k[0].clone(), k[1].clone()]).or_default() += c;
            }
            let alone_keys: Vec<Vec<String>> = sums.keys().cloned().collect();
            let alone_counts: Vec<Option<u64>> = sums.values().map(|&v| Some(v)).collect();
            let alone = protect_rows(&columns[..2], &alone_keys, &alone_counts, &rules).unwrap();
            for (k, rule) in alone_keys.iter().zip(&alone.rules) {
                assert_eq!(linked.rule(&[Some(&k[0]), Some(&k[1]), None]).unwrap(), *rule, "{k:?}");
            }
        }
    }

    /// A table larger than the policy's `attack_max_cells` is proved without the attacker's
    /// programs — every withheld cell certified by a hypercube of withheld cells — and the
    /// attacker's programs on the whole table, run here, agree: no withheld cell is narrowed
    /// below the protection, no count of 1-10 is shown.
    #[test]
    fn a_large_table_is_proved_by_certificates_that_the_attacker_confirms() {
        let mut rules = Policy::default().rules(Audience::Public).clone();
        rules.attack_max_cells = 40;
        let columns = strings(&["site", "sex", "year"]);
        let mut rng = crate::testing::Rng(0x5bd1_e995_0000_0001);
        for case in 0..12 {
            let (mut keys, mut counts) = (Vec::new(), Vec::new());
            for site in ["a", "b", "c", "d", "e"] {
                for sex in ["f", "m"] {
                    for year in ["1", "2", "3", "4"] {
                        keys.push(strings(&[site, sex, year]));
                        counts.push(Some(rng.pick(&[0u64, 1, 3, 7, 12, 25, 40, 60])));
                    }
                }
            }
            let p = protect_rows(&columns, &keys, &counts, &rules).unwrap();
            assert!(
                matches!(p.proof, Proof::Whole { cells: 90, withheld, certified } if certified == withheld)
                    || p.proof == Proof::None,
                "case {case}: {:?}",
                p.proof
            );
            for (c, r) in counts.iter().zip(&p.rules) {
                assert!(r.is_some() || c.unwrap() == 0 || c.unwrap() >= 11);
            }
            // The attacker on the whole table, margins included.
            let dims = dimensions(&columns, &keys).unwrap();
            let coords: Vec<Vec<usize>> =
                keys.iter().map(|k| k.iter().zip(&dims).map(|(v, h)| h.position(v).unwrap()).collect()).collect();
            let cube = Cube::from_leaves(dims, coords.into_iter().zip(counts.iter().map(|c| c.unwrap()))).unwrap();
            let all = vec![true; cube.len()];
            let staged = protect_tables(&cube, &all, &[7], &vec![false; cube.len()], &rules).unwrap();
            let got = attack::intervals(&cube, &staged.withheld).unwrap();
            for c in (0..cube.len()).filter(|&c| staged.withheld[c]) {
                let (lo, hi) = got[c].unwrap();
                assert!(hi - lo >= 11.0 - 1e-6, "case {case}: cell {:?} narrowed to [{lo}, {hi}]", cube.coords(c));
            }
        }
    }

    #[test]
    fn rows_and_counts_of_different_lengths_are_an_error() {
        let rules = Policy::default().audience.public;
        let err = protect_rows(&strings(&["site"]), &[strings(&["lung"])], &[], &rules).unwrap_err().to_string();
        assert!(err.contains("1 rows, 0 counts"), "{err}");
    }

    #[test]
    fn a_table_with_a_row_twice_is_an_error() {
        let rules = Policy::default().audience.public;
        let keys = vec![strings(&["lung"]), strings(&["lung"])];
        let err = protect_rows(&strings(&["site"]), &keys, &[Some(3), Some(4)], &rules).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("same groups"), "{err}");
    }
}
