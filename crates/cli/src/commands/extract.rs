//! `oncodata extract`: a project's extract of the linked warehouse, under the project's own
//! pseudonyms keyed by a project key derived from the master key (HMAC-SHA-256,
//! `oncodata_pseudonym::ProjectKey`); what it holds is `oncodata_analyses::extract`'s.

use std::path::PathBuf;

use oncodata_analyses::extract::project_extract;
use oncodata_pseudonym::ProjectBook;

use super::CliResult;
use super::keys::KeysArg;
use crate::WarehouseArg;
use crate::progress::Step;

/// Arguments of `oncodata extract`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    #[command(flatten)]
    keys: KeysArg,
    /// The project's identifier, as the committee registered it: its pseudonyms derive from it.
    #[arg(long, value_name = "ID")]
    project: String,
    /// The folder of the extract (created; must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let dir = &args.warehouse.warehouse;
    let project = args.project.trim();
    if project.is_empty() {
        return Err("--project: give the project's identifier".into());
    }
    if args.out.exists() {
        let mut entries = std::fs::read_dir(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
        if entries.next().is_some() {
            return Err(format!("{}: the extract's folder exists and is not empty", args.out.display()).into());
        }
    }
    let out_abs = std::path::absolute(&args.out)?;
    if out_abs.starts_with(std::path::absolute(dir)?) {
        return Err(format!("{}: the extract must be outside the warehouse", args.out.display()).into());
    }
    let mut keys = args.keys.load(Some(dir))?;
    let w = args.warehouse.open()?;
    let key = keys.project_key(project)?;
    let mut book = ProjectBook::open(&keys.key_file().path, project)?;
    let step = Step::start("extracting");
    let report = w
        .block_on(project_extract(&w, project, &mut |sources| book.assign(&key, sources), &args.out, &|stage| {
            step.set(stage)
        }))
        .inspect_err(|_| step.clear())?;
    book.save().inspect_err(|_| step.clear())?;
    if book.merged() > 0 {
        eprintln!(
            "note: {} person(s) of this extract were two persons in an earlier one (linkage merged them): each \
             carries the pseudonym one of the two had",
            book.merged()
        );
    }
    super::audit::record(
        dir,
        "extract",
        serde_json::json!({
            "project": project,
            "persons": report.persons,
            "primaries": report.primaries,
            "care_events": report.care_events,
        }),
    )
    .inspect_err(|_| step.clear())?;
    step.done(&format!(
        "extract of project {project}: {} persons, {} primaries, {} care events under the project's pseudonyms in {} \
         (query it with: oncodata sql --warehouse {})",
        report.persons,
        report.primaries,
        report.care_events,
        args.out.display(),
        args.out.display()
    ));
    Ok(())
}
