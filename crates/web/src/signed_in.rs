//! The signed-in pages, one per task of a role: sign in; the applicant's applications and form;
//! an application with its reviews, requested changes and decisions; the committee's queue; a
//! project's workspace (SQL editor, saved queries, exports through output checking); the data
//! steward's quarantine and quality reports; the administrator's users and audit log.
//!
//! Each page is a frame with its labels and forms in the page's language; `app.js` fills it from
//! the service's JSON API (with the session cookie, and the CSRF token on every change), so the
//! pages show exactly what the API lets the caller see — the rights are checked there, once.

use crate::escape;
use crate::i18n::Lang;
use crate::layout::{Nav, page};

/// A signed-in page: its name (`data-page`, what `app.js` fills), title, address and body.
fn frame(lang: Lang, name: &str, title: &str, path: &str, body: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    page(
        lang,
        title,
        &format!("{path}{sep}lang={}", lang.other().tag()),
        Nav::Workspace,
        &format!(
            "<nav class=\"roles\" aria-label=\"{}\" id=\"role-nav\"></nav><p id=\"message\" role=\"status\" aria-live=\"polite\"></p>\
             <div data-page=\"{name}\" data-lang=\"{}\">{body}</div>",
            lang.t("Mes espaces", "My spaces"),
            lang.tag()
        ),
    )
}

fn text_field(name: &str, label: &str, kind: &str, required: bool) -> String {
    let req = match (required, name) {
        (true, "name") => " required autocomplete=\"username\"",
        (true, "password") => " required autocomplete=\"current-password\"",
        (true, "new-password") => " required autocomplete=\"new-password\"",
        (true, _) => " required",
        (false, _) => "",
    };
    match kind {
        "textarea" => format!(
            "<div class=\"field wide\"><label for=\"{name}\">{label}</label><textarea id=\"{name}\" name=\"{name}\" rows=\"3\"{req}></textarea></div>"
        ),
        _ => format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" type=\"{kind}\"{req}></div>"
        ),
    }
}

/// The sign-in page.
pub fn login(lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<form id=\"login\" class=\"stacked\">{}{}<button type=\"submit\">{}</button></form>",
        text_field("name", t("Identifiant", "User name"), "text", true),
        text_field("password", t("Mot de passe", "Password"), "password", true),
        t("Se connecter", "Sign in"),
    );
    frame(lang, "login", t("Connexion", "Sign in"), "/app/login", &body)
}

/// The signed-in home: who is signed in and the pages of their role.
pub fn home(lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<p id=\"whoami\"></p><ul id=\"tasks\"></ul><p><button type=\"button\" id=\"logout\">{}</button></p>",
        t("Se déconnecter", "Sign out")
    );
    frame(lang, "home", t("Espace de travail", "Workspace"), "/app", &body)
}

/// The application form's fields (new, or an application to change): the variables offered are
/// the warehouse's catalogue (`table.column`).
fn application_form(lang: Lang, catalog: &[String]) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let mut variables = String::new();
    for (i, v) in catalog.iter().enumerate() {
        variables += &format!(
            "<label class=\"check\"><input type=\"checkbox\" name=\"variables\" value=\"{}\" id=\"var-{i}\"> {}</label>",
            escape(v),
            escape(v)
        );
    }
    let sites: String = oncodata_coding::site_group::in_report_order()
        .map(|g| format!("<option value=\"{}\">{}</option>", g.id, escape(lang.t(g.titre, g.title))))
        .collect();
    format!(
        "<form id=\"application-form\" class=\"stacked\">{}{}{}{}{}\
         <fieldset><legend>{}</legend><div class=\"checks\">{variables}</div></fieldset>\
         <fieldset><legend>{}</legend><div class=\"field\"><label for=\"site_groups\">{}</label><select id=\"site_groups\" name=\"site_groups\" multiple size=\"6\">{sites}</select></div>\
         {}{}</fieldset>{}{}\
         <p><button type=\"submit\" name=\"action\" value=\"save\">{}</button> <button type=\"submit\" name=\"action\" value=\"submit\">{}</button></p></form>",
        text_field("title", t("Titre du projet", "Project title"), "text", true),
        text_field("objectives", t("Objectifs", "Objectives"), "textarea", true),
        text_field("public_interest", t("Intérêt public", "Public interest"), "textarea", true),
        text_field("methodology", t("Méthodologie", "Methodology"), "textarea", true),
        text_field("legal_basis", t("Base légale", "Legal basis"), "textarea", true),
        t("Variables demandées", "Variables requested"),
        t("Population demandée (vide : toute)", "Population requested (empty: all)"),
        t("Localisations", "Cancer sites"),
        text_field("year_from", t("Première année de diagnostic", "First year of diagnosis"), "number", false),
        text_field("year_to", t("Dernière année de diagnostic", "Last year of diagnosis"), "number", false),
        text_field(
            "members",
            t(
                "Membres de l'équipe (identifiants, séparés par des virgules)",
                "Team members (user names, comma-separated)"
            ),
            "text",
            false
        ),
        text_field("duration_months", t("Durée (mois)", "Duration (months)"), "number", true),
        t("Enregistrer le brouillon", "Save the draft"),
        t("Soumettre au comité", "Submit to the committee"),
    )
}

