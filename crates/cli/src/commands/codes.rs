//! `oncodata codes`: validity and conversions of one ICD-O-3 code pair.

use oncodata_coding::{Morphology, Sex, Topography, iccc, icd10, site_group};

use super::{CliResult, Format};

/// Arguments of `oncodata codes`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// ICD-O-3 topography, `C50.9` or `C509`.
    topography: String,
    /// ICD-O-3 morphology and behaviour, `8500/3`.
    morphology: String,
    /// The person's sex (1/2/9, male/female/unknown): a few ICD-10 codes depend on it.
    #[arg(long, default_value = "unknown", value_parser = parse_sex)]
    sex: Sex,
}

fn parse_sex(text: &str) -> Result<Sex, String> {
    Sex::parse(text).ok_or_else(|| format!("'{text}' is not a sex: give 1, 2, 9, male, female or unknown"))
}

/// Checks the codes and prints their conversions.
pub fn run(args: Args) -> CliResult {
    let t = Topography::parse_valid(&args.topography)?;
    let (m, b) = Morphology::parse_with_behaviour(&args.morphology)?;
    if !m.is_valid() {
        return Err(format!("ICD-O-3 morphology '{m}' does not exist in ICD-O-3.1").into());
    }
    let icd = icd10::from_icdo3(t, m, b, args.sex);
    let sub = iccc::classify(t, m, b);
    let group = site_group::classify(t, m, b);
    let fields: Vec<(&str, String)> = vec![
        ("topography", format!("{t} ({})", t.site_title().unwrap_or(""))),
        ("morphology", format!("{m}/{b} ({})", m.block_title().unwrap_or(""))),
        (
            "behaviour_usual",
            if m.behaviour_is_usual(b) { "yes".into() } else { format!("no: /{b} is unusual for {m}") },
        ),
        ("icd10", icd.clone().unwrap_or_else(|e| format!("none ({e})"))),
        (
            "iccc3",
            sub.map(|s| {
                format!("{} {} (group {}: {})", s.subgroup, s.title, s.group, iccc::group_title(s.group).unwrap_or(""))
            })
            .unwrap_or_else(|| "not classified".into()),
        ),
        (
            "site_group",
            group
                .map(|g| format!("{} ({} / {})", g.id, g.title, g.titre))
                .unwrap_or_else(|| "none (not invasive)".into()),
        ),
    ];
    match args.format {
        Format::Json => {
            let obj: serde_json::Map<String, serde_json::Value> = [
                ("topography", serde_json::json!(t.to_string())),
                ("morphology", serde_json::json!(m.to_string())),
                ("behaviour", serde_json::json!(b.code())),
                ("icd10", serde_json::json!(icd.ok())),
                ("iccc3", serde_json::json!(sub.map(|s| s.subgroup))),
                ("site_group", serde_json::json!(group.map(|g| g.id))),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            println!("{}", serde_json::Value::Object(obj));
        }
        _ => {
            for (k, v) in fields {
                println!("{k:<16} {v}");
            }
        }
    }
    Ok(())
}
