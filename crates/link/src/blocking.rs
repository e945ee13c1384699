//! Blocking: which pairs of records are compared at all. A rule names fields whose values must
//! be equal (and present) on both sides; the candidate pairs are the union over the rules, each
//! pair produced once (by the first rule it satisfies). When no rules are given they are chosen
//! from the data: the least selective single fields and pairs of fields whose pairs fit in a
//! budget, on different fields, so that an error in one field still leaves the other rules to
//! find the pair (the reasoning of Splink's blocking guidance).

use std::collections::HashMap;

use crate::records::Records;

/// A blocking rule: the indices of the fields that must be equal.
pub type Rule = Vec<usize>;

/// The key of a record under a rule: its values joined, `None` when one is missing.
pub fn key(records: &Records, rule: &Rule, i: usize) -> Option<String> {
    let mut key = String::new();
    for (k, &f) in rule.iter().enumerate() {
        let v = records.value(f, i);
        if v.is_empty() {
            return None;
        }
        if k > 0 {
            key.push('\u{1f}');
        }
        key.push_str(v);
    }
    Some(key)
}

/// The blocking keys of both sides, as ids shared by both sides so that a pair's keys compare as
/// integers, and the right records of each key: what [`Keys::candidates_of`] walks.
#[derive(Debug)]
pub struct Keys {
    /// Per rule, each left record's key id ([`MISSING`] when a field is empty).
    left: Vec<Vec<u32>>,
    /// Per rule, each right record's key id.
    right: Vec<Vec<u32>>,
    /// Per rule, the right records of key `k`: `rights[start[k]..start[k + 1]]`.
    index: Vec<(Vec<u32>, Vec<u32>)>,
}

/// The key id of a record with a missing blocking field.
pub const MISSING: u32 = u32::MAX;

impl Keys {
    /// The keys of `left` and `right` under `rules`.
    pub fn new(left: &Records, right: &Records, rules: &[Rule]) -> Self {
        let (mut lk, mut rk, mut index) = (Vec::new(), Vec::new(), Vec::new());
        for rule in rules {
            let mut ids: HashMap<String, u32, foldhash::fast::RandomState> = HashMap::default();
            let mut of = |records: &Records| -> Vec<u32> {
                (0..records.len())
                    .map(|i| match key(records, rule, i) {
                        None => MISSING,
                        Some(k) => {
                            let next = ids.len() as u32;
                            *ids.entry(k).or_insert(next)
                        }
                    })
                    .collect()
            };
            let (l, r) = (of(left), of(right));
            // Counting sort of the right records by key.
            let mut start = vec![0u32; ids.len() + 1];
            for &k in r.iter().filter(|&&k| k != MISSING) {
                start[k as usize + 1] += 1;
            }
            for k in 1..start.len() {
                start[k] += start[k - 1];
            }
            let mut fill = start.clone();
            let mut rights = vec![0u32; start[ids.len()] as usize];
            for (j, &k) in r.iter().enumerate().filter(|(_, k)| **k != MISSING) {
                rights[fill[k as usize] as usize] = j as u32;
                fill[k as usize] += 1;
            }
            lk.push(l);
            rk.push(r);
            index.push((start, rights));
        }
        Self { left: lk, right: rk, index }
    }

    /// The left records in order of their key under the first rule (missing keys last): walked
    /// in this order, consecutive left records meet the same right records, which stay in the
    /// processor's cache — at a million records a side, twice as fast as file order.
    pub fn left_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.left.first().map_or(0, Vec::len) as u32).collect();
        if let Some(first) = self.left.first() {
            order.sort_by_key(|&l| first[l as usize]);
        }
        order
    }

    /// Calls `each(right, rules)` for every candidate right record of left record `l`, once per
    /// pair, with the bit mask of the rules the pair satisfies.
    pub fn candidates_of(&self, l: usize, mut each: impl FnMut(u32, u32)) {
        let same = |q: usize, j: u32| {
            let k = self.left[q][l];
            k != MISSING && k == self.right[q][j as usize]
        };
        for (r, (start, rights)) in self.index.iter().enumerate() {
            let k = self.left[r][l];
            if k == MISSING {
                continue;
            }
            for &j in &rights[start[k as usize] as usize..start[k as usize + 1] as usize] {
                // Produced by an earlier rule already.
                if (0..r).any(|q| same(q, j)) {
                    continue;
                }
                let mask = (r..self.index.len()).filter(|&q| same(q, j)).fold(0u32, |m, q| m | 1 << q);
                each(j, mask);
            }
        }
    }
}

