//! Pseudonymisation and linkage end to end: keys, ingest of every synthetic source with its
//! identities, `oncodata link` scored against the generated truth, the review queue, key
//! rotation — and proof that neither key nor clear identity reaches any output or file.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::oncodata;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs oncodata, requires success, and returns stdout + stderr.
fn ok(args: &[&str], outputs: &mut Vec<String>) -> String {
    let out = oncodata(args);
    let t = text(&out);
    assert!(out.status.success(), "oncodata {args:?} failed: {t}");
    outputs.push(t.clone());
    t
}

/// An F1 printed by `link --truth` on the line starting with `what`.
fn f1_of(output: &str, what: &str) -> f64 {
    let line = output.lines().find(|l| l.trim_start().starts_with(what)).unwrap_or_else(|| panic!("{output}"));
    line.split("F1 ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// Pairwise and cluster F1 printed by `link --truth`.
fn f1s(output: &str) -> (f64, f64) {
    (f1_of(output, "pairwise"), f1_of(output, "cluster"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bytes_of_hex(h: &str) -> Vec<u8> {
    (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn sources_link_into_the_true_persons_and_no_key_or_identity_leaks() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, wh, keys) = (tmp.path().join("data"), tmp.path().join("wh"), tmp.path().join("conf/keys.toml"));
    let (d, w, k) = (data.to_str().unwrap(), wh.to_str().unwrap(), keys.to_str().unwrap());
    let mut outputs = Vec::new();
    ok(&["synth", "--out", d, "--scale", "0.01", "--years", "2020-2022"], &mut outputs);
    ok(&["keys", "init", "--keys", k], &mut outputs);
    let claims_key = data.join("secrets/claims_pseudonym.key");
    ok(&["keys", "import", "--keys", k, "--source", "claims", claims_key.to_str().unwrap()], &mut outputs);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let p = |rel: &str| data.join(rel).to_str().unwrap().to_string();
    let omop: Vec<String> =
        ["baclesse", "roussy", "bergonie", "lambret"].map(|c| p(&format!("hospitals/omop/{c}"))).into();
    let fhir: Vec<String> = ["curie", "berard", "ico"].map(|c| p(&format!("hospitals/fhir/{c}.ndjson"))).into();
    let mut args: Vec<String> =
        ["ingest", "--warehouse", w, "--keys", k, "--source", "encr-csv"].map(String::from).into();
    args.extend([p("registry/encr_22-departements_2020-2022.csv"), p("registry/encr_paediatric_2020-2022.csv")]);
    args.push("--source".into());
    args.push("identity".into());
    args.extend([
        p("registry/identity_22-departements_2020-2022.csv"),
        p("registry/identity_paediatric_2020-2022.csv"),
    ]);
    args.extend(["--source".into(), "omop".into()]);
    args.extend(omop);
    args.extend(["--source".into(), "fhir".into()]);
    args.extend(fhir);
    args.extend(["--source".into(), "claims".into(), p("claims")]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let ingested = ok(&a, &mut outputs);
    assert!(ingested.contains("identities pseudonymised"), "{ingested}");

    // Linkage against the truth: pairwise F1 at least 0.99.
    let truth = p("truth");
    let linked = ok(&["link", "--warehouse", w, "--truth", &truth], &mut outputs);
    let (pairwise, cluster) = f1s(&linked);
    assert!(pairwise >= 0.99, "{linked}");
    assert!(cluster >= 0.99, "{linked}");

    // Tumour consolidation: each synthetic person has one tumour, which every source describes;
    // the registry and hospital records of it become one primary.
    let tumours = f1_of(&linked, "tumours");
    assert!(tumours >= 0.99, "{linked}");
    assert!(linked.contains("primaries under the IARC/IACR 2004 rules"), "{linked}");
    let count = |sql: &str| -> String {
        let out = ok(&["sql", "--warehouse", w, "--format", "csv", sql], &mut Vec::new());
        out.lines().nth(1).unwrap_or_default().to_string()
    };
    // Every tumour record is in exactly one primary.
    assert_eq!(
        count(
            "SELECT count(*), count(DISTINCT dataset || '/' || tumour_id) FROM primary_tumours \
             WHERE kind = 'notification'"
        ),
        count("SELECT count(*) AS a, count(*) AS b FROM tumours")
    );
    // Best information, recomputed in SQL from the records: the earliest incidence date, the
    // most valid basis of diagnosis, and the founders — except for death-certificate-only cases
    // traced back to a claims stay, dated by the stay (their notifications are all DCO).
    let traced = "SELECT p.primary_id FROM primaries p JOIN primary_tumours pt \
                    ON p.incidence_source = pt.dataset || ':' || pt.tumour_id WHERE pt.kind = 'case-finding' \
                    AND p.primary_id IN (SELECT primary_id FROM primary_tumours WHERE kind = 'notification')";
    let disagreeing = count(&format!(
        "WITH m AS (SELECT pt.primary_id, min(t.incidence_date) AS first, \
                max(CASE WHEN t.basis_of_diagnosis = 9 THEN NULL ELSE t.basis_of_diagnosis END) AS basis \
            FROM primary_tumours pt JOIN tumours t ON t.dataset = pt.dataset AND t.tumour_id = pt.tumour_id \
            GROUP BY pt.primary_id) \
         SELECT count(*) FROM primaries p JOIN m ON m.primary_id = p.primary_id \
         WHERE p.primary_id NOT IN ({traced}) AND (CAST(p.incidence_date AS DATE) <> m.first \
            OR coalesce(p.basis_of_diagnosis, -1) <> coalesce(CAST(m.basis AS BIGINT), p.basis_of_diagnosis, -1))"
    ));
    assert_eq!(disagreeing, "0");
    let traced_not_dco = count(&format!(
        "SELECT count(*) FROM primary_tumours pt JOIN tumours t ON t.dataset = pt.dataset AND t.tumour_id = pt.tumour_id \
         WHERE pt.primary_id IN ({traced}) AND coalesce(t.basis_of_diagnosis, -1) <> 0"
    ));
    assert_eq!(traced_not_dco, "0", "a traced-back primary had a notification other than DCO");
    let traced_basis =
        count(&format!("SELECT count(*) FROM primaries WHERE primary_id IN ({traced}) AND basis_of_diagnosis <> 1"));
    assert_eq!(traced_basis, "0");
    assert_eq!(count("SELECT count(*) - count(DISTINCT primary_id) FROM primary_tumours WHERE founder"), "0");
    assert_eq!(count("SELECT count(*) FROM primary_tumours WHERE founder"), count("SELECT count(*) FROM primaries"));

    // The review queue: deciding a pair "same" links it on the next run.
    let queue = ok(&["link", "review", "--warehouse", w], &mut outputs);
    assert!(queue.contains("wait for review") && queue.contains("#1 "), "{queue}");
    let pair = ok(
        &[
            "sql",
            "--warehouse",
            w,
            "--format",
            "csv",
            "SELECT a_dataset, a_patient_id, b_patient_id FROM link_review WHERE pair = 1",
        ],
        &mut outputs,
    );
    let row: Vec<String> = pair.lines().nth(1).unwrap().split(',').map(String::from).collect();
    ok(&["link", "review", "--warehouse", w, "--same", "1", "--by", "test"], &mut outputs);
    assert!(wh.join("linkage/decisions.csv").exists());
    let decided = ok(&["link", "--warehouse", w, "--truth", &truth], &mut outputs);
    let same = ok(
        &[
            "sql",
            "--warehouse",
            w,
            "--format",
            "csv",
            &format!(
                "SELECT count(DISTINCT person_id) AS n, min(link) AS link FROM person_records WHERE patient_id IN ('{}', '{}')",
                row[1], row[2]
            ),
        ],
        &mut outputs,
    );
    assert_eq!(same.lines().nth(1), Some("1,review"), "{same}");
    let bad = oncodata(&["link", "review", "--warehouse", w, "--same", "999999"]);
    assert!(!bad.status.success() && text(&bad).contains("pair 999999 is not in the review queue"));

    // Rotation re-keys the warehouse; linkage is unchanged under the new keys.
    let rotated = ok(&["keys", "rotate", "--keys", k, "--warehouse", w], &mut outputs);
    assert!(rotated.contains("identities re-keyed"), "{rotated}");
    let again = ok(&["link", "--warehouse", w, "--truth", &truth], &mut outputs);
    let scores = |t: &str| t.lines().filter(|l| l.contains("F1")).map(String::from).collect::<Vec<_>>();
    assert_eq!(scores(&again), scores(&decided), "the same persons under the new keys");
    ok(&["keys", "status", "--keys", k], &mut outputs);
    let mut wrong = ok(&["keys", "rekey", "--keys", k, "--warehouse", w], &mut outputs);
    assert!(wrong.contains(" 0 identities re-keyed"), "{wrong}");
    // A key file inside the warehouse is refused; so is one others can read.
    let inside = wh.join("keys.toml");
    std::fs::copy(&keys, &inside).unwrap();
    let refused = oncodata(&["keys", "rekey", "--keys", inside.to_str().unwrap(), "--warehouse", w]);
    wrong = text(&refused);
    assert!(!refused.status.success() && wrong.contains("inside the warehouse"), "{wrong}");
    outputs.push(wrong);
    std::fs::remove_file(&inside).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o644)).unwrap();
        let open = oncodata(&["keys", "status", "--keys", k]);
        let t = text(&open);
        assert!(!open.status.success() && t.contains("chmod 600"), "{t}");
        outputs.push(t);
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    // Every table, as text, and every file of the warehouse, as bytes.
    let tables: Vec<String> = [
        "patients",
        "tumours",
        "care_events",
        "quarantine",
        "warnings",
        "identities",
        "persons",
        "person_records",
        "link_review",
        "primaries",
        "primary_tumours",
    ]
    .iter()
    .map(|t| {
        let sql = format!("SELECT * FROM {t}");
        if *t == "identities" {
            // Out of a user's SQL (refused there): read through the library, as linkage reads it.
            assert!(!oncodata(&["sql", "--warehouse", w, &sql]).status.success(), "oncodata sql reads identities");
            return oncodata_warehouse::Warehouse::open(&wh).unwrap().query(&sql).unwrap().to_csv().unwrap();
        }
        ok(&["sql", "--warehouse", w, "--format", "csv", &sql], &mut Vec::new())
    })
    .collect();
    let files: Vec<Vec<u8>> = files_under(&wh).iter().map(|f| std::fs::read(f).unwrap()).collect();

    // The keys: hex and raw bytes, of every master key and of the claims key.
    let key_text = std::fs::read_to_string(&keys).unwrap();
    let mut secrets: Vec<String> = key_text
        .split('"')
        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(String::from)
        .collect();
    assert_eq!(secrets.len(), 3, "two master keys and the claims key");
    secrets.push(std::fs::read_to_string(&claims_key).unwrap().trim().to_string());
    for s in &secrets {
        let raw = bytes_of_hex(s);
        for o in outputs.iter().chain(&tables) {
            assert!(!o.contains(s.as_str()) && !o.contains(&s[..16]), "a key in an output");
        }
        for f in &files {
            assert!(!f.windows(32).any(|x| x == raw.as_slice()), "raw key bytes in a warehouse file");
            assert!(!f.windows(64).any(|x| x == s.as_bytes()), "a key in a warehouse file");
        }
        assert_ne!(hex_of(&raw), "");
    }

    // No clear identity: no national id, surname or first name of the truth in any table.
    let mut persons = csv::Reader::from_path(data.join("truth/persons.csv")).unwrap();
    let mut checked = 0;
    let all_tables = tables.join("\n");
    for r in persons.records().take(300) {
        let r = r.unwrap();
        let (nir, surname, first) = (&r[1], &r[2], &r[3]);
        if surname.len() >= 7 {
            assert!(!all_tables.contains(surname), "surname {surname} in a table");
            checked += 1;
        }
        assert!(!all_tables.contains(nir), "a national id in a table");
        assert!(first.len() < 7 || !all_tables.contains(first), "first name {first} in a table");
    }
    assert!(checked > 50);
}
