//! Keyed pseudonyms for identities, so that the warehouse holds no direct identifier yet
//! records of one person can still be brought together.
//!
//! - **Exact pseudonyms** (national id, claims id): HMAC-SHA-256 (RFC 2104, FIPS 198-1) of the
//!   normalised value under the master key, with a domain label so that equal values of
//!   different kinds never collide. Rotation adds a key to the chain: a pseudonym is
//!   `HMAC(k_n, … HMAC(k_1, HMAC(k_0, domain ‖ value)))`, so a warehouse is re-keyed from its
//!   own pseudonyms, without the identities it never held.
//! - **Name encodings** for approximate comparison: a 1,024-bit Bloom filter of the name's
//!   padded bigrams, 15 positions per bigram by double hashing of a keyed HMAC (Schnell,
//!   Bachteler & Reiher 2009, *Privacy-preserving record linkage using Bloom filters*, BMC Med
//!   Inform Decis Mak 9:41). The Dice coefficient of two encodings approximates the bigram
//!   similarity of the names; rotation permutes the bit positions under the new key, which
//!   keeps Dice coefficients unchanged.
//! - **Project pseudonyms**: each approved project gets `HMAC(k_project, pseudonym)` with
//!   `k_project = HMAC(k_n, "project" ‖ id)`, so two projects cannot join their extracts.
//!
//! Keys live in a [`KeyFile`]; nothing in this crate formats one.

mod book;
mod keyfile;
mod normalise;

use hmac::{Hmac, Mac};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use sha2::Sha256;

pub use book::ProjectBook;
pub use keyfile::{KeyFile, Secret};
pub use normalise::{NirError, nir_birth_month, nir_control_key, normalise_name, normalise_nir};

/// The columns of a stored identity that [`Pseudonymiser::rekey_identity`] re-keys, in its
/// order: the keys' fingerprint, the two pseudonyms, the two name encodings.
pub const IDENTITY_COLUMNS: [&str; 5] = ["key_id", "nir", "claims_id", "surname", "first_name"];

/// Errors of key handling. None of them carries key material.
#[derive(Debug, thiserror::Error)]
pub enum PseudonymError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(std::path::PathBuf, std::io::Error),
    /// `keys init` on an existing file.
    #[error("{0}: a key file is already there (use `oncodata keys rotate` to add a key)")]
    Exists(std::path::PathBuf),
    /// The key file can be read by others.
    #[error("{0}: permissions {1:o} let others read the keys; run `chmod 600` on it")]
    Permissions(std::path::PathBuf, u32),
    /// The key file is malformed.
    #[error("{0}: {1}")]
    Invalid(std::path::PathBuf, String),
    /// The operating system gave no random bytes.
    #[error("no random source: {0}")]
    Random(String),
}

impl PseudonymError {
    fn io(path: &std::path::Path, e: std::io::Error) -> Self {
        Self::Io(path.to_path_buf(), e)
    }
}

/// Lower-case hexadecimal of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn mac(key: &Secret, parts: &[&[u8]]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// What kind of identifier a pseudonym stands for; part of the hashed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// The national id (NIR), normalised to 15 characters.
    Nir,
    /// The claims system's own pseudonym of a person.
    Claims,
}

impl Domain {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Nir => b"nir",
            Self::Claims => b"claims",
        }
    }
}

/// Bits of a name encoding.
pub const BLOOM_BITS: usize = 1024;
/// Positions set per bigram.
pub const BLOOM_HASHES: u64 = 15;

/// Computes pseudonyms and name encodings under a key file's keys.
#[derive(Debug, Clone)]
pub struct Pseudonymiser {
    keys: KeyFile,
    /// Bit permutations of the rotations (one per master key after the first).
    permutations: Vec<Vec<u16>>,
    /// The current chain's fingerprint, computed once (every identity row carries it).
    key_id: String,
}

impl Pseudonymiser {
    /// A pseudonymiser for the keys of `keys`.
    pub fn new(keys: KeyFile) -> Self {
        let permutations = keys.masters[1..].iter().map(permutation).collect();
        let mut p = Self { keys, permutations, key_id: String::new() };
        p.key_id = p.key_id_of(p.keys.masters.len());
        p
    }

    /// The key file in use.
    pub fn key_file(&self) -> &KeyFile {
        &self.keys
    }

    /// A public fingerprint of the current key chain (16 hex digits): stored beside the
    /// pseudonyms so that a warehouse and a key file that do not belong together are noticed.
    /// It is a MAC of a constant and tells nothing about the key.
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    /// The fingerprint of the chain's first `generations` keys (1 for the first key alone).
    pub fn key_id_of(&self, generations: usize) -> String {
        let last = &self.keys.masters[generations - 1];
        hex(&mac(last, &[b"oncodata key id", &(generations as u64).to_le_bytes()])[..8])
    }