/// The number of pairs a rule produces: Σ over keys of left count × right count.
pub fn pair_count(left: &Records, right: &Records, rule: &Rule) -> u64 {
    let mut counts: HashMap<String, (u64, u64), foldhash::fast::RandomState> = HashMap::default();
    for i in 0..left.len() {
        if let Some(k) = key(left, rule, i) {
            counts.entry(k).or_default().0 += 1;
        }
    }
    for i in 0..right.len() {
        if let Some(k) = key(right, rule, i) {
            counts.entry(k).or_default().1 += 1;
        }
    }
    counts.values().map(|(a, b)| a * b).sum()
}

/// Rules chosen from the data (module documentation): candidates are every field and every pair
/// of fields; those whose pairs fit in `budget` are taken least selective first, each on fields
/// no rule taken yet uses, while the total stays within `budget`.
pub fn choose_rules(left: &Records, right: &Records, fields: usize, budget: u64) -> Vec<(Rule, u64)> {
    let mut candidates: Vec<(Rule, u64)> = Vec::new();
    for a in 0..fields {
        candidates.push((vec![a], pair_count(left, right, &vec![a])));
        for b in a + 1..fields {
            candidates.push((vec![a, b], pair_count(left, right, &vec![a, b])));
        }
    }
    // Fewer fields first (an error in one field spoils fewer rules), then the least selective.
    candidates.retain(|(_, n)| *n > 0 && *n <= budget);
    candidates.sort_by(|(ra, na), (rb, nb)| ra.len().cmp(&rb.len()).then(nb.cmp(na)));
    let mut chosen: Vec<(Rule, u64)> = Vec::new();
    let mut used = vec![false; fields];
    let mut total = 0u64;
    for (rule, n) in candidates {
        if rule.iter().any(|&f| used[f]) || total + n > budget {
            continue;
        }
        for &f in &rule {
            used[f] = true;
        }
        total += n;
        chosen.push((rule, n));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(rows: &[[&str; 3]]) -> Records {
        Records::from_rows(
            vec!["a".into(), "b".into(), "c".into()],
            rows.iter().enumerate().map(|(i, r)| (i.to_string(), r.iter().map(|v| v.to_string()).collect())).collect(),
        )
    }

    #[test]
    fn candidates_are_the_union_of_the_rules_each_pair_once() {
        let left = records(&[["x", "1", "p"], ["y", "2", ""]]);
        let right = records(&[["x", "1", "q"], ["x", "3", "p"], ["z", "2", "p"]]);
        let rules = vec![vec![0], vec![1], vec![2]];
        let keys = Keys::new(&left, &right, &rules);
        let mut pairs = Vec::new();
        for l in 0..left.len() {
            keys.candidates_of(l, |j, mask| pairs.push((l, j, mask)));
        }
        // left 0 meets right 0 (rules 0 and 1) and right 1 (rules 0 and 2), then right 2 (rule 2);
        // left 1 meets right 2 by rule 1; its missing c blocks nothing.
        assert_eq!(pairs, vec![(0, 0, 0b011), (0, 1, 0b101), (0, 2, 0b100), (1, 2, 0b010)]);
        assert_eq!(pair_count(&left, &right, &vec![0]), 2);
        assert_eq!(pair_count(&left, &right, &vec![0, 1]), 1);
    }

    #[test]
    fn chosen_rules_fit_the_budget_on_distinct_fields() {
        let left = records(&[["x", "1", "p"], ["x", "2", "q"], ["y", "3", "r"]]);
        let right = records(&[["x", "1", "p"], ["x", "2", "q"], ["y", "3", "r"]]);
        // a: 2×2 + 1 = 5 pairs; b and c: 3 each.
        let rules = choose_rules(&left, &right, 3, 6);
        assert_eq!(rules, vec![(vec![0], 5)]);
        let rules = choose_rules(&left, &right, 3, 11);
        assert_eq!(rules, vec![(vec![0], 5), (vec![1], 3), (vec![2], 3)]);
    }
}
