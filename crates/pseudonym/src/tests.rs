//! Pseudonyms against values computed by Python's `hmac` module (independent of this code),
//! rotation, encodings and the key file's guard rails.

use std::collections::BTreeMap;

use super::*;

const K0: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const K1: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";

fn keys(masters: &[&str], claims: Option<&str>) -> Pseudonymiser {
    let mut sources = BTreeMap::new();
    if let Some(c) = claims {
        sources.insert("claims".to_string(), Secret::from_hex(c).unwrap());
    }
    Pseudonymiser::new(KeyFile {
        path: "keys.toml".into(),
        masters: masters.iter().map(|h| Secret::from_hex(h).unwrap()).collect(),
        sources,
        projects: BTreeMap::new(),
    })
}

#[test]
fn hmac_matches_rfc_4231() {
    // RFC 4231, test case 2.
    let key = Secret({
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(b"Jefe");
        k
    });
    // HMAC pads short keys with zeros, so "Jefe" and "Jefe" + 28 zero bytes are the same key.
    assert_eq!(
        hex(&mac(&key, &[b"what do ya want for nothing?"])),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn pseudonyms_match_an_independent_computation() {
    // python3: hmac.new(bytes(range(32)), b"nir\x1f155087800608457", sha256).hexdigest()
    let p = keys(&[K0], None);
    let first = "3d6f57ea4e871fc9e00ef3494c387b5c61c2696fc7c2d0e9398585e03536d064";
    assert_eq!(p.pseudonym(Domain::Nir, "155087800608457"), first);
    assert_ne!(p.pseudonym(Domain::Claims, "155087800608457"), first, "domains are separated");
    // After one rotation: hmac.new(bytes(range(32, 64)), first.encode(), sha256).
    let rotated = keys(&[K0, K1], None);
    let second = "597a646b833e9534c683637e3918da5415718623487409fa60cd8a7be4786725";
    assert_eq!(rotated.pseudonym(Domain::Nir, "155087800608457"), second);
    assert_eq!(rotated.rekey(1, first), second, "re-keying an old pseudonym gives the new one");
    assert_ne!(p.key_id(), rotated.key_id());
    assert_eq!(rotated.generations_of(&p.key_id()), Some(1));
    assert_eq!(rotated.generations_of(&rotated.key_id()), Some(2));
    assert_eq!(p.generations_of(&rotated.key_id()), None);
    assert_eq!(p.key_id().len(), 16);
}

#[test]
fn claims_pseudonym_follows_the_claims_procedure() {
    // python3: hmac.new(bytes(range(32)), b"155087800608457|1955-08-01|1", sha256).hexdigest()
    let p = keys(&[K1], Some(K0));
    assert_eq!(
        p.claims_pseudonym("155087800608457", "1955-08-01", 1).as_deref(),
        Some("8c8afcb0fc8a57f004d403421e78bbc65048d1b74534c1da6814164be443fd80")
    );
    assert_eq!(keys(&[K1], None).claims_pseudonym("155087800608457", "1955-08-01", 1), None);
}

#[test]
fn name_encodings_approximate_bigram_similarity_and_survive_rotation() {
    let p = keys(&[K0], None);
    let martin = p.name_encoding("MARTIN");
    assert_eq!(martin.len(), 256);
    assert_eq!(dice(&martin, &martin), Some(1.0));
    // Bigrams of _MARTIN_ and _MARTINE_: 7 and 8, 6 shared, Dice 12/15 = 0.8; the filter's
    // collisions can only add shared bits.
    let d = dice(&martin, &p.name_encoding("MARTINE")).unwrap();
    assert!((0.8..0.86).contains(&d), "{d}");
    let far = dice(&martin, &p.name_encoding("DUBOIS")).unwrap();
    assert!(far < 0.3, "{far}");
    // Another key gives unrelated encodings.
    let other = keys(&[K1], None);
    assert!(dice(&martin, &other.name_encoding("MARTIN")).unwrap() < 0.35);
    // Rotation permutes bits: re-keyed old encodings equal new ones, similarities unchanged.
    let rotated = keys(&[K0, K1], None);
    let new = rotated.name_encoding("MARTIN");
    assert_ne!(new, martin);
    assert_eq!(rotated.rekey_encoding(1, &martin).as_deref(), Some(new.as_str()));
    assert_eq!(dice(&new, &rotated.name_encoding("MARTINE")), Some(d));
    assert_eq!(dice("zz", &martin), None);
    assert_eq!(dice(&martin.replacen('0', "g", 1), &martin), None, "not hex");
    assert_eq!(dice(&martin.to_uppercase(), &martin), Some(1.0), "upper-case hex reads the same");
}

#[test]
fn projects_get_unlinkable_pseudonyms() {
    let p = keys(&[K0], None);
    let (a, b) = (p.project("P-2026-001"), p.project("P-2026-002"));
    // python3: k = hmac.new(bytes(range(32)), b"project\x1fP-2026-001", sha256).digest();
    //          hmac.new(k, b"person-1", sha256).hexdigest()
    assert_eq!(a.pseudonym("person-1"), "7d745aaf19d39775f943929f9eab700e8e66d458c57d158b1aecbc78edde4722");
    assert_eq!(a.pseudonym("person-1"), p.project("P-2026-001").pseudonym("person-1"));
    assert_ne!(a.pseudonym("person-1"), b.pseudonym("person-1"));
    assert_ne!(a.pseudonym("person-1"), a.pseudonym("person-2"));
}

#[cfg(unix)]
#[test]
fn key_file_is_private_and_never_quoted() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conf").join("keys.toml");
    let mut keys = KeyFile::init(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(matches!(KeyFile::init(&path), Err(PseudonymError::Exists(_))));
    let first = Pseudonymiser::new(KeyFile::load(&path).unwrap()).pseudonym(Domain::Nir, "x");
    keys.rotate().unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let loaded = KeyFile::load(&path).unwrap();
    assert_eq!(loaded.generations(), 2);
    assert_eq!(
        Pseudonymiser::new(loaded.clone()).rekey(1, &first),
        Pseudonymiser::new(loaded).pseudonym(Domain::Nir, "x")
    );
    assert_eq!(format!("{:?}", Secret::from_hex(K0).unwrap()), "Secret(redacted)");

    let claims = dir.path().join("claims.key");
    std::fs::write(&claims, K1).unwrap();
    keys.import_source("claims", &claims).unwrap();
    assert_eq!(KeyFile::load(&path).unwrap().source_names(), ["claims"]);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = KeyFile::load(&path).unwrap_err().to_string();
    assert!(err.contains("chmod 600"), "{err}");

    // A damaged file: the error says where, never what the line holds.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, format!("version = 1\nmaster = [\"{K0}\"\nsources = 3\n")).unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = KeyFile::load(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("line"), "{err}");
    assert!(!err.contains(K0) && !err.contains(&K0[..16]), "{err}");
    std::fs::write(&bad, format!("version = 1\nmaster = [\"{}\"]\n", &K0[..60])).unwrap();
    let err = KeyFile::load(&bad).unwrap_err().to_string();
    assert!(err.contains("not 64 hex digits") && !err.contains(&K0[..16]), "{err}");
}

/// A stored identity row re-keyed after a rotation equals the row made under the new chain; a
/// current row is left alone; a row of another chain or with a broken encoding is refused.
#[test]
fn identity_rows_are_rekeyed_to_the_current_chain() {
    let old = keys(&[K0], None);
    let new = keys(&[K0, K1], None);
    let row = |p: &Pseudonymiser| {
        vec![
            Some(p.key_id()),
            Some(p.pseudonym(Domain::Nir, "155087800608457")),
            None,
            Some(p.name_encoding("MARTIN")),
            Some(p.name_encoding("JEAN")),
        ]
    };
    assert_eq!(IDENTITY_COLUMNS.len(), row(&old).len());
    let mut stored = row(&old);
    assert_eq!(new.rekey_identity(&mut stored), Ok(true));
    assert_eq!(stored, row(&new));
    assert_eq!(new.rekey_identity(&mut stored), Ok(false));
    assert_eq!(stored, row(&new));
    let mut foreign = row(&keys(&[K1], None));
    assert!(new.rekey_identity(&mut foreign).unwrap_err().contains("not in this key file's chain"));
    let mut broken = row(&old);
    broken[3] = Some("zz".into());
    assert_eq!(new.rekey_identity(&mut broken).unwrap_err(), "its surname is not a name encoding");
}

/// A project keeps its key from its first extract: a rotation of the master key, or reading the
/// key file again, changes none of its pseudonyms; a new project after the rotation gets a key
/// from the new master.
#[test]
fn a_project_keeps_its_key_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    KeyFile::init(&path).unwrap();
    let mut p = Pseudonymiser::new(KeyFile::load(&path).unwrap());
    let before = p.project_key("P-2026-001").unwrap().pseudonym("person-1");
    assert_eq!(before, p.project("P-2026-001").pseudonym("person-1"), "the first key is the derived one");
    let mut file = KeyFile::load(&path).unwrap();
    file.rotate().unwrap();
    let mut rotated = Pseudonymiser::new(KeyFile::load(&path).unwrap());
    assert_eq!(rotated.project_key("P-2026-001").unwrap().pseudonym("person-1"), before);
    assert_ne!(rotated.project("P-2026-001").pseudonym("person-1"), before, "the new master derives another");
    let later = rotated.project_key("P-2026-002").unwrap().pseudonym("person-1");
    assert_eq!(later, rotated.project("P-2026-002").pseudonym("person-1"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("P-2026-001") && text.contains("P-2026-002"));
}

/// A project's book keeps each person's pseudonym when a dataset added later brings them a
/// record that sorts first, across the book being saved and read again; two persons merged by
/// linkage keep one of their pseudonyms, and the merge is counted; the book holds no source id.
#[test]
fn a_person_keeps_their_project_pseudonym_when_records_are_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    KeyFile::init(&path).unwrap();
    let mut p = Pseudonymiser::new(KeyFile::load(&path).unwrap());
    let key = p.project_key("P-2026-001").unwrap();
    let s = |xs: &[&str]| -> Vec<String> { xs.iter().map(|x| x.to_string()).collect() };
    let mut book = crate::ProjectBook::open(&path, "P-2026-001").unwrap();
    let a = book.assign(&key, &s(&["encr_mp:00000001"]));
    let b = book.assign(&key, &s(&["encr_mp:00000002"]));
    assert_eq!(a, key.pseudonym("encr_mp:00000001"), "a new person: keyed on their first source record");
    book.save().unwrap();
    let mut book = crate::ProjectBook::open(&path, "P-2026-001").unwrap();
    // A new dataset "aaa" sorts first: without the book, person 1's anchor would change.
    assert_eq!(book.assign(&key, &s(&["encr_mp:00000001", "aaa:17"])), a);
    assert_eq!(book.merged(), 0);
    // Linkage merges persons 1 and 2: one pseudonym is kept, and the merge counted.
    let merged = book.assign(&key, &s(&["encr_mp:00000002", "encr_mp:00000001"]));
    assert!(merged == a || merged == b);
    assert_eq!(book.merged(), 1);
    book.save().unwrap();
    let text = std::fs::read_to_string(
        dir.path().join("keys.toml.projects").join(format!("{}.book", crate::hex(b"P-2026-001"))),
    )
    .unwrap();
    // Source ids hold a colon, which hexadecimal hashes never do ("aaa" alone may be in one).
    assert!(!text.contains("encr_mp") && !text.contains("aaa:17") && !text.contains(':'), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let book_file = dir.path().join("keys.toml.projects").join(format!("{}.book", crate::hex(b"P-2026-001")));
    assert_eq!(std::fs::metadata(book_file).unwrap().permissions().mode() & 0o777, 0o600);
}
