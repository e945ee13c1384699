//! Project workspaces: built from a permit when it is granted or replaced (and at start, for any
//! permit whose workspace is behind), one at a time, each a warehouse of its own in
//! `WAREHOUSE/workspaces/ID/` under the project's pseudonyms; and queried by its members.

use std::path::{Path, PathBuf};

use oncodata_analyses::workspace::{Precision, Restriction, build_workspace};
use oncodata_governance::Governance;
use oncodata_governance::applications::{DatePrecision, Form};
use oncodata_governance::workspaces::Build;
use oncodata_pseudonym::{KeyFile, ProjectBook, Pseudonymiser};
use oncodata_warehouse::Warehouse;
use tokio::sync::mpsc;

/// Where workspaces are built, and with which keys.
#[derive(Clone)]
pub struct Workspaces {
    /// The warehouse they are extracts of.
    pub warehouse: PathBuf,
    /// The folder of the workspaces.
    pub root: PathBuf,
    /// The pseudonymisation key file (the projects' keys and books).
    pub keys: PathBuf,
    queue: mpsc::UnboundedSender<i64>,
}

/// The project identifier a workspace's pseudonyms are keyed by.
pub fn project_name(id: i64) -> String {
    format!("application-{id}")
}

/// What a permit's form lets a workspace hold.
pub fn restriction(form: &Form) -> Restriction {
    Restriction {
        columns: form.variables.clone(),
        site_groups: form.populations.site_groups.clone(),
        years: form.populations.years.map(|[a, b]| (a, b)),
        areas: form.populations.areas.clone(),
        sexes: form.populations.sexes.clone(),
        precision: match form.date_precision {
            DatePrecision::Day => Precision::Day,
            DatePrecision::Month => Precision::Month,
            DatePrecision::Year => Precision::Year,
        },
        show_sources: form.show_sources,
    }
}

impl Workspaces {
    /// Starts the builder (a task building one workspace at a time) and queues the workspaces
    /// behind their permits.
    pub async fn start(
        governance: Governance,
        warehouse: PathBuf,
        keys: PathBuf,
    ) -> Result<Self, oncodata_governance::GovernanceError> {
        let (queue, mut next) = mpsc::unbounded_channel::<i64>();
        let workspaces = Workspaces { root: warehouse.join("workspaces"), warehouse, keys, queue };
        for id in governance.workspaces_behind().await? {
            workspaces.schedule(id);
        }
        let builder = workspaces.clone();
        tokio::spawn(async move {
            while let Some(id) = next.recv().await {
                builder.build(&governance, id).await;
            }
        });
        Ok(workspaces)
    }

    /// Queues project `id`'s workspace for a build (after its permit was granted or replaced).
    pub fn schedule(&self, id: i64) {
        let _ = self.queue.send(id);
    }

    /// The folder of project `id`'s release log (its exports), beside its workspace and kept
    /// across rebuilds.
    pub fn ledger(&self, id: i64) -> PathBuf {
        self.root.join(format!("{id}.releases"))
    }

    /// Project `id`'s workspace folder.
    pub fn folder(&self, id: i64) -> PathBuf {
        self.root.join(id.to_string())
    }

    /// Builds project `id`'s workspace from its permit in force, recording how it went.
    async fn build(&self, governance: &Governance, id: i64) {
        let permit = match governance.permit(id).await {
            Ok(Some(p)) if p.in_force => p,
            Ok(_) => return,
            Err(e) => {
                eprintln!("oncodata serve: workspace {id}: {e}");
                return;
            }
        };
        match governance.workspace(id).await {
            Ok(Some(w)) if w.version == permit.version && w.state == Build::Ready => return,
            Ok(_) => {}
            Err(e) => {
                eprintln!("oncodata serve: workspace {id}: {e}");
                return;
            }
        }
        if let Err(e) = governance.set_workspace(id, permit.version, Build::Building, "").await {
            eprintln!("oncodata serve: workspace {id}: {e}");
            return;
        }
        let (state, message) = match self.build_folder(id, &permit.form).await {
            Ok(report) => (
                Build::Ready,
                format!(
                    "{} persons, {} primaries, {} care events",
                    report.persons, report.primaries, report.care_events
                ),
            ),
            Err(e) => {
                eprintln!("oncodata serve: workspace {id}: {e}");
                (Build::Failed, e)
            }
        };
        if let Err(e) = governance.set_workspace(id, permit.version, state, &message).await {
            eprintln!("oncodata serve: workspace {id}: {e}");
        }
    }

    /// Writes the workspace beside the one in use, then puts it in its place.
    async fn build_folder(&self, id: i64, form: &Form) -> Result<oncodata_analyses::extract::ExtractReport, String> {
        let keys_missing = || {
            format!(
                "no key file at {}: create one with `oncodata keys init --keys {}` and restart the server",
                self.keys.display(),
                self.keys.display()
            )
        };
        if !self.keys.exists() {
            return Err(keys_missing());
        }
        let project = project_name(id);
        let mut keys = Pseudonymiser::new(KeyFile::load(&self.keys).map_err(|e| e.to_string())?);
        let key = keys.project_key(&project).map_err(|e| e.to_string())?;
        let mut book = ProjectBook::open(&self.keys, &project).map_err(|e| e.to_string())?;
        let w = Warehouse::open(&self.warehouse).map_err(|e| e.to_string())?;
        let next = self.root.join(format!("{id}.next"));
        remove(&next)?;
        let report = build_workspace(
            &w,
            &project,
            &mut |sources| book.assign(&key, sources),
            &restriction(form),
            &next,
            &|_| {},
        )
        .await
        .map_err(|e| e.to_string())?;
        book.save().map_err(|e| e.to_string())?;
        let current = self.folder(id);
        let old = self.root.join(format!("{id}.old"));
        remove(&old)?;
        if current.exists() {
            std::fs::rename(&current, &old).map_err(|e| format!("{}: {e}", current.display()))?;
        }
        std::fs::rename(&next, &current).map_err(|e| format!("{}: {e}", next.display()))?;
        remove(&old)?;
        Ok(report)
    }
}

fn remove(path: &Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("{}: {e}", path.display())),
        _ => Ok(()),
    }
}
