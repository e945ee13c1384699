//! `oncodata link-files` on two generated files whose true links are known.

use std::fmt::Write;

use super::oncodata;

const SURNAMES: [&str; 8] = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand"];
const GIVEN: [&str; 6] = ["jean", "marie", "pierre", "anne", "louis", "julie"];

/// Left: `n` people; right: the same people under other ids, listed backwards, every third
/// surname with a typing error and every seventh birth date with day and month swapped.
fn write_files(dir: &std::path::Path, n: usize) {
    let (mut a, mut b, mut truth) =
        (String::from("id,surname,given,dob,town\n"), String::from("rid,surname,given,dob,town\n"), String::new());
    truth.push_str("left_id,right_id\n");
    let mut rows = Vec::new();
    for i in 0..n {
        let surname = format!("{}{}", SURNAMES[i % 8], ["", "e", "ot", "ier", "ard"][i / 8 % 5]);
        let given = GIVEN[i / 40 % 6];
        let (y, m, d) = (1930 + i % 61, 1 + i % 12, 1 + i * 7 % 28);
        let town = format!("town{}", i % 97);
        writeln!(a, "L{i},{surname},{given},{y}{m:02}{d:02},{town}").unwrap();
        let surname_b = if i % 3 == 0 { surname.replacen(&surname[1..2], "x", 1) } else { surname };
        let dob_b = if i % 7 == 0 && d <= 12 { format!("{y}{d:02}{m:02}") } else { format!("{y}{m:02}{d:02}") };
        rows.push(format!("R{i},{surname_b},{given},{dob_b},{town}"));
        writeln!(truth, "L{i},R{i}").unwrap();
    }
    rows.reverse();
    b.push_str(&(rows.join("\n") + "\n"));
    std::fs::write(dir.join("a.csv"), a).unwrap();
    std::fs::write(dir.join("b.csv"), b).unwrap();
    std::fs::write(dir.join("truth.csv"), truth).unwrap();
    std::fs::write(
        dir.join("link.toml"),
        "left_id = \"id\"\nright_id = \"rid\"\nu_sample = 200000\n\
         [[fields]]\nname = \"surname\"\ncomparator = \"jaro-winkler\"\nterm_frequency = true\n\
         [[fields]]\nname = \"given\"\ncomparator = \"jaro-winkler\"\n\
         [[fields]]\nname = \"dob\"\ncomparator = \"date\"\n\
         [[fields]]\nname = \"town\"\ncomparator = \"exact\"\n",
    )
    .unwrap();
}

#[test]
fn link_files_finds_the_true_pairs_and_writes_pairs_and_model() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 2000);
    let p = |f: &str| dir.path().join(f).display().to_string();
    let out = oncodata(&[
        "link-files",
        "--left",
        &p("a.csv"),
        "--right",
        &p("b.csv"),
        "--config",
        &p("link.toml"),
        "--out",
        &p("pairs.csv"),
        "--truth",
        &p("truth.csv"),
        "--model",
        &p("model.json"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let f1: f64 = stdout.split("F1 ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().parse().unwrap();
    assert!(f1 >= 0.98, "{stdout}");
    let pairs = std::fs::read_to_string(p("pairs.csv")).unwrap();
    let mut lines = pairs.lines();
    assert_eq!(lines.next(), Some("left_id,right_id,match_weight,match_probability"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let probability: f64 = first[3].parse().unwrap();
    assert!(first[0].starts_with('L') && first[1].starts_with('R') && probability >= 0.5, "{first:?}");
    let model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("model.json")).unwrap()).unwrap();
    assert_eq!(model["fields"].as_array().unwrap().len(), 4);
    assert!(!model["blocking"].as_array().unwrap().is_empty(), "rules chosen from the data");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("candidate pairs"), "{stderr}");
}

#[test]
fn link_files_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), 10);
    let p = |f: &str| dir.path().join(f).display().to_string();
    std::fs::write(
        p("bad.toml"),
        "left_id = \"id\"\nright_id = \"rid\"\n[[fields]]\nname = \"surname\"\ncomparator = \"soundex\"\n",
    )
    .unwrap();
    let out = oncodata(&[
        "link-files",
        "--left",
        &p("a.csv"),
        "--right",
        &p("b.csv"),
        "--config",
        &p("bad.toml"),
        "--out",
        &p("x.csv"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("bad.toml") && stderr.contains("soundex"), "{stderr}");
    // The right file lacks the left id column name: that is fine; a missing compared column is not.
    std::fs::write(p("c.csv"), "rid,surname,given,dob\nR1,martin,jean,19300101\n").unwrap();
    let out = oncodata(&[
        "link-files",
        "--left",
        &p("a.csv"),
        "--right",
        &p("c.csv"),
        "--config",
        &p("link.toml"),
        "--out",
        &p("x.csv"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("c.csv") && stderr.contains("no column 'town'"), "{stderr}");
}
