//! Tumour consolidation end to end: a registry file with several tumours per patient, ingested
//! with its identities, linked, and consolidated into `primaries` under the IARC/IACR 2004
//! multiple-primary rules.

use super::oncodata;

/// Patient 1: two colon adenocarcinomas (C18.2 8140, C18.7 8480: one organ and one histology
/// group, so one primary, keeping 8480) and a squamous lung cancer (a second primary).
/// Patient 2: an in situ bladder tumour (reported) and a prostate cancer: two primaries.
/// Patient 3: a lymphoma 9680 and an unspecified haematopoietic 9975: one primary, 9680.
const REGISTRY: &str = "\
PAT,MoB,YoB,Age,Sex,Geo_Code,TUM,MoI,YoI,BoD,Topo,Morpho,Beh,Grade,Vit_stat,MoF,YoF,Surv_time,Stage
00000001,3,1950,68,2,14,01,2,2019,7,C182,8140,3,2,1,12,2023,1750,II
00000001,3,1950,70,2,14,02,6,2020,7,C187,8480,3,2,1,12,2023,1300,I
00000001,3,1950,71,2,14,03,3,2021,7,C341,8070,3,3,1,12,2023,1000,III
00000002,7,1945,73,1,14,01,1,2019,7,C679,8120,2,9,1,12,2023,1780,
00000002,7,1945,76,1,14,02,9,2021,7,C619,8140,3,2,1,12,2023,820,I
00000003,5,1960,58,1,50,01,4,2019,7,C772,9680,3,9,1,12,2023,1700,
00000003,5,1960,58,1,50,02,5,2019,5,C421,9975,3,9,1,12,2023,1680,
";

const IDENTITY: &str = "\
PAT,nir,surname,first_name,birth_date,sex,departement
00000001,250031412345678,Durand,Marie,1950-03-02,2,14
00000002,145071412345612,Petit,Jean,1945-07-21,1,14
00000003,160055012345634,Moreau,Luc,1960-05-30,1,50
";

