//! The web pages served by `oncodata serve`, read as HTML (the browser tests in
//! `crates/web/tests/browser` drive them in Chromium): the explorer's figures and downloads are
//! the command line's, no page shows a count the public policy withholds, wrong selections are
//! refused by name.

use serde_json::Value;

use super::service::{Auth, Server, platform};
use crate::stdout_of;

fn page(s: &Server, path: &str) -> (u16, String) {
    let (status, body) = s.call("GET", path, &Auth::Anonymous, None);
    (status, body.as_str().map_or_else(|| body.to_string(), str::to_string))
}

/// The rows of `oncodata incidence … --audience public --format csv` that start with `prefix`,
/// under the header.
/// How many primaries notify the tumour `PAT-01` of a registry patient `PAT`.
fn notified_as(wh: &str, pat: &str) -> usize {
    let sql = format!(
        "SELECT count(*) AS n FROM primary_tumours WHERE patient_id = '{pat}' AND tumour_id = '{pat}-01' AND kind = 'notification'"
    );
    let out = stdout_of(&["sql", "--warehouse", wh, "--format", "csv", &sql]);
    out.lines().nth(1).unwrap().parse().unwrap()
}

fn command_rows(wh: &str, by: &str, years: Option<&str>, prefix: &str) -> String {
    let mut args = vec!["incidence", "--warehouse", wh, "--by", by, "--audience", "public", "--format", "csv"];
    if let Some(y) = years {
        args.extend(["--years", y]);
    }
    let out = stdout_of(&args);
    let mut lines = out.lines();
    let header = lines.next().unwrap().to_string();
    std::iter::once(header)
        .chain(lines.filter(|l| l.starts_with(prefix)).map(str::to_string))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn the_explorer_shows_and_downloads_the_commands_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[], &[]);
    let w = wh.to_str().unwrap();
    let s = Server::start(&wh, &[]);

    let (status, html) = page(&s, "/?site=breast&sex=female&from=2021&to=2022");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html lang=\"fr\">"));
    assert_eq!(html.matches("data-departement=").count(), 101);
    assert_eq!(html.matches("data-state=\"uncovered\"").count(), 100, "the demo's registry covers the Manche only");
    let (_, figure) =
        s.call("GET", "/api/figures/incidence?by=site_group,sex,area&years=2021-2022", &Auth::Anonymous, None);
    let columns: Vec<&str> = figure["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let col = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let row = figure["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "breast" && r[1] == "female" && r[2] == "50")
        .unwrap();
    let asr = row[col("asr")].as_f64().unwrap();
    assert!(
        html.contains(&format!(
            "data-departement=\"50\" data-name=\"Manche\" data-state=\"covered\" data-value=\"{asr}\""
        )),
        "the Manche is coloured by its published rate"
    );
    let cases = row[col("cases")].as_f64().unwrap();
    assert!(
        html.contains(&format!("<tr data-key=\"50\"><th scope=\"row\">Manche (50)</th><td data-value=\"{cases}\">"))
    );

    // The downloads are the command's rows for the selection, byte for byte.
    let (status, csv) = page(&s, "/explorer/areas.csv?site=breast&sex=female&years=2021-2022");
    assert_eq!(status, 200);
    assert_eq!(csv, command_rows(w, "site_group,sex,area", Some("2021-2022"), "breast,female,"));
    let (_, csv) = page(&s, "/explorer/years.csv?site=breast&sex=female");
    assert_eq!(csv, command_rows(w, "site_group,sex,year", None, "breast,female,"));
    let (_, csv) = page(&s, "/explorer/years.csv?sex=male&area=50");
    assert_eq!(csv, command_rows(w, "sex,area,year", None, "male,50,"));
    let (status, svg) = page(&s, "/explorer/map.svg?site=breast&sex=female&years=2021-2022&lang=en");
    assert_eq!(status, 200);
    assert!(svg.starts_with("<?xml") && svg.matches("data-departement=").count() == 101);

    // English, the same numbers.
    let (_, english) = page(&s, "/?site=breast&sex=female&years=2021-2022&lang=en");
    assert!(english.contains("<html lang=\"en\">") && english.contains("Breast, Women, 2021–2022"));
    assert!(english.contains(&format!("data-value=\"{asr}\"")));

    // Net survival: the page's 1-year figure is `oncodata survival`'s, Pohar-Perme, at 1 year.
    let (_, survival) = s.call("GET", "/api/figures/survival?site=breast&sex=female", &Auth::Anonymous, None);
    let out = stdout_of(&[
        "survival",
        "--warehouse",
        w,
        "--method",
        "pohar-perme",
        "--where",
        "site_group = 'breast' AND sex = 'female'",
        "--at",
        "365.241",
        "--format",
        "json",
    ]);
    let cli: Value = serde_json::from_str(&out).unwrap();
    let one_year = survival["at"][0]["estimate"].as_f64().unwrap();
    assert!((one_year - cli["table"][0]["surv"].as_f64().unwrap()).abs() < 1e-12, "{survival} vs {cli}");
    let (_, html) = page(&s, "/?measure=survival&site=breast&sex=female&lang=en");
    assert!(html.contains(&format!("<td data-value=\"{one_year}\">")), "the page shows the API's 1-year survival");
}

