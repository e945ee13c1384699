//! The frame of every page: language, title, the skip link, the header with its navigation and
//! language switch, the footer; the stylesheet and scripts from `/assets/`.

use crate::escape;
use crate::i18n::Lang;

/// The entry of the navigation a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    /// The public explorer.
    Explorer,
    /// The public register.
    Register,
    /// The signed-in pages.
    Workspace,
}

/// A whole page: `title`, `switch` (the same page's address in the other language), the
/// navigation entry it is under, and its body.
pub fn page(lang: Lang, title: &str, switch: &str, nav: Nav, body: &str) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let current = |n: Nav| if n == nav { " aria-current=\"page\"" } else { "" };
    let q = format!("?lang={}", lang.tag());
    format!(
        r##"<!doctype html>
<html lang="{tag}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · oncodata</title>
<link rel="stylesheet" href="/assets/style.css">
<script src="/assets/explorer.js" defer></script>
<script src="/assets/app.js" defer></script>
</head><body>
<a class="skip" href="#main">{skip}</a>
<header><p class="brand"><a href="/{q}">oncodata</a></p>
<nav aria-label="{nav_label}"><ul>
<li><a href="/{q}"{c1}>{explorer}</a></li>
<li><a href="/register{q}"{c2}>{register}</a></li>
<li><a href="/app{q}"{c3}>{space}</a></li>
</ul></nav>
<p class="switch"><a href="{switch}" hreflang="{other}" lang="{other}">{switch_label}</a></p>
</header>
<main id="main">
<h1>{title}</h1>
{body}
</main>
<footer><p>{footer}</p></footer>
</body></html>
"##,
        tag = lang.tag(),
        title = escape(title),
        skip = t("Aller au contenu", "Skip to content"),
        nav_label = t("Navigation principale", "Main navigation"),
        c1 = current(Nav::Explorer),
        c2 = current(Nav::Register),
        c3 = current(Nav::Workspace),
        explorer = t("Explorateur", "Explorer"),
        register = t("Registre des projets", "Register of projects"),
        space = t("Espace de travail", "Workspace"),
        switch = escape(switch),
        other = lang.other().tag(),
        switch_label = t("English", "Français"),
        footer = t(
            "Chiffres publiés après contrôle de la divulgation : aucun effectif de 1 à 10 personnes.",
            "Figures published after disclosure control: no count of 1 to 10 persons."
        ),
    )
}
