//! The Merkle tree of Certificate Transparency (RFC 6962 §2.1, as RFC 9162 §2.1 restates it):
//! a leaf's hash is `SHA-256(0x00 ‖ data)`, an inner node's `SHA-256(0x01 ‖ left ‖ right)`, and a
//! tree of `n > 1` leaves splits at the largest power of two below `n`. The tree is built over
//! leaf hashes, not leaf data, so that an event's personal details can be erased while its hash
//! keeps its place in the tree.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The hash of a leaf holding `data` (RFC 6962 §2.1: `SHA-256(0x00 ‖ data)`).
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new().chain_update([0u8]).chain_update(data).finalize().into()
}

/// The hash of an inner node (`SHA-256(0x01 ‖ left ‖ right)`).
fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The largest power of two below `n` (`n ≥ 2`): where a tree of `n` leaves splits.
fn split(n: usize) -> usize {
    1 << (usize::BITS - (n - 1).leading_zeros() - 1)
}

/// The Merkle tree hash of these leaf hashes (`MTH`; of no leaf, the hash of the empty string).
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// A tree growing one leaf at a time, as the roots of its perfect subtrees (largest first): its
/// root at every size in one pass over the leaves, where [`root`] at each size would take time in
/// proportion to the size.
#[derive(Debug, Default, Clone)]
pub struct Frontier {
    /// (leaves, root) of each perfect subtree, largest first.
    subtrees: Vec<(u64, Hash)>,
}

impl Frontier {
    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(size, hash)) = self.subtrees.last() {
            if size != node.0 {
                break;
            }
            self.subtrees.pop();
            node = (size * 2, node_hash(&hash, &node.1));
        }
        self.subtrees.push(node);
    }

    /// The root of the tree so far (equal to [`root`] of its leaves): the subtrees folded from
    /// the right, as the tree splits at the largest power of two.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut acc)) = subtrees.next() else { return root(&[]) };
        for (_, hash) in subtrees {
            acc = node_hash(hash, &acc);
        }
        acc
    }
}

/// The inclusion proof of leaf `index` in the tree of `leaves` (`PATH(m, D[n])`, RFC 6962
/// §2.1.1): the hashes of the sibling subtrees from the leaf up to the root.
pub fn inclusion_path(leaves: &[Hash], index: usize) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    let (mut path, sibling) = if index < k {
        (inclusion_path(&leaves[..k], index), root(&leaves[k..]))
    } else {
        (inclusion_path(&leaves[k..], index - k), root(&leaves[..k]))
    };
    path.push(sibling);
    path
}

/// The root an inclusion proof leads to from leaf `index` of a tree of `size` leaves (RFC 9162
/// §2.1.3.2); `None` when the proof cannot belong to such a tree.
pub fn root_from_path(index: u64, size: u64, leaf: &Hash, path: &[Hash]) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("event {i}").as_bytes())).collect()
    }

    /// Roots and inclusion proofs equal those of an independent Python implementation of RFC
    /// 6962 (`reference/rfc6962.py`) for every tree of 1 to 13 leaves and every leaf.
    #[test]
    fn roots_and_proofs_match_the_python_reference() {
        let text = include_str!("../reference/rfc6962.json");
        let reference: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut checked = 0;
        for tree in reference["trees"].as_array().unwrap() {
            let n = tree["size"].as_u64().unwrap() as usize;
            let l = leaves(n);
            assert_eq!(hex::encode(root(&l)), tree["root"].as_str().unwrap(), "size {n}");
            for (i, path) in tree["paths"].as_array().unwrap().iter().enumerate() {
                let ours: Vec<String> = inclusion_path(&l, i).iter().map(hex::encode).collect();
                let theirs: Vec<String> =
                    path.as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()).collect();
                assert_eq!(ours, theirs, "size {n}, leaf {i}");
                assert_eq!(root_from_path(i as u64, n as u64, &l[i], &inclusion_path(&l, i)), Some(root(&l)));
                checked += 1;
            }
        }
        assert_eq!(checked, 91);
        assert_eq!(hex::encode(root(&[])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn a_growing_tree_has_the_root_of_its_leaves_at_every_size() {
        let l = leaves(70);
        let mut f = Frontier::default();
        assert_eq!(f.root(), root(&[]));
        for n in 1..=l.len() {
            f.push(l[n - 1]);
            assert_eq!(f.root(), root(&l[..n]), "size {n}");
        }
    }

    #[test]
    fn a_wrong_proof_leads_elsewhere() {
        let l = leaves(7);
        let path = inclusion_path(&l, 3);
        assert_ne!(root_from_path(3, 7, &l[2], &path), Some(root(&l)));
        assert_ne!(root_from_path(2, 7, &l[3], &path), Some(root(&l)));
        assert_eq!(root_from_path(7, 7, &l[3], &path), None);
        assert_eq!(root_from_path(3, 7, &l[3], &path[..path.len() - 1]), None);
    }
}