#[test]
fn several_tumours_of_a_patient_become_the_primaries_the_rules_say() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    std::fs::write(at("encr_mp.csv"), REGISTRY).unwrap();
    std::fs::write(at("identity_mp.csv"), IDENTITY).unwrap();
    let (w, k) = (at("wh"), at("keys.toml"));
    let run = |args: &[&str]| {
        let out = oncodata(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "oncodata {args:?}: {text}");
        text
    };
    run(&["keys", "init", "--keys", &k]);
    let ingested = run(&[
        "ingest",
        "--warehouse",
        &w,
        "--keys",
        &k,
        "--source",
        "encr-csv",
        &at("encr_mp.csv"),
        "--source",
        "identity",
        &at("identity_mp.csv"),
    ]);
    assert!(ingested.contains("read 7 = accepted 7 + quarantined 0"), "{ingested}");
    let linked = run(&["link", "--warehouse", &w]);
    assert!(linked.contains("7 tumour records → 5 primaries"), "{linked}");
    assert!(linked.contains("2 persons with more than one reportable primary"), "{linked}");

    let csv = crate::stdout_of(&[
        "sql",
        "--warehouse",
        &w,
        "--format",
        "csv",
        "SELECT primary_id, reportable, records, topography, morphology, morphology_source, behaviour, \
         incidence_date, stage, site_group FROM primaries ORDER BY primary_id",
    ]);
    let expected = "\
primary_id,reportable,records,topography,morphology,morphology_source,behaviour,incidence_date,stage,site_group
P00000001-1,true,2,C18.2,8480,encr_mp:00000001-02,3,2019-02-15,II,colorectum
P00000001-2,true,1,C34.1,8070,encr_mp:00000001-03,3,2021-03-15,III,lung
P00000002-1,true,1,C67.9,8120,encr_mp:00000002-01,2,2019-01-15,,
P00000002-2,true,1,C61.9,8140,encr_mp:00000002-02,3,2021-09-15,I,prostate
P00000003-1,true,2,C77.2,9680,encr_mp:00000003-01,3,2019-04-15,,nhl
";
    assert_eq!(csv, expected);
    let rules = crate::stdout_of(&[
        "sql",
        "--warehouse",
        &w,
        "--format",
        "csv",
        "SELECT tumour_id, rule FROM primary_tumours WHERE NOT founder ORDER BY tumour_id",
    ]);
    assert_eq!(
        rules,
        "tumour_id,rule\n\
         00000001-02,\"same organ C18, same histology group 3 (rule 3)\"\n\
         00000003-02,\"haematopoietic groups 9 and 14, one unspecified: counted once (rule 4.1)\"\n"
    );

    // Project extracts: the same persons and primaries under each project's own pseudonyms,
    // which do not meet across projects and stay the same when linkage runs again.
    let extract = |project: &str, out: &str| {
        let done = run(&["extract", "--warehouse", &w, "--keys", &k, "--project", project, "--out", &at(out)]);
        assert!(done.contains("3 persons, 5 primaries"), "{done}");
        let query = |sql: &str| crate::stdout_of(&["sql", "--warehouse", &at(out), "--format", "csv", sql]);
        (
            query("SELECT person_id, birth_month FROM persons ORDER BY birth_month"),
            query("SELECT person_id, sequence, morphology FROM primaries ORDER BY morphology"),
        )
    };
    let (a_persons, a_primaries) = extract("CESP-2026-001", "extract_a");
    let (b_persons, _) = extract("CESP-2026-002", "extract_b");
    let ids = |csv: &str| -> Vec<String> { csv.lines().skip(1).map(|l| l.split(',').next().unwrap().into()).collect() };
    assert_eq!(ids(&a_persons).len(), 3);
    assert!(ids(&a_persons).iter().all(|a| a.len() == 24 && !ids(&b_persons).contains(a)), "{a_persons}{b_persons}");
    // Birth dates are cut to the month; no warehouse person number or source id is handed out.
    assert!(a_persons.contains("1950-03\n") && !a_persons.contains("1950-03-"), "{a_persons}");
    for table in ["persons", "primaries", "care_events"] {
        let all = run(&["sql", "--warehouse", &at("extract_a"), "--format", "csv", &format!("SELECT * FROM {table}")]);
        for secret in ["P0000000", "00000001", "encr_mp:"] {
            assert!(!all.contains(secret), "{secret} in {table}: {all}");
        }
    }
    // The primaries of one person carry the person's pseudonym (8480 colon and 8070 lung).
    let person_of = |morphology: &str| {
        a_primaries.lines().find(|l| l.ends_with(morphology)).unwrap().split(',').next().unwrap().to_string()
    };
    assert_eq!(person_of(",8480"), person_of(",8070"));
    run(&["link", "--warehouse", &w]);
    let (again, _) = extract("CESP-2026-001", "extract_a2");
    assert_eq!(again, a_persons, "stable across linkage runs");
    // And across a rotation of the master key: the project keeps the key of its first extract.
    run(&["keys", "rotate", "--keys", &k, "--warehouse", &w]);
    let (rotated, _) = extract("CESP-2026-001", "extract_a3");
    assert_eq!(rotated, a_persons, "stable across key rotations");
    let refused = oncodata(&["extract", "--warehouse", &w, "--keys", &k, "--project", "X", "--out", &at("extract_a")]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("not empty"));
    // Records loaded after the linkage are not silently left out of an extract.
    std::fs::write(at("encr_more.csv"), format!("{}\n", REGISTRY.lines().take(2).collect::<Vec<_>>().join("\n")))
        .unwrap();
    run(&["ingest", "--warehouse", &w, "--keys", &k, "--source", "encr-csv", &at("encr_more.csv")]);
    let stale = oncodata(&["extract", "--warehouse", &w, "--keys", &k, "--project", "X", "--out", &at("extract_x")]);
    let message = String::from_utf8_lossy(&stale.stderr);
    assert!(
        !stale.status.success() && message.contains("1 of 8 tumour records are not in the last linkage"),
        "{message}"
    );
}
