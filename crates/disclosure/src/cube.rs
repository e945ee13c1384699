//! A table of counts as a reader of it sees it: every dimension a hierarchy of categories whose
//! root is the dimension's total (France → regions → départements; all ages → 5-year groups;
//! both sexes → male, female), and every combination of categories a cell, margins and subtotals
//! included. The cells are tied by additivity: along any dimension, a category's cell is the sum
//! of its children's cells. Those equations are what an attacker solves for withheld cells.
//!
//! Several tables published together (linked tables: incidence by site and sex, and by year and
//! sex) are the cells of one cube that they publish; the others are unknown to the reader
//! (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2.3 "linked tables").

/// The categories of one dimension, as a tree whose root is the dimension's total.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    labels: Vec<String>,
    parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    /// Each label's category.
    index: std::collections::HashMap<String, usize>,
}

impl Hierarchy {
    /// A total (node 0, labelled `total`) over flat categories (nodes 1, 2, …).
    pub fn flat<S: AsRef<str>>(total: &str, categories: &[S]) -> Self {
        let mut nodes = vec![(total.to_string(), None)];
        nodes.extend(categories.iter().map(|c| (c.as_ref().to_string(), Some(total.to_string()))));
        Self::from_parents(&nodes).expect("a flat hierarchy of distinct labels")
    }

    /// A hierarchy from `(label, parent label)` pairs, one of them the root (no parent). Labels
    /// are distinct; every parent is one of the labels; the tree has no cycle.
    pub fn from_parents(nodes: &[(String, Option<String>)]) -> Result<Self, String> {
        let labels: Vec<String> = nodes.iter().map(|(l, _)| l.clone()).collect();
        let mut index = std::collections::HashMap::with_capacity(labels.len());
        for (i, l) in labels.iter().enumerate() {
            if index.insert(l.clone(), i).is_some() {
                return Err(format!("category {l} appears twice"));
            }
        }
        let position = |l: &str| index.get(l).copied();
        let mut parent = Vec::with_capacity(nodes.len());
        for (l, p) in nodes {
            parent.push(match p {
                None => None,
                Some(p) => Some(position(p).ok_or_else(|| format!("category {l}: no category {p}, its parent"))?),
            });
        }
        if parent.iter().filter(|p| p.is_none()).count() != 1 {
            return Err("a hierarchy has exactly one total (a category without parent)".into());
        }
        for (start, label) in labels.iter().enumerate() {
            let (mut at, mut steps) = (start, 0);
            while let Some(p) = parent[at] {
                at = p;
                steps += 1;
                if steps > parent.len() {
                    return Err(format!("category {label}: its parents form a cycle"));
                }
            }
        }
        let mut children = vec![Vec::new(); parent.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        Ok(Self { labels, parent, children, index })
    }

    /// The number of categories, the total included.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no category (never: there is always a total).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// A category's label.
    pub fn label(&self, node: usize) -> &str {
        &self.labels[node]
    }

    /// The category of this label.
    pub fn position(&self, label: &str) -> Option<usize> {
        self.index.get(label).copied()
    }

    /// A category's parent (`None` for the total).
    pub fn parent(&self, node: usize) -> Option<usize> {
        self.parent[node]
    }

    /// A category's children (none for a leaf).
    pub fn children(&self, node: usize) -> &[usize] {
        &self.children[node]
    }

    /// The total.
    pub fn root(&self) -> usize {
        self.parent.iter().position(Option::is_none).expect("a root")
    }

    /// The category and its ancestors up to the total.
    pub fn ancestors(&self, node: usize) -> Vec<usize> {
        let mut out = vec![node];
        while let Some(p) = self.parent[*out.last().expect("non-empty")] {
            out.push(p);
        }
        out
    }

    /// The categories that are a subtotal of others (their cell is the sum of their children's).
    pub fn subtotals(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(|&n| !self.children[n].is_empty())
    }
}

/// Every cell of a table with hierarchies, margins and subtotals included.
#[derive(Debug, Clone, PartialEq)]
pub struct Cube {
    dims: Vec<Hierarchy>,
    strides: Vec<usize>,
    values: Vec<u64>,
}

impl Cube {
    /// The cube over `dims` whose leaf cells (every coordinate a leaf category) count `leaves`
    /// (coordinates, count; a leaf given twice is added); every other cell is the sum of the
    /// leaves below it.
    pub fn from_leaves(
        dims: Vec<Hierarchy>,
        leaves: impl IntoIterator<Item = (Vec<usize>, u64)>,
    ) -> Result<Self, String> {
        if dims.is_empty() {
            return Err("a table has at least one dimension".into());
        }
        let mut strides = vec![1usize; dims.len()];
        for d in (0..dims.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * dims[d + 1].len();
        }
        let cells = strides[0] * dims[0].len();
        let mut values = vec![0u64; cells];
        let chains: Vec<Vec<Vec<usize>>> =
            dims.iter().map(|h| (0..h.len()).map(|n| h.ancestors(n)).collect()).collect();
        for (coords, count) in leaves {
            if coords.len() != dims.len() {
                return Err(format!("a cell of {} coordinates in a table of {} dimensions", coords.len(), dims.len()));
            }
            for (d, &c) in coords.iter().enumerate() {
                if c >= dims[d].len() || !dims[d].children(c).is_empty() {
                    return Err(format!("coordinate {c} of dimension {d} is not a category without subdivisions"));
                }
            }
            // Add the count to every combination of the coordinates' ancestors.
            let mut at = vec![0usize; dims.len()];
            loop {
                let cell: usize = (0..dims.len()).map(|d| chains[d][coords[d]][at[d]] * strides[d]).sum();
                values[cell] =
                    values[cell].checked_add(count).ok_or_else(|| "the table's counts overflow 64 bits".to_string())?;
                let mut d = dims.len();
                loop {
                    if d == 0 {
                        break;
                    }
                    d -= 1;
                    at[d] += 1;
                    if at[d] < chains[d][coords[d]].len() {
                        break;
                    }
                    at[d] = 0;
                }
                if at.iter().all(|&a| a == 0) {
                    break;
                }
            }
        }
        Ok(Self { dims, strides, values })
    }