/// The applicant's applications and a new application.
pub fn applications(lang: Lang, catalog: &[String]) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<section aria-labelledby=\"mine\"><h2 id=\"mine\">{}</h2><table id=\"applications\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">N°</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody></tbody></table></section>\
         <section aria-labelledby=\"new\"><h2 id=\"new\">{}</h2>{}</section>",
        t("Mes demandes", "My applications"),
        t("Demandes et leur état", "Applications and their state"),
        t("Titre", "Title"),
        t("Demandeur", "Applicant"),
        t("État", "State"),
        t("Nouvelle demande d'accès", "New application for access"),
        application_form(lang, catalog),
    );
    frame(lang, "applications", t("Demandes d'accès", "Applications for access"), "/app/applications", &body)
}

/// One application: its form, state and history, reviews, requested changes and decisions, and
/// the steps the caller may take (the committee's conflict, opinion and decision forms).
pub fn application(lang: Lang, id: i64, catalog: &[String]) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<div id=\"application\" data-id=\"{id}\"><dl id=\"summary\"></dl>\
         <section aria-labelledby=\"h-decisions\"><h2 id=\"h-decisions\">{}</h2><ul id=\"decisions\"></ul></section>\
         <section aria-labelledby=\"h-reviews\"><h2 id=\"h-reviews\">{}</h2><ul id=\"reviews\"></ul><ul id=\"conflicts\"></ul></section>\
         <section aria-labelledby=\"h-history\"><h2 id=\"h-history\">{}</h2><ol id=\"history\"></ol></section>\
         <section aria-labelledby=\"h-actions\"><h2 id=\"h-actions\">{}</h2><div id=\"steps\"></div>\
         <form id=\"conflict-form\" class=\"stacked committee\" hidden>{}<button type=\"submit\">{}</button></form>\
         <form id=\"review-form\" class=\"stacked committee\" hidden><div class=\"field\"><label for=\"opinion\">{}</label><select id=\"opinion\" name=\"opinion\">\
         <option value=\"favourable\">{}</option><option value=\"favourable_with_conditions\">{}</option><option value=\"unfavourable\">{}</option></select></div>{}<button type=\"submit\">{}</button></form>\
         <form id=\"decision-form\" class=\"stacked committee\" hidden><div class=\"field\"><label for=\"outcome\">{}</label><select id=\"outcome\" name=\"outcome\">\
         <option value=\"approve\">{}</option><option value=\"approve_with_conditions\">{}</option><option value=\"request_changes\">{}</option><option value=\"reject\">{}</option></select></div>{}{}<button type=\"submit\">{}</button></form>\
         </section><section id=\"edit\" aria-labelledby=\"h-edit\" hidden><h2 id=\"h-edit\">{}</h2>{}</section></div>",
        t("Décisions du comité", "Committee decisions"),
        t("Avis des rapporteurs", "Reviewers' opinions"),
        t("Historique", "History"),
        t("Actions", "Actions"),
        text_field("reason", t("Conflit d'intérêts : motif", "Conflict of interest: reason"), "textarea", true),
        t("Déclarer un conflit (et se déporter)", "Declare a conflict (and stand aside)"),
        t("Avis", "Opinion"),
        t("favorable", "favourable"),
        t("favorable sous conditions", "favourable with conditions"),
        t("défavorable", "unfavourable"),
        text_field("comment", t("Commentaire", "Comment"), "textarea", false),
        t("Donner l'avis", "Give the opinion"),
        t("Décision", "Decision"),
        t("autoriser", "approve"),
        t("autoriser sous conditions", "approve with conditions"),
        t("demander des modifications", "request changes"),
        t("refuser", "reject"),
        text_field("motivation", t("Motivation", "Reasons"), "textarea", true),
        text_field("conditions", t("Conditions", "Conditions"), "textarea", false),
        t("Rendre la décision", "Decide"),
        t("Modifier la demande", "Change the application"),
        application_form(lang, catalog),
    );
    frame(
        lang,
        "application",
        &format!("{} {id}", t("Demande", "Application")),
        &format!("/app/applications/{id}"),
        &body,
    )
}

