//! `oncodata link-files`: probabilistic linkage of two CSV files (Fellegi-Sunter, parameters
//! estimated from the files themselves), writing the likely pairs.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

use oncodata_link::{Config, Records, evaluate, link};

use super::CliResult;
use crate::progress::Step;

/// Arguments of `oncodata link-files`.
#[derive(clap::Args)]
pub struct Args {
    /// The left file (CSV with a header).
    #[arg(long, value_name = "FILE")]
    left: PathBuf,
    /// The right file.
    #[arg(long, value_name = "FILE")]
    right: PathBuf,
    /// The linkage configuration (TOML): id columns, compared fields and comparators, optional
    /// blocking rules and threshold.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Where to write the pairs: left_id, right_id, match_weight, match_probability.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Override the configuration's match-probability threshold.
    #[arg(long, value_name = "P")]
    threshold: Option<f64>,
    /// Write the fitted model (m and u per field and level, λ, blocking rules) as JSON.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Known links (CSV: left_id,right_id) to score the output against: precision, recall, F1.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let started = std::time::Instant::now();
    let mut config = Config::load(&args.config)?;
    if let Some(t) = args.threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(format!("--threshold {t}: a probability from 0 to 1").into());
        }
        config.threshold = t;
    }
    let fields = config.field_names();
    let step = Step::start("reading the files");
    let left = Records::read_csv(&args.left, &config.left_id, &fields)?;
    let right = Records::read_csv(&args.right, &config.right_id, &fields)?;
    let linkage = link(&left, &right, &config, &|stage| step.set(stage))?;
    let rules: Vec<String> = linkage.rules.iter().map(|(r, n)| format!("{} ({n} pairs)", r.join(" & "))).collect();
    step.done(&format!(
        "{} × {} records; blocking on {}; {} candidate pairs; {} pairs with match probability >= {}",
        left.len(),
        right.len(),
        rules.join(", "),
        linkage.candidates,
        linkage.pairs.len(),
        config.threshold
    ));

    let io = |e: std::io::Error| format!("{}: {e}", args.out.display());
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out).map_err(io)?);
    writeln!(out, "left_id,right_id,match_weight,match_probability").map_err(io)?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        for p in &linkage.pairs {
            let (l, r) = (left.id(p.left as usize), right.id(p.right as usize));
            w.write_record([l, r, &format!("{:.6}", p.weight), &format!("{:.9}", p.probability)])
                .map_err(|e| format!("{}: {e}", args.out.display()))?;
        }
        w.flush().map_err(io)?;
    }
    out.flush().map_err(io)?;
    // The linkage's own time, from reading the files to the pairs written: what a benchmark
    // compares with a peer's in-process timer (bench/link.sh).
    eprintln!("linked in {:.3} s (reading, training, scoring, writing the pairs)", started.elapsed().as_secs_f64());

    if let Some(path) = &args.model {
        let model = serde_json::json!({
            "lambda": linkage.model.lambda,
            "blocking": linkage.rules.iter().map(|(r, n)| serde_json::json!({"fields": r, "pairs": n})).collect::<Vec<_>>(),
            "candidates": linkage.candidates,
            "fields": linkage.model.fields,
        });
        std::fs::write(path, serde_json::to_string_pretty(&model)?).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.truth {
        let file = path.display().to_string();
        let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{file}: {e}"))?;
        let mut truth = HashSet::new();
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| format!("{file} line {}: {e}", i + 2))?;
            let (Some(l), Some(r)) = (row.get(0), row.get(1)) else {
                return Err(format!("{file} line {}: expected left_id,right_id", i + 2).into());
            };
            truth.insert((l.trim().to_string(), r.trim().to_string()));
        }
        let s = evaluate(linkage.pairs.iter().map(|p| (left.id(p.left as usize), right.id(p.right as usize))), &truth);
        println!(
            "precision {:.4}  recall {:.4}  F1 {:.4}  (true positives {}, false positives {}, false negatives {})",
            s.precision, s.recall, s.f1, s.true_positives, s.false_positives, s.false_negatives
        );
    }
    Ok(())
}
