//! The public register of projects as a page: every approved or refused project (title, team,
//! purpose, data, decision, date, duration) and the decisions of each year.

use oncodata_governance::register::Register;

use crate::escape;
use crate::i18n::Lang;
use crate::layout::{Nav, page};

/// The register's page in `lang`.
pub fn page_of(register: &Register, lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let outcome = |o: &str| match o {
        "approved" => t("autorisé", "approved"),
        "expired" => t("terminé", "ended"),
        _ => t("refusé", "refused"),
    };
    let th = |s: &str| format!("<th scope=\"col\">{s}</th>");
    let mut rows = String::new();
    for p in &register.projects {
        rows += &format!(
            "<tr data-project=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            p.id,
            p.id,
            escape(&p.title),
            escape(&p.team.join(", ")),
            escape(&p.purpose),
            escape(&p.data.join(", ")),
            outcome(&p.outcome),
            p.decided,
            p.duration_months
        );
    }
    if register.projects.is_empty() {
        rows += &format!("<tr><td colspan=\"8\">{}</td></tr>", t("Aucune décision à ce jour.", "No decision yet."));
    }
    let mut years = String::new();
    for y in &register.years {
        years += &format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", y.year, y.approved, y.refused);
    }
    let body = format!(
        "<p>{}</p><table id=\"projects\"><caption>{}</caption><thead><tr>{}{}{}{}{}{}{}{}</tr></thead><tbody>{rows}</tbody></table>\
         <table id=\"years\"><caption>{}</caption><thead><tr>{}{}{}</tr></thead><tbody>{years}</tbody></table>\
         <p class=\"downloads\"><a href=\"/api/register\">JSON</a></p>",
        t(
            "Chaque demande d'accès aux données est examinée par le comité scientifique et éthique ; ses décisions sont publiées ici.",
            "Every application for access to the data is reviewed by the scientific and ethics committee; its decisions are published here."
        ),
        t("Projets autorisés et refusés", "Approved and refused projects"),
        th("N°"),
        th(t("Titre", "Title")),
        th(t("Équipe", "Team")),
        th(t("Finalité", "Purpose")),
        th(t("Données", "Data")),
        th(t("Décision", "Decision")),
        th(t("Date", "Date")),
        th(t("Durée (mois)", "Duration (months)")),
        t("Décisions par année", "Decisions per year"),
        th(t("Année", "Year")),
        th(t("Autorisés", "Approved")),
        th(t("Refusés", "Refused")),
    );
    page(
        lang,
        t("Registre public des projets", "Public register of projects"),
        &format!("/register?lang={}", lang.other().tag()),
        Nav::Register,
        &body,
    )
}