/// The committee's and stewards' queue: every application they may read, by state.
pub fn queue(lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<table id=\"queue\"><caption>{}</caption><thead><tr><th scope=\"col\">N°</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody></tbody></table>",
        t("Demandes à examiner et examinées", "Applications to review and reviewed"),
        t("Titre", "Title"),
        t("Demandeur", "Applicant"),
        t("État", "State"),
        t("Mise à jour", "Updated"),
    );
    frame(lang, "queue", t("File d'examen du comité", "Committee review queue"), "/app/review", &body)
}

/// A project's workspace: the permit and the workspace's state, the SQL editor with its results,
/// saved queries, exports through output checking, API tokens.
pub fn project(lang: Lang, id: i64) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<div id=\"project\" data-id=\"{id}\"><dl id=\"permit\"></dl>\
         <section aria-labelledby=\"h-sql\"><h2 id=\"h-sql\">{}</h2><form id=\"sql-form\" class=\"stacked\">\
         <div class=\"field wide\"><label for=\"sql\">{}</label><textarea id=\"sql\" name=\"sql\" rows=\"6\" spellcheck=\"false\" class=\"code\">SELECT sex, count(*) AS persons FROM persons GROUP BY sex ORDER BY sex</textarea></div>\
         <p><button type=\"submit\" name=\"action\" value=\"run\">{}</button> <button type=\"submit\" name=\"action\" value=\"export\">{}</button></p>\
         <div class=\"field\"><label for=\"query-name\">{}</label><input id=\"query-name\" name=\"query_name\" type=\"text\"></div>\
         <p><button type=\"submit\" name=\"action\" value=\"save\">{}</button></p></form>\
         <div id=\"result\" aria-live=\"polite\"></div></section>\
         <section aria-labelledby=\"h-saved\"><h2 id=\"h-saved\">{}</h2><ul id=\"saved\"></ul></section>\
         <section aria-labelledby=\"h-tables\"><h2 id=\"h-tables\">{}</h2><p>{}</p></section></div>",
        t("Requête SQL", "SQL query"),
        t("Requête (lecture seule, sur les tables du projet)", "Query (read-only, on the project's tables)"),
        t("Exécuter", "Run"),
        t("Exporter (contrôle de sortie)", "Export (output checking)"),
        t("Nom de la requête", "Query name"),
        t("Enregistrer la requête", "Save the query"),
        t("Requêtes enregistrées", "Saved queries"),
        t("Tables", "Tables"),
        t(
            "persons, primaries, care_events : les variables du permis, sous les pseudonymes du projet. Un export ne sort que des agrégats qui passent le contrôle de la divulgation.",
            "persons, primaries, care_events: the permit's variables, under the project's pseudonyms. An export releases only aggregates that pass disclosure control."
        ),
    );
    frame(lang, "project", &format!("{} {id}", t("Projet", "Project")), &format!("/app/projects/{id}"), &body)
}

