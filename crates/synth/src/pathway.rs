//! The care pathway of a cancer: first contact, diagnosis, multidisciplinary meeting (RCP),
//! treatment proposal (PPS) and treatments, with delays by site.
//!
//! Delays are log-normal; their medians are generator parameters in the range INCa's studies of
//! care-pathway delays report (*Étude sur les délais de prise en charge des cancers du sein, du
//! poumon, du côlon et de la prostate*, INCa 2012 and 2018: medians of two to five weeks
//! between the diagnostic examination and the first treatment), shorter for poor-prognosis
//! cancers, whose rapid pathways the ten-year strategy promotes.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

/// A kind of cancer treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatmentKind {
    /// Cancer surgery (one stay).
    Surgery,
    /// Chemotherapy, in day-hospital sessions.
    Chemotherapy,
    /// Radiotherapy, as a series of sessions.
    Radiotherapy,
    /// Oral hormone therapy, dispensed monthly in community pharmacies.
    HormoneTherapy,
}

impl TreatmentKind {
    /// Name in the truth files.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Surgery => "surgery",
            Self::Chemotherapy => "chemotherapy",
            Self::Radiotherapy => "radiotherapy",
            Self::HormoneTherapy => "hormone_therapy",
        }
    }
}

/// One treatment: its kind, start, number of sessions (or monthly dispensations) and, for
/// drugs, the ATC code.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    /// Kind.
    pub kind: TreatmentKind,
    /// First day.
    pub start: NaiveDate,
    /// Sessions (chemotherapy, radiotherapy), dispensations (hormone therapy), 1 for surgery.
    pub sessions: u32,
    /// Days between sessions.
    pub interval_days: i64,
    /// WHO ATC code of the drug, for drug treatments.
    pub atc: Option<&'static str>,
}

impl Treatment {
    /// The first and last sessions up to `until` and their number; `None` when none took place.
    pub fn span(&self, until: NaiveDate) -> Option<(NaiveDate, NaiveDate, usize)> {
        let dates: Vec<NaiveDate> = self.session_dates(until).collect();
        Some((*dates.first()?, *dates.last()?, dates.len()))
    }

    /// The dates of its sessions, up to `until` (inclusive).
    pub fn session_dates(&self, until: NaiveDate) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..self.sessions as i64)
            .map(|k| self.start + Duration::days(k * self.interval_days))
            .take_while(move |d| *d <= until)
    }
}

/// The dated steps of a cancer's care pathway. Steps after the end of follow-up (death or
/// last contact) did not happen and are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pathway {
    /// First contact with the health system for the symptoms or the screening test.
    pub first_contact: NaiveDate,
    /// Date of diagnosis (the incidence date).
    pub diagnosis: NaiveDate,
    /// Multidisciplinary team meeting (RCP).
    pub mdt: Option<NaiveDate>,
    /// Treatment proposal given to the patient (PPS).
    pub proposal: Option<NaiveDate>,
    /// Treatments, by start date.
    pub treatments: Vec<Treatment>,
    /// Whether the cancer is a poor-prognosis one (5-year survival under 33 %).
    pub poor_prognosis: bool,
}

impl Pathway {
    /// The first treatment's start.
    pub fn first_treatment(&self) -> Option<NaiveDate> {
        self.treatments.first().map(|t| t.start)
    }
}

/// What the pathway depends on.
pub struct PathwayInput<'a> {
    /// Site group.
    pub site_group: &'a str,
    /// Stage group (`I`–`IV`, `X`; empty for haematological and childhood cancers).
    pub stage: &'a str,
    /// Haematological malignancy.
    pub haematological: bool,
    /// Age at diagnosis.
    pub age: u16,
    /// Poor prognosis.
    pub poor_prognosis: bool,
    /// Diagnosis date.
    pub diagnosis: NaiveDate,
    /// End of follow-up (death or last contact): nothing happens after it.
    pub end: NaiveDate,
}

fn days(rng: &mut impl Rng, median: f64) -> i64 {
    LogNormal::new(median.ln(), 0.6).expect("log-normal").sample(rng).round().max(0.0) as i64
}

fn chemo_drug(site: &str, age: u16) -> &'static str {
    match site {
        "breast" => "L01CD02",                              // docetaxel
        "colorectum" | "stomach" | "pancreas" => "L01XA03", // oxaliplatin
        "lung" | "mesothelioma" | "oesophagus" | "lip_oral_pharynx" | "larynx" | "cervix" => "L01XA01", // cisplatin
        "nhl" | "hodgkin" => "L01XC02",                     // rituximab
        "acute_leukaemia" | "other_haematological" | "myeloma" => "L01BC01", // cytarabine
        "ovary" | "corpus_uteri" => "L01XA02",              // carboplatin
        _ if age < 20 => "L01CA02",                         // vincristine
        _ => "L01BC02",                                     // fluorouracil
    }
}

