//! The pages' two languages: French (the default: the platform's users are French agencies)
//! and English.

/// A page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// French (`lang="fr"`).
    #[default]
    Fr,
    /// English (`lang="en"`).
    En,
}

impl Lang {
    /// The language a `lang` query parameter asks for: `en` is English, anything else French.
    pub fn from_param(value: Option<&str>) -> Lang {
        if value == Some("en") { Lang::En } else { Lang::Fr }
    }

    /// The BCP 47 tag (`fr`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The other language (the switch's target).
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The decimal separator.
    pub fn decimal(self) -> char {
        match self {
            Lang::Fr => ',',
            Lang::En => '.',
        }
    }
}