    /// How many keys of the chain made pseudonyms with fingerprint `key_id`; `None` if this key
    /// file did not make them.
    pub fn generations_of(&self, key_id: &str) -> Option<usize> {
        (1..=self.keys.masters.len()).find(|&g| self.key_id_of(g) == key_id)
    }

    /// The pseudonym of a normalised identifier: 64 hex digits.
    pub fn pseudonym(&self, domain: Domain, value: &str) -> String {
        let mut h = hex(&mac(&self.keys.masters[0], &[domain.label(), b"\x1f", value.as_bytes()]));
        for k in &self.keys.masters[1..] {
            h = hex(&mac(k, &[h.as_bytes()]));
        }
        h
    }

    /// Re-keys a pseudonym made before rotation `generation` (1 for the first rotation) under
    /// that rotation's key.
    pub fn rekey(&self, generation: usize, pseudonym: &str) -> String {
        hex(&mac(&self.keys.masters[generation], &[pseudonym.as_bytes()]))
    }

    /// The Bloom-filter encoding of a normalised name: 256 hex digits.
    pub fn name_encoding(&self, name: &str) -> String {
        let mut bits = [0u64; BLOOM_BITS / 64];
        let chars: Vec<char> = std::iter::once('_').chain(name.chars()).chain(std::iter::once('_')).collect();
        let mut buf = [0u8; 8];
        for pair in chars.windows(2) {
            let mut n = pair[0].encode_utf8(&mut buf).len();
            n += pair[1].encode_utf8(&mut buf[n..]).len();
            let h = mac(&self.keys.masters[0], &[b"bloom\x1f", &buf[..n]]);
            let h1 = u64::from_le_bytes(h[..8].try_into().expect("8 bytes"));
            let h2 = u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")) | 1;
            for j in 0..BLOOM_HASHES {
                let pos = (h1.wrapping_add(j.wrapping_mul(h2)) % BLOOM_BITS as u64) as usize;
                bits[pos / 64] |= 1 << (pos % 64);
            }
        }
        for p in &self.permutations {
            bits = permute(&bits, p);
        }
        encoding_hex(&bits)
    }

    /// Re-keys a name encoding made before rotation `generation`: its bits permuted under that
    /// rotation's key. `None` if the text is not an encoding.
    pub fn rekey_encoding(&self, generation: usize, encoding: &str) -> Option<String> {
        let bits = parse_encoding(encoding)?;
        Some(encoding_hex(&permute(&bits, &self.permutations[generation - 1])))
    }

    /// Re-keys one stored identity, given as the `identities` table's [`IDENTITY_COLUMNS`]
    /// (key id, NIR and claims pseudonyms, surname and first-name encodings), to the current
    /// key chain, in place: each pseudonym through [`Pseudonymiser::rekey`], each encoding
    /// through [`Pseudonymiser::rekey_encoding`], for every rotation since the row's keys.
    /// Returns whether the row changed (`false`: already current); fails, naming the column,
    /// for keys that are not of this chain or a name that is not an encoding.
    pub fn rekey_identity(&self, row: &mut [Option<String>]) -> Result<bool, String> {
        let current = self.key_id();
        let id = row.first().cloned().flatten().unwrap_or_default();
        if id == current {
            return Ok(false);
        }
        let from = self
            .generations_of(&id)
            .ok_or_else(|| format!("pseudonymised with keys (id {id}) that are not in this key file's chain"))?;
        let to = self.keys.masters.len();
        for (c, value) in row.iter_mut().enumerate().skip(1) {
            let Some(mut v) = value.take() else { continue };
            for g in from..to {
                v = if c <= 2 {
                    self.rekey(g, &v)
                } else {
                    self.rekey_encoding(g, &v)
                        .ok_or_else(|| format!("its {} is not a name encoding", IDENTITY_COLUMNS[c]))?
                };
            }
            *value = Some(v);
        }
        row[0] = Some(current);
        Ok(true)
    }

    /// The claims system's pseudonym of a person, computed as the claims extract documents it
    /// (`HMAC-SHA-256(k_claims, NIR | birth date | sex)`, the key imported with `keys import
    /// --source claims`), so that identities can meet the claims; `None` without that key.
    pub fn claims_pseudonym(&self, nir: &str, birth_date: &str, sex: u8) -> Option<String> {
        let key = self.keys.sources.get("claims")?;
        Some(hex(&mac(key, &[format!("{nir}|{birth_date}|{sex}").as_bytes()])))
    }

