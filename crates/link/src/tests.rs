//! Linkage of two small generated files whose true links are known.

use rand::{Rng, SeedableRng};

use super::*;

const SURNAMES: [&str; 12] = [
    "martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy", "moreau", "simon",
    "laurent",
];
const GIVEN: [&str; 10] = ["jean", "marie", "pierre", "anne", "louis", "julie", "paul", "claire", "michel", "sophie"];

/// A typing error: one character replaced.
fn typo(rng: &mut impl Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    let i = rng.random_range(0..c.len());
    c[i] = (b'a' + rng.random_range(0..26u8)) as char;
    c.into_iter().collect()
}

/// `n` people on the left; on the right the same people (ids r0…) with a typo in a name for
/// one in five, a day/month swap for one in ten, a missing given name for one in twenty.
fn files(n: usize) -> (Records, Records, HashSet<(String, String)>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let fields = vec!["surname".to_string(), "given".into(), "dob".into(), "postcode".into()];
    let (mut left, mut right, mut truth) = (Vec::new(), Vec::new(), HashSet::new());
    for i in 0..n {
        let surname =
            format!("{}{}", SURNAMES[rng.random_range(0..12)], ["", "e", "ier", "ot"][rng.random_range(0..4)]);
        let given = GIVEN[rng.random_range(0..10)].to_string();
        let (d, m) = (rng.random_range(1..=28u32), rng.random_range(1..=12u32));
        let dob = format!("{}{m:02}{d:02}", rng.random_range(1930..2000));
        let postcode = format!("{}", rng.random_range(1000..1100));
        let row = vec![surname.clone(), given.clone(), dob.clone(), postcode.clone()];
        left.push((format!("l{i}"), row));
        let mut copy = vec![surname, given, dob.clone(), postcode];
        if rng.random_bool(0.2) {
            copy[0] = typo(&mut rng, &copy[0]);
        }
        if rng.random_bool(0.1) && d <= 12 {
            copy[2] = format!("{}{d:02}{m:02}", &dob[..4]);
        }
        if rng.random_bool(0.05) {
            copy[1] = String::new();
        }
        right.push((format!("r{i}"), copy));
        truth.insert((format!("l{i}"), format!("r{i}")));
    }
    right.reverse();
    (Records::from_rows(fields.clone(), left), Records::from_rows(fields, right), truth)
}

const CONFIG: &str = r#"
u_sample = 100000
left_id = "id"
right_id = "id"
[[fields]]
name = "surname"
comparator = "jaro-winkler"
term_frequency = true
[[fields]]
name = "given"
comparator = "jaro-winkler"
[[fields]]
name = "dob"
comparator = "date"
[[fields]]
name = "postcode"
comparator = "exact"
"#;

#[test]
fn generated_files_link_with_high_precision_and_recall() {
    let (left, right, truth) = files(3000);
    for blocking in ["", "blocking = [[\"dob\"], [\"surname\", \"postcode\"]]\n"] {
        let config = Config::parse(&format!("{blocking}{CONFIG}"), "link.toml").unwrap();
        let linkage = link(&left, &right, &config, &|_| {}).unwrap();
        let scores =
            evaluate(linkage.pairs.iter().map(|p| (left.id(p.left as usize), right.id(p.right as usize))), &truth);
        assert!(scores.f1 > 0.97, "blocking '{blocking}': {scores:?} rules {:?}", linkage.rules);
        // The fitted m of exact date agreement is high, its u low.
        let dob = &linkage.model.fields[2];
        assert!(dob.m[0] > 0.7 && dob.u[0] < 0.01, "{dob:?}");
        assert!(linkage.model.lambda > 0.0 && linkage.model.lambda < 1e-3);
    }
}

#[test]
fn scores_by_hand() {
    let truth: HashSet<(String, String)> =
        [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")].iter().map(|(l, r)| (l.to_string(), r.to_string())).collect();
    let s = evaluate([("a", "1"), ("b", "2"), ("c", "9")], &truth);
    assert_eq!((s.true_positives, s.false_positives, s.false_negatives), (2, 1, 2));
    assert!((s.precision - 2.0 / 3.0).abs() < 1e-12 && (s.recall - 0.5).abs() < 1e-12);
    assert!((s.f1 - 4.0 / 7.0).abs() < 1e-12);
}

#[test]
fn configuration_errors_name_the_file_and_the_problem() {
    let e = |text: &str| Config::parse(text, "link.toml").unwrap_err().to_string();
    assert!(e("left_id = 1").starts_with("link.toml"));
    let unknown = format!("blocking = [[\"nope\"]]\n{CONFIG}");
    assert!(e(&unknown).contains("blocking field 'nope'"), "{}", e(&unknown));
    let bad = CONFIG.replace("\"exact\"", "\"soundex\"");
    assert!(e(&bad).contains("soundex"), "{}", e(&bad));
    let threshold = format!("threshold = 2.0\n{CONFIG}");
    assert!(e(&threshold).contains("not a probability"));
}

#[test]
fn input_errors_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.csv");
    let fields = vec!["surname".to_string()];
    std::fs::write(&path, "id,surname\n1,martin\n1,durand\n").unwrap();
    let e = Records::read_csv(&path, "id", &fields).unwrap_err().to_string();
    assert!(e.contains("a.csv") && e.contains("line 3") && e.contains("twice"), "{e}");
    std::fs::write(&path, "id,name\n1,martin\n").unwrap();
    let e = Records::read_csv(&path, "id", &fields).unwrap_err().to_string();
    assert!(e.contains("no column 'surname'"), "{e}");
    std::fs::write(&path, "id,surname\n1,martin,extra\n").unwrap();
    let e = Records::read_csv(&path, "id", &fields).unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
}

/// Blocking that yields nothing is an error naming the configuration file.
#[test]
fn blocking_without_pairs_is_an_error_naming_the_configuration() {
    let (left, right, _) = files(50);
    let config = Config::parse(&format!("max_pairs = 0\n{CONFIG}"), "my_link.toml").unwrap();
    let e = link(&left, &right, &config, &|_| {}).unwrap_err().to_string();
    assert!(e.starts_with("my_link.toml") && e.contains("max_pairs"), "{e}");
}
