//! `oncodata link`: link the warehouse's source patients into persons (deterministic pass on
//! the pseudonymised national and claims ids, Fellegi–Sunter for the rest, constrained
//! clustering), write `persons`, `person_records` and `link_review`, consolidate the persons'
//! tumour records into `primaries` under the IARC/IACR multiple-primary rules
//! (`oncodata_link::on_warehouse`), and score against a synthetic truth; `oncodata link review` lists and decides the uncertain
//! pairs.

use std::path::PathBuf;

use oncodata_link::on_warehouse::{DECISIONS_HEADER, decisions_path, link_warehouse, read_decisions, read_truth};
use oncodata_link::persons::{Options, person_scores};
use oncodata_warehouse::Value;

use super::CliResult;
use crate::WarehouseArg;
use crate::progress::Step;

/// Arguments of `oncodata link`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    review: Option<Review>,
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Pairs with a match probability at or above this are linked.
    #[arg(long, value_name = "P", default_value_t = 0.5)]
    threshold: f64,
    /// Pairs from this probability up to the threshold go to the review queue.
    #[arg(long, value_name = "P", default_value_t = 0.2)]
    review_from: f64,
    /// A synthetic data set's truth folder (records.csv): print pairwise and cluster precision,
    /// recall and F1.
    #[arg(long, value_name = "DIR")]
    truth: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Review {
    /// List the pairs waiting for review, or decide some: `--same N` / `--different N`.
    Review(ReviewArgs),
}

/// Arguments of `oncodata link review`.
#[derive(clap::Args)]
struct ReviewArgs {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Pairs (numbers from the list) that are the same person.
    #[arg(long, value_name = "N", value_delimiter = ',')]
    same: Vec<u64>,
    /// Pairs that are different persons.
    #[arg(long, value_name = "N", value_delimiter = ',')]
    different: Vec<u64>,
    /// Who decides (kept with the decision).
    #[arg(long, value_name = "NAME", default_value = "reviewer")]
    by: String,
    /// Pairs listed at most.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    if let Some(Review::Review(r)) = args.review {
        return review(r);
    }
    for (name, p) in [("--threshold", args.threshold), ("--review-from", args.review_from)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("{name} {p}: a probability from 0 to 1").into());
        }
    }
    if args.review_from > args.threshold {
        return Err("--review-from is above --threshold".into());
    }
    let dir = &args.warehouse.warehouse;
    let w = args.warehouse.open()?;
    // Every table the linkage writes is published in one snapshot.
    w.begin("link")?;
    let step = Step::start("reading the source patients");
    let decisions = read_decisions(&decisions_path(dir))?;
    let options = Options { threshold: args.threshold, review_from: args.review_from, ..Options::default() };
    let done = link_warehouse(&w, &options, &decisions, &|stage| step.set(stage)).inspect_err(|_| step.clear())?;
    let (records, linkage) = (&done.records, &done.linkage);
    step.done(&format!(
        "{} source patients → {} persons: {} deterministic links (national or claims id), {} probabilistic \
         (p >= {}), {} merges refused by the constraints; {} pairs for review; {} candidate pairs",
        records.len(),
        linkage.persons,
        linkage.deterministic,
        linkage.probabilistic,
        args.threshold,
        linkage.refused,
        linkage.review.len(),
        linkage.candidates
    ));
    println!(
        "persons: {} (tables persons, person_records); review queue: {} pairs (oncodata link review)",
        linkage.persons,
        linkage.review.len()
    );
    let tumours = &done.tumours;
    println!("{}", tumours.summary());
    if let Some(id) = w.commit()? {
        println!("snapshot {id} published (oncodata snapshots list)");
    }

    if let Some(truth_dir) = &args.truth {
        let truth = read_truth(truth_dir, records, &done.files)?;
        let known = truth.iter().filter(|t| t.is_some()).count();
        let true_person: Vec<Option<u64>> = truth.iter().map(|t| t.map(|(p, _)| p)).collect();
        let (pairwise, cluster) = person_scores(&linkage.person_of, &true_person);
        println!("against {} ({known} of {} records with a true person):", truth_dir.display(), records.len());
        // Tumour records: the primary each fell in, against its patient record's true tumour.
        let primary_of = tumours.primary_of();
        let true_tumour: Vec<Option<u64>> = tumours.patient_of.iter().map(|&p| truth[p].map(|(_, t)| t)).collect();
        let (tumour_pairs, _) = person_scores(&primary_of, &true_tumour);
        for (what, s) in [("pairwise", pairwise), ("cluster", cluster), ("tumours", tumour_pairs)] {
            println!(
                "  {what:<8}  precision {:.4}  recall {:.4}  F1 {:.4}  (TP {}, FP {}, FN {})",
                s.precision, s.recall, s.f1, s.true_positives, s.false_positives, s.false_negatives
            );
        }
    }
    Ok(())
}

/// `oncodata link review`.
fn review(args: ReviewArgs) -> CliResult {
    let dir = &args.warehouse.warehouse;
    let w = args.warehouse.open()?;
    if !w.tables()?.iter().any(|t| t == "link_review") {
        return Err(format!("{}: no review queue yet; run `oncodata link` first", dir.display()).into());
    }
    let rows = w.query("SELECT * FROM link_review ORDER BY pair")?;
    let columns = rows.columns();
    let rows = rows.rows()?;
    if args.same.is_empty() && args.different.is_empty() {
        if rows.is_empty() {
            println!("no pair waits for review");
            return Ok(());
        }
        println!("{} pairs wait for review (decide with --same N,… or --different N,…):", rows.len());
        for r in rows.iter().take(args.limit) {
            println!(
                "#{} {} {} ↔ {} {}  p = {:.3} ({})",
                r[0].as_text(),
                r[1].as_text(),
                r[2].as_text(),
                r[3].as_text(),
                r[4].as_text(),
                r[5].as_f64().unwrap_or(0.0),
                r[7].as_text()
            );
            let levels: Vec<String> =
                columns.iter().zip(r).skip(8).map(|(c, v)| format!("{c}: {}", v.as_text())).collect();
            println!("    {}", levels.join(" · "));
        }
        return Ok(());
    }
    let path = decisions_path(dir);
    std::fs::create_dir_all(path.parent().expect("inside the warehouse"))?;
    let new = !path.exists();
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let mut out = csv::Writer::from_writer(file);
    if new {
        out.write_record(DECISIONS_HEADER)?;
    }
    let at = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let mut decided = 0;
    for (numbers, decision) in [(&args.same, "same"), (&args.different, "different")] {
        for n in numbers {
            let Some(r) = rows.iter().find(|r| r[0] == Value::Int(*n as i64)) else {
                return Err(format!("pair {n} is not in the review queue").into());
            };
            let t = |i: usize| r[i].as_text();
            out.write_record([t(1), t(2), t(3), t(4), decision.to_string(), args.by.clone(), at.clone()])?;
            decided += 1;
        }
    }
    out.flush()?;
    println!("✓ {decided} decisions recorded in {}; run `oncodata link` to apply them", path.display());
    Ok(())
}
