//! Care events read from hospital and claims sources: what kind of step a code or label is.

use oncodata_model::CareEventKind;

/// Whether `code` has the shape of an ATC code at any level (`L`, `L01`, `L01B`, `L01BC`,
/// `L01BC02`).
pub fn is_atc(code: &str) -> bool {
    let b = code.as_bytes();
    let shape = [
        u8::is_ascii_uppercase,
        u8::is_ascii_digit,
        u8::is_ascii_digit,
        u8::is_ascii_uppercase,
        u8::is_ascii_uppercase,
        u8::is_ascii_digit,
        u8::is_ascii_digit,
    ];
    matches!(b.len(), 1 | 3 | 4 | 5 | 7) && b.iter().zip(shape).all(|(c, ok)| ok(c))
}

/// The treatment an antineoplastic or endocrine ATC code stands for: L01F (monoclonal
/// antibodies) and L01E (protein kinase inhibitors) targeted therapy, other L01 chemotherapy, L02
/// hormone therapy; `None` for other drugs (supportive care).
pub fn kind_of_atc(code: &str) -> Option<CareEventKind> {
    if code.starts_with("L01F") || code.starts_with("L01E") {
        Some(CareEventKind::TargetedTherapy)
    } else if code.starts_with("L01") {
        Some(CareEventKind::Chemotherapy)
    } else if code.starts_with("L02") {
        Some(CareEventKind::HormoneTherapy)
    } else {
        None
    }
}

/// The kind named by a procedure's label (`surgery`, `radiotherapy`, `chemotherapy`… or the
/// warehouse's own labels), in any case.
pub fn kind_of_label(text: &str) -> Option<CareEventKind> {
    let t = text.trim().to_ascii_lowercase();
    CareEventKind::parse(&t).or(match t.as_str() {
        "radiation" | "radiation therapy" | "external beam radiotherapy" => Some(CareEventKind::Radiotherapy),
        "surgical procedure" | "resection" => Some(CareEventKind::Surgery),
        // The names of SNOMED CT procedures (Synthea, mCODE), by their first treatment word.
        _ => [
            ("chemotherapy", CareEventKind::Chemotherapy),
            ("radiation", CareEventKind::Radiotherapy),
            ("radiotherapy", CareEventKind::Radiotherapy),
            ("brachytherapy", CareEventKind::Radiotherapy),
            ("hormone therapy", CareEventKind::HormoneTherapy),
            ("immunotherapy", CareEventKind::TargetedTherapy),
            ("excision", CareEventKind::Surgery),
            ("resection", CareEventKind::Surgery),
            ("ectomy", CareEventKind::Surgery),
        ]
        .into_iter()
        .filter_map(|(word, kind)| t.find(word).map(|at| (at, kind)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, kind)| kind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atc_codes() {
        assert!(is_atc("L01BC02") && is_atc("L02") && is_atc("L"));
        assert!(!is_atc("L01BC0") && !is_atc("l01") && !is_atc("L01BC02X") && !is_atc(""));
        assert_eq!(kind_of_atc("L01FA01"), Some(CareEventKind::TargetedTherapy));
        assert_eq!(kind_of_atc("L01BC02"), Some(CareEventKind::Chemotherapy));
        assert_eq!(kind_of_atc("L02BA01"), Some(CareEventKind::HormoneTherapy));
        assert_eq!(kind_of_atc("N02BE01"), None);
        assert_eq!(kind_of_label("Surgery"), Some(CareEventKind::Surgery));
        assert_eq!(kind_of_label("tea"), None);
        assert_eq!(
            kind_of_label("Combined chemotherapy and radiation therapy (procedure)"),
            Some(CareEventKind::Chemotherapy)
        );
        assert_eq!(kind_of_label("Lumpectomy of breast (procedure)"), Some(CareEventKind::Surgery));
        assert_eq!(kind_of_label("Sputum microscopy (procedure)"), None);
    }
}