/// The explorer's spatial clusters are `oncodata scan --by-commune --audience public`'s over the
/// covered areas: the same clusters, members and p-values in the download, small clusters'
/// counts withheld, and the members on the map.
#[test]
fn the_explorer_maps_the_clusters_the_scan_command_finds() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[], &[]);
    let w = wh.to_str().unwrap();
    let s = Server::start(&wh, &[]);
    let (status, html) = page(&s, "/?measure=clusters&site=lung&years=2020-2022&lang=en");
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Spatial clusters — Lung") && html.contains("id=\"table-clusters\""), "{html}");
    let cli: Value = serde_json::from_str(&stdout_of(&[
        "scan",
        "--warehouse",
        w,
        "--by-commune",
        "--site-group",
        "lung",
        "--years",
        "2020-2022",
        "--areas",
        "50",
        "--audience",
        "public",
        "--format",
        "json",
    ]))
    .unwrap();
    let clusters = cli["clusters"].as_array().unwrap();
    assert!(!clusters.is_empty());
    let (status, csv) = page(&s, "/explorer/clusters.csv?site=lung&years=2020-2022");
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "rank,centre,communes,observed,expected,relative_risk,p_value,withheld,members");
    assert_eq!(lines.len() - 1, clusters.len());
    for (line, c) in lines[1..].iter().zip(clusters) {
        let f: Vec<&str> = line.split(',').collect();
        let members: Vec<&str> = c["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
        assert_eq!(f[1], c["centre"].as_str().unwrap());
        assert_eq!(f[8], members.join(";"));
        assert_eq!(f[6].parse::<f64>().unwrap(), c["p_value"].as_f64().unwrap());
        match c.get("withheld") {
            Some(_) => assert!(f[3].is_empty() && f[7] == "frequency", "{line}"),
            None => assert_eq!(f[3].parse::<f64>().unwrap(), c["observed"].as_f64().unwrap()),
        }
        assert!(c.get("withheld").is_some() || c["observed"].as_f64().unwrap() >= 11.0, "{c}");
    }
    let (status, svg) = page(&s, "/explorer/clusters.svg?site=lung&years=2020-2022&lang=en");
    assert_eq!(status, 200);
    assert!(svg.starts_with("<?xml") && svg.contains("data-departement=\"50\""), "{svg}");
    let first: Vec<&str> = clusters[0]["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for m in first {
        assert!(svg.contains(&format!("<title>{m}")), "commune {m} of the most likely cluster on the map");
    }
}

#[test]
fn no_explorer_page_shows_a_count_the_public_policy_withholds() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[], &[]);
    let s = Server::start(&wh, &[]);
    let (_, figure) = s.call("GET", "/api/figures/incidence?by=site_group,sex,area", &Auth::Anonymous, None);
    let mut pages = 0;
    let mut withheld = 0;
    for row in figure["rows"].as_array().unwrap() {
        let (site, sex) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
        let (status, html) = page(&s, &format!("/?site={site}&sex={sex}"));
        assert_eq!(status, 200);
        pages += 1;
        // Every count in the page's tables: the cell after each row's heading.
        for cell in html.split("</th><td").skip(1) {
            if let Some(value) = cell.strip_prefix(" data-value=\"") {
                let n: f64 = value.split('"').next().unwrap().parse().unwrap();
                assert!(n == 0.0 || n >= 11.0, "/?site={site}&sex={sex} shows a count of {n}");
            }
        }
        if !row.as_array().unwrap().last().unwrap().is_null() {
            withheld += 1;
            assert!(
                html.contains("<tr data-key=\"50\"><th scope=\"row\">Manche (50)</th><td class=\"withheld\""),
                "/?site={site}&sex={sex}: the withheld row is marked"
            );
        }
    }
    assert!(pages > 40 && withheld > 0, "{pages} pages, {withheld} withheld");
}