    /// The key a project gets at its first extract: derived from the current master key
    /// (`HMAC-SHA-256(master, "project" 0x1F project)`). [`Pseudonymiser::project_key`] keeps it.
    pub fn project(&self, project: &str) -> ProjectKey {
        let last = self.keys.masters.last().expect("a key file has a master key");
        ProjectKey(Secret(mac(last, &[b"project\x1f", project.as_bytes()])))
    }

    /// The key of one project: the one kept in the key file since its first extract, or, for a
    /// new project, [`Pseudonymiser::project`]'s, kept from now on (the file is saved). So a
    /// project's pseudonyms stay the same across re-extracts and rotations of the master key.
    pub fn project_key(&mut self, project: &str) -> Result<ProjectKey, PseudonymError> {
        if let Some(key) = self.keys.projects.get(project) {
            return Ok(ProjectKey(key.clone()));
        }
        let key = self.project(project);
        self.keys.keep_project(project, key.0.clone())?;
        Ok(key)
    }
}

/// A project's key: it turns the warehouse's pseudonyms into the project's own.
#[derive(Debug, Clone)]
pub struct ProjectKey(Secret);

impl ProjectKey {
    /// The project's pseudonym of a warehouse pseudonym or id.
    pub fn pseudonym(&self, id: &str) -> String {
        hex(&mac(&self.0, &[id.as_bytes()]))
    }

    /// A keyed 64-bit hash of a warehouse pseudonym or id under the project's key
    /// ([`Secret::hash64`]): a record key for the cell-key method.
    pub fn hash64(&self, id: &str) -> u64 {
        self.0.hash64(id)
    }
}

/// The bit permutation of a rotation key (Fisher–Yates from a ChaCha stream seeded by the key).
fn permutation(key: &Secret) -> Vec<u16> {
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(mac(key, &[b"bloom permutation"]));
    let mut p: Vec<u16> = (0..BLOOM_BITS as u16).collect();
    p.shuffle(&mut rng);
    p
}

fn permute(bits: &[u64; BLOOM_BITS / 64], p: &[u16]) -> [u64; BLOOM_BITS / 64] {
    let mut out = [0u64; BLOOM_BITS / 64];
    for (from, &to) in p.iter().enumerate() {
        if bits[from / 64] >> (from % 64) & 1 == 1 {
            out[to as usize / 64] |= 1 << (to % 64);
        }
    }
    out
}

fn encoding_hex(bits: &[u64; BLOOM_BITS / 64]) -> String {
    let bytes: Vec<u8> = bits.iter().flat_map(|w| w.to_be_bytes()).collect();
    hex(&bytes)
}

/// Reads a name encoding (256 hex digits) back into its bits.
pub fn parse_encoding(text: &str) -> Option<[u64; BLOOM_BITS / 64]> {
    if text.len() != BLOOM_BITS / 4 || !text.is_ascii() {
        return None;
    }
    let mut bits = [0u64; BLOOM_BITS / 64];
    for (w, chunk) in bits.iter_mut().zip(text.as_bytes().chunks(16)) {
        *w = u64::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(bits)
}

/// The Dice coefficient `2|A ∩ B| / (|A| + |B|)` of two name encodings; `None` if either is
/// not an encoding or both are empty. Read digit by digit from the hex text, without decoding
/// it first: this runs once per name per candidate pair.
pub fn dice(a: &str, b: &str) -> Option<f64> {
    /// Bits set in a hex digit's value; 0xFF for a byte that is not a hex digit.
    const NIBBLE: [u8; 256] = {
        let mut t = [0xFFu8; 256];
        let mut i = 0;
        while i < 16 {
            let digit = if i < 10 { b'0' + i as u8 } else { b'a' + i as u8 - 10 };
            t[digit as usize] = i as u8;
            if i >= 10 {
                t[(digit - b'a' + b'A') as usize] = i as u8;
            }
            i += 1;
        }
        t
    };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != BLOOM_BITS / 4 || b.len() != BLOOM_BITS / 4 {
        return None;
    }
    let (mut both, mut total) = (0u32, 0u32);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (NIBBLE[x as usize], NIBBLE[y as usize]);
        if x == 0xFF || y == 0xFF {
            return None;
        }
        both += (x & y).count_ones();
        total += x.count_ones() + y.count_ones();
    }
    (total > 0).then(|| 2.0 * both as f64 / total as f64)
}

#[cfg(test)]
mod tests;
