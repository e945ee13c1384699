//! Sex as cancer registries code it.

use serde::{Deserialize, Serialize};

/// Sex as registries code it (ENCR, CanReg5, NAACCR: 1 male, 2 female, 9 unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    /// Code 1.
    Male,
    /// Code 2.
    Female,
    /// Code 9.
    Unknown,
}

impl Sex {
    /// Reads `1`/`2`/`9`, or `M`/`F`, `male`/`female` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "m" | "male" | "h" | "homme" => Some(Self::Male),
            "2" | "f" | "female" | "femme" => Some(Self::Female),
            "9" | "u" | "unknown" | "" => Some(Self::Unknown),
            _ => None,
        }
    }

    /// The registry code: 1, 2 or 9.
    pub fn code(&self) -> u8 {
        match self {
            Self::Male => 1,
            Self::Female => 2,
            Self::Unknown => 9,
        }
    }

    /// `male`, `female` or `unknown`, as written in the warehouse and in reports.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Unknown => "unknown",
        }
    }
}
