//! The web pages of the platform, served by `oncodata serve` from the same binary: the public
//! explorer (incidence and net survival by site, sex, period and area; the map of France by
//! département; the trend; the tables; CSV and SVG downloads) and the public register, in French
//! and English; and the signed-in pages of each role (applicant, project member, committee,
//! steward, administrator), which work on the service's JSON API.
//!
//! Maps and charts are drawn as SVG here, on the server: no charting library, no build step;
//! the stylesheet and the two small scripts in `assets/` are embedded in the binary at build
//! time (rust-embed). Every figure a page shows comes from a table that disclosure control has
//! passed for the page's audience; what it withheld is marked, never shown.

pub mod chart;
pub mod explorer;
pub mod i18n;
pub mod layout;
pub mod map;
pub mod register;
pub mod signed_in;

pub use i18n::Lang;

/// The files under `assets/` (CSS, JavaScript), embedded at build time — in debug builds too
/// (`debug-embed`), so that a test binary does not read them from the path it was built at.
#[derive(rust_embed::Embed)]
#[folder = "assets/"]
pub struct Assets;

/// An embedded asset and its media type, by its name under `/assets/`.
pub fn asset(name: &str) -> Option<(std::borrow::Cow<'static, [u8]>, &'static str)> {
    let file = Assets::get(name)?;
    let media = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    Some((file.data, media))
}

/// Text made safe for HTML and XML (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A number with `digits` decimals in the page's language: `12 345,6` in French (a narrow
/// no-break space between thousands), `12,345.6` in English.
pub fn number(value: f64, digits: usize, lang: Lang) -> String {
    let text = format!("{:.*}", digits, value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let (group, decimal) = match lang {
        Lang::Fr => ('\u{202f}', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out += fraction;
    }
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '−');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_both_languages() {
        assert_eq!(number(12345.678, 1, Lang::Fr), "12\u{202f}345,7");
        assert_eq!(number(12345.678, 1, Lang::En), "12,345.7");
        assert_eq!(number(999.0, 0, Lang::En), "999");
        assert_eq!(number(1000.0, 0, Lang::En), "1,000");
        assert_eq!(number(-0.04, 1, Lang::En), "0.0");
        assert_eq!(number(-2.5, 1, Lang::Fr), "−2,5");
    }

    #[test]
    fn assets_are_embedded() {
        for name in ["style.css", "explorer.js", "app.js"] {
            assert!(asset(name).is_some_and(|(bytes, _)| !bytes.is_empty()), "{name}");
        }
        assert!(asset("../Cargo.toml").is_none());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