    /// The dimensions.
    pub fn dims(&self) -> &[Hierarchy] {
        &self.dims
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the cube has no cell (never).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every cell's count, in cell order (the last dimension varying fastest).
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The cell at these coordinates (one category per dimension).
    pub fn cell(&self, coords: &[usize]) -> usize {
        coords.iter().zip(&self.strides).map(|(c, s)| c * s).sum()
    }

    /// How far apart two cells one category apart along dimension `d` are (a cell is the sum of
    /// its coordinates times their strides).
    pub fn stride(&self, d: usize) -> usize {
        self.strides[d]
    }

    /// A cell's coordinates.
    pub fn coords(&self, cell: usize) -> Vec<usize> {
        self.strides.iter().zip(&self.dims).map(|(s, h)| (cell / s) % h.len()).collect()
    }

    /// The cell one step along dimension `d`: `cell` with its coordinate `d` set to `node`.
    pub fn with(&self, cell: usize, d: usize, node: usize) -> usize {
        let current = (cell / self.strides[d]) % self.dims[d].len();
        cell - current * self.strides[d] + node * self.strides[d]
    }

    /// The equations a reader knows, as (subtotal cell, its parts): along every dimension, for
    /// every subtotal category and every combination of the other coordinates.
    pub fn equations(&self) -> Vec<(usize, Vec<usize>)> {
        let mut out = Vec::new();
        for (d, h) in self.dims.iter().enumerate() {
            for cell in 0..self.len() {
                let node = (cell / self.strides[d]) % h.len();
                if !h.children(node).is_empty() {
                    out.push((cell, h.children(node).iter().map(|&c| self.with(cell, d, c)).collect()));
                }
            }
        }
        out
    }

    /// The sub-table of one subtotal per dimension and its children (`nodes[d]`: the subtotal
    /// first, then its children; or a single category), each dimension flat; with the cells of
    /// this cube it holds, in the sub-table's cell order.
    pub fn sub(&self, nodes: &[Vec<usize>]) -> Result<(Cube, Vec<usize>), String> {
        let dims: Vec<Hierarchy> = nodes
            .iter()
            .zip(&self.dims)
            .map(|(n, h)| {
                let labels: Vec<&str> = n[1..].iter().map(|&c| h.label(c)).collect();
                Hierarchy::flat(h.label(n[0]), &labels)
            })
            .collect();
        let leaves = cartesian(
            &nodes.iter().map(|n| if n.len() == 1 { n.clone() } else { n[1..].to_vec() }).collect::<Vec<_>>(),
        );
        let local = |coords: &[usize]| -> Vec<usize> {
            coords
                .iter()
                .zip(nodes)
                .map(|(c, n)| if n.len() == 1 { 0 } else { n.iter().position(|x| x == c).expect("in") })
                .collect()
        };
        let sub = Cube::from_leaves(dims, leaves.iter().map(|c| (local(c), self.values[self.cell(c)])))?;
        let cells: Vec<usize> = (0..sub.len())
            .map(|s| {
                let coords: Vec<usize> = sub.coords(s).iter().zip(nodes).map(|(&k, n)| n[k]).collect();
                self.cell(&coords)
            })
            .collect();
        if cells.iter().zip(sub.values()).any(|(&c, &v)| self.values[c] != v) {
            return Err("the sub-table's categories are not a subtotal and all its children".into());
        }
        Ok((sub, cells))
    }
}

impl Cube {
    /// The margin of the cube over some of its dimensions (`keep`, in order; at least one): the
    /// table by fewer columns, every other dimension at its total; with the cell of this cube
    /// each of its cells is.
    pub fn project(&self, keep: &[usize]) -> Result<(Cube, Vec<usize>), String> {
        let roots: Vec<usize> = self.dims.iter().map(Hierarchy::root).collect();
        let full = |sub: &[usize]| -> usize {
            let mut coords = roots.clone();
            for (&d, &c) in keep.iter().zip(sub) {
                coords[d] = c;
            }
            self.cell(&coords)
        };
        let dims: Vec<Hierarchy> = keep.iter().map(|&d| self.dims[d].clone()).collect();
        let leaves: Vec<Vec<usize>> =
            dims.iter().map(|h| (0..h.len()).filter(|&n| h.children(n).is_empty()).collect()).collect();
        let cells = cartesian(&leaves).into_iter().map(|c| {
            let v = self.values[full(&c)];
            (c, v)
        });
        let sub = Cube::from_leaves(dims, cells)?;
        let map = (0..sub.len()).map(|c| full(&sub.coords(c))).collect();
        Ok((sub, map))
    }
}

/// Every combination of one element of each list.
pub(crate) fn cartesian(lists: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for list in lists {
        out = out
            .into_iter()
            .flat_map(|prefix: Vec<usize>| {
                list.iter().map(move |&x| {
                    let mut p = prefix.clone();
                    p.push(x);
                    p
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Hierarchy {
        let pairs = [
            ("FR", None),
            ("R1", Some("FR")),
            ("R2", Some("FR")),
            ("D1", Some("R1")),
            ("D2", Some("R1")),
            ("D3", Some("R2")),
        ];
        Hierarchy::from_parents(&pairs.map(|(l, p)| (l.to_string(), p.map(String::from)))).unwrap()
    }

    #[test]
    fn margins_and_subtotals_are_the_sums_of_their_leaves() {
        let geo = regions();
        let sex = Hierarchy::flat("both", &["m", "f"]);
        let at = |g: &str, s: &str| vec![geo.position(g).unwrap(), sex.position(s).unwrap()];
        let leaves = vec![(at("D1", "m"), 3), (at("D1", "f"), 4), (at("D2", "m"), 10), (at("D3", "f"), 7)];
        let cube = Cube::from_leaves(vec![geo.clone(), sex.clone()], leaves).unwrap();
        assert_eq!(cube.len(), 18);
        let v = |g: &str, s: &str| cube.values()[cube.cell(&at(g, s))];
        assert_eq!(
            (v("R1", "m"), v("R1", "both"), v("R2", "both"), v("FR", "both"), v("FR", "f")),
            (13, 17, 7, 24, 11)
        );
        for (total, parts) in cube.equations() {
            let sum: u64 = parts.iter().map(|&p| cube.values()[p]).sum();
            assert_eq!(sum, cube.values()[total]);
        }
        // 3 subtotals of geography × 3 sexes, and 6 categories × 1 subtotal of sex.
        assert_eq!(cube.equations().len(), 9 + 6);
        let (sub, cells) = cube.sub(&[vec![1, 3, 4], vec![0, 1, 2]]).unwrap();
        assert_eq!(sub.values(), &[17, 13, 4, 7, 3, 4, 10, 10, 0]);
        assert_eq!(cube.coords(cells[0]), vec![1, 0]);
    }

    #[test]
    fn a_bad_hierarchy_says_what_is_wrong() {
        let pair = |l: &str, p: Option<&str>| (l.to_string(), p.map(String::from));
        for (nodes, says) in [
            (vec![pair("a", None), pair("a", Some("a"))], "appears twice"),
            (vec![pair("a", None), pair("b", Some("c"))], "no category c"),
            (vec![pair("a", None), pair("b", None)], "exactly one total"),
            (vec![pair("r", None), pair("a", Some("b")), pair("b", Some("a"))], "cycle"),
        ] {
            let err = Hierarchy::from_parents(&nodes).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        let h = Hierarchy::flat("all", &["x"]);
        assert!(Cube::from_leaves(vec![h.clone()], vec![(vec![0], 1)]).unwrap_err().contains("not a category"));
    }
}