/// Draws the pathway of one cancer.
pub fn draw_pathway(rng: &mut impl Rng, input: &PathwayInput) -> Pathway {
    let poor = input.poor_prognosis;
    let first_contact = input.diagnosis - Duration::days(days(rng, if poor { 20.0 } else { 30.0 }));
    let mdt = input.diagnosis + Duration::days(days(rng, if poor { 10.0 } else { 15.0 }));
    let proposal = mdt + Duration::days(days(rng, 3.0));
    let first = proposal + Duration::days(days(rng, if poor { 14.0 } else { 21.0 }));
    let advanced = matches!(input.stage, "IV");
    let mut treatments = Vec::new();
    // Surgery for solid tumours short of stage IV, less often when old; prostate cancers mostly
    // get radiotherapy, hormones or active surveillance.
    let surgery_p = if input.haematological || advanced {
        0.0
    } else if input.site_group == "prostate" {
        0.35
    } else if input.age >= 85 {
        0.5
    } else {
        0.85
    };
    let surgery = rng.random::<f64>() < surgery_p;
    let mut next = first;
    if surgery {
        treatments.push(Treatment {
            kind: TreatmentKind::Surgery,
            start: next,
            sessions: 1,
            interval_days: 0,
            atc: None,
        });
        next += Duration::days(28 + days(rng, 7.0));
    }
    let chemo_p = if input.haematological {
        0.85
    } else {
        match input.stage {
            "I" => 0.1,
            "II" => 0.35,
            "III" => 0.65,
            "IV" => 0.6,
            _ => 0.3,
        }
    };
    if rng.random::<f64>() < chemo_p {
        treatments.push(Treatment {
            kind: TreatmentKind::Chemotherapy,
            start: next,
            sessions: rng.random_range(3..=8),
            interval_days: 21,
            atc: Some(chemo_drug(input.site_group, input.age)),
        });
        next += Duration::days(21 * 6);
    }
    let rt_p = match input.site_group {
        "breast" => 0.8,
        "cervix" | "lip_oral_pharynx" | "larynx" | "cns" | "anus" => 0.7,
        "prostate" | "lung" | "oesophagus" => 0.4,
        _ if input.haematological => 0.1,
        _ => 0.15,
    };
    if rng.random::<f64>() < rt_p {
        treatments.push(Treatment {
            kind: TreatmentKind::Radiotherapy,
            start: next,
            sessions: rng.random_range(5..=35),
            interval_days: 1,
            atc: None,
        });
    }
    let hormone = match input.site_group {
        "breast" => (rng.random::<f64>() < 0.7).then_some(if input.age >= 55 { "L02BG04" } else { "L02BA01" }), // letrozole, tamoxifen
        "prostate" => (rng.random::<f64>() < 0.45).then_some("L02AE02"), // leuprorelin
        _ => None,
    };
    if let Some(atc) = hormone {
        let start = if treatments.is_empty() { first } else { next + Duration::days(30) };
        treatments.push(Treatment {
            kind: TreatmentKind::HormoneTherapy,
            start,
            sessions: rng.random_range(6..=60),
            interval_days: 30,
            atc: Some(atc),
        });
    }
    treatments.sort_by_key(|t| t.start);
    treatments.retain(|t| t.start <= input.end);
    Pathway {
        first_contact,
        diagnosis: input.diagnosis,
        mdt: (mdt <= input.end).then_some(mdt),
        proposal: (proposal <= input.end).then_some(proposal),
        treatments,
        poor_prognosis: poor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn input(site: &str, stage: &str, poor: bool) -> PathwayInput<'static> {
        let site: &'static str = Box::leak(site.to_string().into_boxed_str());
        let stage: &'static str = Box::leak(stage.to_string().into_boxed_str());
        PathwayInput {
            site_group: site,
            stage,
            haematological: false,
            age: 60,
            poor_prognosis: poor,
            diagnosis: NaiveDate::from_ymd_opt(2020, 3, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        }
    }

    #[test]
    fn steps_are_in_order_and_poor_prognosis_pathways_are_faster() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut delays = [Vec::new(), Vec::new()];
        for (k, (site, poor)) in [("colorectum", false), ("pancreas", true)].into_iter().enumerate() {
            for _ in 0..4000 {
                let p = draw_pathway(&mut rng, &input(site, "II", poor));
                assert!(p.first_contact <= p.diagnosis);
                let (mdt, proposal) = (p.mdt.unwrap(), p.proposal.unwrap());
                assert!(p.diagnosis <= mdt && mdt <= proposal);
                if let Some(t) = p.first_treatment() {
                    assert!(proposal <= t);
                    delays[k].push((t - p.diagnosis).num_days() as f64);
                }
                assert!(p.treatments.windows(2).all(|w| w[0].start <= w[1].start));
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (usual, fast) = (median(&mut delays[0]), median(&mut delays[1]));
        assert!(usual > fast + 5.0, "{usual} vs {fast}");
        assert!((25.0..60.0).contains(&usual), "{usual}");
    }

    #[test]
    fn nothing_happens_after_the_end_of_follow_up() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..500 {
            let mut i = input("breast", "III", false);
            i.end = i.diagnosis + Duration::days(20);
            let p = draw_pathway(&mut rng, &i);
            assert!(p.treatments.iter().all(|t| t.start <= i.end));
            assert!(p.mdt.is_none_or(|d| d <= i.end));
        }
    }
}