#[test]
fn wrong_selections_and_addresses_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[], &[]);
    let s = Server::start(&wh, &[]);
    for (path, status, says) in [
        ("/?site=lungs", 400, "site=lungs"),
        ("/?years=2022-2020", 400, "first year is after the last"),
        ("/?area=99&lang=en", 400, "area=99"),
        ("/explorer/areas.csv?sex=x", 400, "sex=x"),
        ("/explorer/nothing.csv", 404, "no such download"),
        ("/app/nothing", 404, "no such page"),
        ("/app/applications/x", 404, "not a number"),
        ("/api/figures/survival?site=lung%27%20OR%201%3D1", 422, "not a site group"),
        ("/api/figures/survival?sex=female", 422, "net survival is published by cancer site"),
        ("/?measure=survival&lang=en", 200, "Choose a cancer site"),
        ("/explorer/survival.csv?sex=female", 400, "published by cancer site"),
    ] {
        let (got, body) = page(&s, path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
    for (path, kind) in [("/assets/style.css", "text/css"), ("/assets/app.js", "text/javascript")] {
        let (status, body) = page(&s, path);
        assert_eq!(status, 200, "{path}");
        assert!(!body.is_empty(), "{path} ({kind})");
    }
    for path in
        ["/app", "/app/login", "/app/applications", "/app/review", "/app/quarantine", "/app/admin", "/register?lang=en"]
    {
        let (status, html) = page(&s, path);
        assert_eq!(status, 200, "{path}");
        assert!(html.starts_with("<!doctype html>"), "{path}");
    }
}

#[test]
fn a_stewards_correction_is_ingested_and_the_published_figures_follow_the_new_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[("steve", "steward")], &[]);
    let w = wh.to_str().unwrap();
    let s = Server::start(&wh, &[]);
    let steve = s.login("steve");
    let male_cases = |s: &Server| {
        let (_, f) = s.call("GET", "/api/figures/incidence?by=sex", &Auth::Anonymous, None);
        f["rows"].as_array().unwrap().iter().find(|r| r[0] == "male").unwrap()[1].as_f64().unwrap()
    };
    let before = male_cases(&s);

    // A man's record quarantined for its missing topography: an adenocarcinoma, of the colon.
    let (_, listing) = s.call("GET", "/api/quarantine?rule=record.required", &steve, None);
    let (file, number, raw) = listing["records"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| {
            let file = r["source_file"].as_str().unwrap();
            let n = r["source_record"].as_i64().unwrap();
            let path = format!("/api/quarantine/record?file={}&record={n}", file.replace('/', "%2F"));
            let (_, record) = s.call("GET", &path, &steve, None);
            let raw = record["raw"].as_str().unwrap().to_string();
            let fields: Vec<&str> = raw.split(',').collect();
            (fields[4] == "1" && fields[10].is_empty() && fields[11] == "8140").then(|| (file.to_string(), n, raw))
        })
        .expect("a man's adenocarcinoma without topography in the demo's quarantine");
    let mut fields: Vec<&str> = raw.split(',').collect();
    let pat = fields[0].to_string();
    let notified_before = notified_as(w, &pat);
    fields[10] = "C189";
    let corrected = fields.join(",");
    let (status, fixed) = s.call(
        "POST",
        "/api/quarantine/fix",
        &steve,
        Some(serde_json::json!({"file": file, "record": number, "raw": corrected})),
    );
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["accepted"], true, "{fixed}");
    assert!(fixed["summary"].as_str().unwrap().contains("read 1 = accepted 1 + quarantined 0"), "{fixed}");
    let path = format!("/api/quarantine/record?file={}&record={number}", file.replace('/', "%2F"));
    assert_eq!(s.call("GET", &path, &steve, None).0, 404, "the record left the quarantine");
    let corrections = std::fs::read_dir(wh.join("corrections")).unwrap().count();
    assert_eq!(corrections, 1, "the corrected file is kept under WAREHOUSE/corrections/DATASET/");

    // Linked again, the corrected tumour is a primary of its own person, and the service
    // publishes the new snapshot's figures at once: what `oncodata incidence` computes on it.
    // (Not `before + 1`: without identities, the demo's linkage re-estimates its model on the
    // new candidate pairs, and its persons move by more than the one record.)
    stdout_of(&["link", "--warehouse", w]);
    let notified = notified_as(w, &pat);
    assert_eq!(notified, notified_before + 1, "the corrected tumour is notified in a primary");
    let after = male_cases(&s);
    let cli = command_rows(w, "sex", None, "male,");
    assert!(cli.contains(&format!("male,{after},")), "{cli}");
    assert_ne!(after, before, "the figures are the new snapshot's");
}