/// The data steward's quarantine (records by rule, their source text, the correction and
/// re-ingest) and quality reports.
pub fn quarantine(lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let body = format!(
        "<section aria-labelledby=\"h-rules\"><h2 id=\"h-rules\">{}</h2><table id=\"rules\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody></tbody></table></section>\
         <section id=\"record\" aria-labelledby=\"h-record\" hidden><h2 id=\"h-record\">{}</h2><dl id=\"record-facts\"></dl><ul id=\"record-rules\"></ul>\
         <form id=\"fix-form\" class=\"stacked\"><div class=\"field wide\"><label for=\"raw\">{}</label><textarea id=\"raw\" name=\"raw\" rows=\"4\" class=\"code\" spellcheck=\"false\"></textarea></div>\
         <p><button type=\"submit\">{}</button></p></form><div id=\"fix-result\" aria-live=\"polite\"></div></section>\
         <section aria-labelledby=\"h-records\"><h2 id=\"h-records\">{}</h2><table id=\"records\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody></tbody></table></section>\
         <section aria-labelledby=\"h-quality\"><h2 id=\"h-quality\">{}</h2><table id=\"quality\"><caption>{}</caption><thead></thead><tbody></tbody></table></section>",
        t("Quarantaine par règle", "Quarantine by rule"),
        t("Enregistrements rejetés par règle de contrôle", "Records rejected by edit check"),
        t("Règle", "Rule"),
        t("Description", "Description"),
        t("Enregistrements", "Records"),
        t("Enregistrement", "Record"),
        t("Texte source (à corriger)", "Source text (to correct)"),
        t("Corriger et réintégrer", "Fix and re-ingest"),
        t("Enregistrements en quarantaine", "Quarantined records"),
        t("Sélectionnez un enregistrement pour voir son texte source", "Select a record to see its source text"),
        t("Jeu de données", "Dataset"),
        t("Fichier", "File"),
        t("N°", "No."),
        t("Identifiant", "Record id"),
        t("Règles", "Rules"),
        t("Qualité par registre, localisation et année", "Quality by registry, site and year"),
        t(
            "Indicateurs de qualité (SI, VM %, DCO %, âge inconnu %)",
            "Quality indicators (MV %, DCO %, age unknown %…)"
        ),
    );
    frame(lang, "quarantine", t("Quarantaine et qualité", "Quarantine and quality"), "/app/quarantine", &body)
}

/// The administrator's users and audit log.
pub fn admin(lang: Lang) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let roles = ["applicant", "committee", "steward", "admin"]
        .iter()
        .map(|r| format!("<option value=\"{r}\">{r}</option>"))
        .collect::<String>();
    let body = format!(
        "<section aria-labelledby=\"h-users\"><h2 id=\"h-users\">{}</h2><table id=\"users\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody></tbody></table>\
         <form id=\"user-form\" class=\"stacked\">{}<div class=\"field\"><label for=\"role\">{}</label><select id=\"role\" name=\"role\">{roles}</select></div>{}\
         <button type=\"submit\">{}</button></form></section>\
         <section aria-labelledby=\"h-audit\"><h2 id=\"h-audit\">{}</h2><dl id=\"audit\"></dl><p><button type=\"button\" id=\"checkpoint\">{}</button></p></section>",
        t("Comptes", "Accounts"),
        t("Comptes et rôles", "Accounts and roles"),
        t("Identifiant", "User name"),
        t("Rôle", "Role"),
        t("État", "State"),
        t("Action", "Action"),
        text_field("new-name", t("Identifiant", "User name"), "text", true),
        t("Rôle", "Role"),
        text_field(
            "new-password",
            t("Mot de passe initial (12 caractères au moins)", "Initial password (at least 12 characters)"),
            "password",
            true
        ),
        t("Créer le compte", "Create the account"),
        t("Journal d'audit", "Audit log"),
        t("Signer un point de contrôle", "Sign a checkpoint"),
    );
    frame(lang, "admin", t("Administration", "Administration"), "/app/admin", &body)
}
