//! Tumour consolidation: the tumour records of one person — from the registries, hospital
//! warehouses and FHIR feeds, once [`crate::persons`] has linked them — become primary cancers
//! under the IARC/IACR 2004 multiple-primary rules ([`oncodata_coding::multiple_primary`]), and
//! each primary keeps the best information of its records, with the record each value came from.
//!
//! Records are notifications (a registry's, a hospital warehouse's or a FHIR feed's tumour
//! record) or case-finding records ([`RecordKind::CaseFinding`]: a cancer diagnosis found in
//! claims, such as the first PMSI hospital stay for a cancer code, standing for a cancer that may
//! not have been notified). Case-finding records are consolidated after the person's
//! notifications: one that the rules call the same tumour as a primary confirms it and gives it
//! nothing (its values are the notifications'); the others found primaries of their own — cases
//! the registry has not (yet) received, as registries find them in hospital discharge data
//! (ENCR, *Recommendations for a standard dataset*, sources of information; Francim/INCa use of
//! the PMSI as a notification source).
//!
//! Within a person, records are taken in order of incidence date (then most valid basis of
//! diagnosis, then source); each is compared with the primaries found so far, and joins the first
//! that the rules call the same tumour, else founds a new one. The comparison uses the primary's
//! consolidated morphology, so that once an unspecified morphology has given way to a specific
//! one the primary compares as specific — as in imsweb `IarcUtils`, where the primary inherits the
//! more specific histology. Only reportable records (malignant, or in situ of the bladder) are
//! counted; the others are consolidated among themselves, never into a reportable primary, so the
//! count of reportable primaries is the international rules' count.
//!
//! Best information of a primary:
//! - incidence date: the earliest of its records (ENCR: the first of the events that define it);
//!   a death-certificate-only case with a case-finding record before the death is traced back:
//!   dated by that record, basis of diagnosis clinical (1);
//! - basis of diagnosis: the most valid (7 histology of the primary > 6 > 5 > 4 > 2 > 1 > 0 death
//!   certificate only; 9 and missing last);
//! - morphology: the specific over the unspecified, then the numerically highest code
//!   ([`best_morphology`]), a morphology the IARC site–histology check calls impossible at its
//!   site (and no registrar has verified) counting as unspecified; behaviour: the highest of the
//!   records;
//! - topography: that of the most valid record (basis, then earliest), preferring a specific
//!   subsite over `.9`; when the records lie in different sites of a Table 1 group (C19 and C20),
//!   the group's code (C20.9);
//! - grade: the highest known (9 unknown is ignored); laterality and stage (with its TNM): from the
//!   most valid record that has them; age: that of the record giving the incidence date.

use chrono::NaiveDate;
use oncodata_coding::multiple_primary::{Reason, best_morphology, decide, is_reportable, site_group_of};
use oncodata_coding::{Behaviour, Morphology, Topography};

/// One tumour record of a linked person.
#[derive(Debug, Clone, PartialEq)]
pub struct TumourRecord {
    /// The person the record belongs to (an index of [`crate::persons::PersonLinkage`]).
    pub person: u32,
    /// The data set the record came from.
    pub dataset: String,
    /// The source's tumour id.
    pub tumour_id: String,
    /// ICD-O-3 topography.
    pub topography: Topography,
    /// ICD-O-3 morphology.
    pub morphology: Morphology,
    /// ICD-O-3 behaviour.
    pub behaviour: Behaviour,
    /// Grade (1–9), when given.
    pub grade: Option<u8>,
    /// Laterality (1–9), when given.
    pub laterality: Option<u8>,
    /// Basis of diagnosis (0–9), when given.
    pub basis: Option<u8>,
    /// Incidence date.
    pub incidence_date: NaiveDate,
    /// Age at diagnosis.
    pub age: u16,
    /// Stage group, when given.
    pub stage: Option<String>,
    /// TNM T, N and M, when given.
    pub tnm: [Option<String>; 3],
    /// A notification or a case-finding record.
    pub kind: RecordKind,
    /// Whether the record's morphology is one the IARC/IACR topography–morphology check
    /// (check #18) calls impossible at its site and that no registrar has verified: it then
    /// compares as an unspecified morphology, so that it neither splits a tumour that another
    /// source describes credibly nor overrides that source's histology.
    pub morphology_doubtful: bool,
}

/// What a tumour record is to the consolidation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordKind {
    /// A tumour record that a source notified: a registry's, a hospital's, a FHIR feed's.
    #[default]
    Notification,
    /// A cancer diagnosis found in other data (claims hospital stays): it confirms a notified
    /// primary, or stands for a cancer no source notified.
    CaseFinding,
}

/// How a record entered its primary.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The record (an index of the records given to [`consolidate`]).
    pub record: usize,
    /// `None` for the record that founded the primary; else the rule that made it the same tumour.
    pub reason: Option<Reason>,
}

/// A value of a primary and the record it was taken from (`None`: set by a rule, as Table 1's
/// code for tumours of one group's different sites).
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// The record (an index of the records), or `None`.
    pub from: Option<usize>,
}

/// A primary cancer: its records and best-information values.
#[derive(Debug, Clone, PartialEq)]
pub struct Primary {
    /// The person.
    pub person: u32,
    /// 1, 2… in order of incidence date within the person.
    pub sequence: u32,
    /// Counted by the international rules: malignant, or in situ of the bladder.
    pub reportable: bool,
    /// Its records, the founding one first.
    pub members: Vec<Member>,
    /// Topography.
    pub topography: Sourced<Topography>,
    /// Morphology.
    pub morphology: Sourced<Morphology>,
    /// Behaviour, the highest of the records.
    pub behaviour: Behaviour,
    /// Grade, the highest known.
    pub grade: Option<Sourced<u8>>,
    /// Laterality.
    pub laterality: Option<Sourced<u8>>,
    /// The most valid basis of diagnosis.
    pub basis: Option<Sourced<u8>>,
    /// The earliest incidence date.
    pub incidence_date: Sourced<NaiveDate>,
    /// Age at the incidence date.
    pub age: u16,
    /// Stage group and TNM, from one record.
    pub stage: Option<Sourced<Staging>>,
}

/// A stage group and its TNM categories, kept together from one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Staging {
    /// Stage group.
    pub stage: Option<String>,
    /// TNM T, N and M.
    pub tnm: [Option<String>; 3],
}

/// The validity rank of a basis of diagnosis: higher codes are more valid (0 death certificate
/// only … 7 histology of the primary); 9 (unknown) and missing rank lowest.
fn basis_rank(basis: Option<u8>) -> u8 {
    match basis {
        Some(b) if b <= 8 => b + 1,
        _ => 0,
    }
}

/// Consolidates the records into primaries, person by person; primaries come out ordered by
/// person, then sequence.
pub fn consolidate(records: &[TumourRecord]) -> Vec<Primary> {
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&records[a], &records[b]);
        (x.person, x.incidence_date, std::cmp::Reverse(basis_rank(x.basis)), &x.dataset, &x.tumour_id).cmp(&(
            y.person,
            y.incidence_date,
            std::cmp::Reverse(basis_rank(y.basis)),
            &y.dataset,
            &y.tumour_id,
        ))
    });
    let mut primaries = Vec::new();
    for person in order.chunk_by(|&a, &b| records[a].person == records[b].person) {
        primaries.extend(consolidate_person(records, person));
    }
    primaries
}

/// The primaries of one person, from their records in order.
fn consolidate_person(records: &[TumourRecord], order: &[usize]) -> Vec<Primary> {
    // Groups of records, each with its current morphology (`None` while its records' histologies
    // are all doubtful), reportable ones first.
    let mut groups: Vec<(bool, Option<Morphology>, Vec<Member>)> = Vec::new();
    for reportable in [true, false] {
        let start = groups.len();
        let notifications = order.iter().filter(|&&i| records[i].kind == RecordKind::Notification);
        let case_finding = order.iter().filter(|&&i| records[i].kind == RecordKind::CaseFinding);
        for &i in notifications.chain(case_finding) {
            let r = &records[i];
            if is_reportable(r.topography, r.behaviour) != reportable {
                continue;
            }
            let joined = groups[start..].iter_mut().find_map(|(_, morphology, members)| {
                let founder = &records[members[0].record];
                let reason = match (*morphology, r.morphology_doubtful) {
                    (Some(m), false) => {
                        let d = decide((founder.topography, m), (r.topography, r.morphology));
                        d.is_same().then(|| d.reason().clone())
                    }
                    // A doubtful histology is the tumour of any record of the same organ.
                    _ => {
                        let (a, b) = (site_group_of(founder.topography), site_group_of(r.topography));
                        (a == b).then_some(Reason::DoubtfulHistology(a.label))
                    }
                };
                reason.map(|reason| (morphology, members, reason))
            });
            match joined {
                Some((morphology, members, reason)) => {
                    let gives = r.kind == RecordKind::Notification
                        || records[members[0].record].kind == RecordKind::CaseFinding
                        || morphology.is_none();
                    if gives && !r.morphology_doubtful {
                        *morphology = Some(morphology.map_or(r.morphology, |m| best_morphology(m, r.morphology)));
                    }
                    members.push(Member { record: i, reason: Some(reason) });
                }
                None => {
                    let morphology = (!r.morphology_doubtful).then_some(r.morphology);
                    groups.push((reportable, morphology, vec![Member { record: i, reason: None }]));
                }
            }
        }
    }
    // A primary whose histologies are all doubtful keeps its first one: no other source
    // contradicts it.
    let groups: Vec<(bool, Morphology, Vec<Member>)> = groups
        .into_iter()
        .map(|(reportable, morphology, members)| {
            let morphology = morphology.unwrap_or(records[members[0].record].morphology);
            (reportable, morphology, members)
        })
        .collect();
    let mut primaries: Vec<Primary> = groups
        .into_iter()
        .map(|(reportable, morphology, members)| best(records, reportable, morphology, members))
        .collect();
    primaries.sort_by_key(|p| (p.incidence_date.value, p.members[0].record));
    for (n, p) in primaries.iter_mut().enumerate() {
        p.sequence = n as u32 + 1;
    }
    primaries
}

/// The best-information values of one primary, from its notifications (from its case-finding
/// records when it has no notification, and for the date of a death-certificate-only case that
/// one of them traces back).
fn best(records: &[TumourRecord], reportable: bool, morphology: Morphology, all: Vec<Member>) -> Primary {
    let of = |m: &Member| &records[m.record];
    let notified = all.iter().any(|m| of(m).kind == RecordKind::Notification);
    let members: Vec<&Member> = all.iter().filter(|m| !notified || of(m).kind == RecordKind::Notification).collect();
    // Members from the most valid: basis of diagnosis, then earliest, then order.
    let mut ranked: Vec<usize> = members.iter().map(|m| m.record).collect();
    ranked.sort_by_key(|&i| (std::cmp::Reverse(basis_rank(records[i].basis)), records[i].incidence_date));
    let first_with = |pick: &dyn Fn(&TumourRecord) -> bool| ranked.iter().copied().find(|&i| pick(&records[i]));

    let earliest = members.iter().min_by_key(|m| of(m).incidence_date).expect("a primary has records");
    // A death-certificate-only case traced back: when every notification is DCO and a
    // case-finding record (a hospital stay) precedes the death, the case was known before death:
    // it is dated by the stay and is no longer DCO (ENCR, *Recommendations for coding incidence
    // date* and DCO follow-back: the hospital admission ranks before the date of death; the
    // basis becomes clinical, 1).
    let traced_back =
        all.iter().filter(|m| of(m).kind == RecordKind::CaseFinding).min_by_key(|m| of(m).incidence_date).filter(|m| {
            notified
                && members.iter().all(|n| of(n).basis == Some(0))
                && of(m).incidence_date < of(earliest).incidence_date
        });
    let earliest = traced_back.unwrap_or(earliest);
    let sites: Vec<u8> = members.iter().map(|m| of(m).topography.site()).collect();
    let reference = ranked[0];
    let topography = if sites.iter().any(|&s| s != sites[0])
        && !morphology_is_systemic(morphology)
        && let Some(code) = site_group_of(records[reference].topography).code_if_simultaneous
    {
        Sourced { value: code, from: None }
    } else {
        let specific = first_with(&|r| r.topography.subsite() < 8).unwrap_or(reference);
        Sourced { value: records[specific].topography, from: Some(specific) }
    };
    let from_morphology = members.iter().find(|m| of(m).morphology == morphology).map(|m| m.record);
    let grade = members
        .iter()
        .filter_map(|m| of(m).grade.filter(|g| (1..=8).contains(g)).map(|g| (g, m.record)))
        .max_by_key(|&(g, i)| (g, std::cmp::Reverse(i)))
        .map(|(g, i)| Sourced { value: g, from: Some(i) });
    let basis = match traced_back {
        Some(m) => Some(Sourced { value: 1, from: Some(m.record) }),
        None => first_with(&|r| r.basis.is_some()).map(|i| Sourced { value: records[i].basis.unwrap(), from: Some(i) }),
    };
    let laterality = first_with(&|r| r.laterality.is_some())
        .map(|i| Sourced { value: records[i].laterality.unwrap(), from: Some(i) });
    let stage = first_with(&|r| r.stage.is_some() || r.tnm.iter().any(Option::is_some)).map(|i| Sourced {
        value: Staging { stage: records[i].stage.clone(), tnm: records[i].tnm.clone() },
        from: Some(i),
    });
    Primary {
        person: of(members[0]).person,
        sequence: 0,
        reportable,
        topography,
        morphology: Sourced { value: morphology, from: from_morphology },
        behaviour: members.iter().map(|m| of(m).behaviour).max_by_key(Behaviour::code).expect("records"),
        grade,
        laterality,
        basis,
        incidence_date: Sourced { value: of(earliest).incidence_date, from: Some(earliest.record) },
        age: of(earliest).age,
        stage,
        members: all,
    }
}

/// Kaposi sarcoma and haematopoietic tumours, whose records may lie in any site.
fn morphology_is_systemic(morphology: Morphology) -> bool {
    oncodata_coding::multiple_primary::histology_group(morphology).is_some_and(|g| g.is_systemic())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture `fixtures/iarc_multiple_primaries.csv`: cases of records, the primary each must
    /// fall in, and the values the primary must keep.
    #[test]
    fn the_iarc_rule_examples_consolidate_as_expected() {
        let text = include_str!("../fixtures/iarc_multiple_primaries.csv");
        let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let mut cases: Vec<&str> = rows.iter().map(|r| &r[col("case")]).collect();
        cases.dedup();
        assert!(cases.len() >= 20, "{} cases", cases.len());
        for (person, case) in cases.iter().enumerate() {
            let case_rows: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[col("case")] == *case).collect();
            let records: Vec<TumourRecord> = case_rows
                .iter()
                .map(|r| TumourRecord {
                    person: person as u32,
                    dataset: r[col("dataset")].into(),
                    tumour_id: r[col("record")].into(),
                    topography: Topography::parse(&r[col("topography")]).unwrap(),
                    morphology: Morphology::parse(&r[col("morphology")]).unwrap(),
                    behaviour: Behaviour::parse(&r[col("behaviour")]).unwrap(),
                    grade: opt(&r[col("grade")]).map(|g| g.parse().unwrap()),
                    laterality: None,
                    basis: opt(&r[col("basis")]).map(|g| g.parse().unwrap()),
                    incidence_date: r[col("incidence_date")].parse().unwrap(),
                    age: 60,
                    stage: opt(&r[col("stage")]),
                    tnm: [None, None, None],
                    kind: match &r[col("kind")] {
                        "" => RecordKind::Notification,
                        "case-finding" => RecordKind::CaseFinding,
                        other => panic!("{case}: kind '{other}'"),
                    },
                    morphology_doubtful: &r[col("doubtful")] == "yes",
                })
                .collect();
            let primaries = consolidate(&records);
            let primary_of = |i: usize| primaries.iter().position(|p| p.members.iter().any(|m| m.record == i)).unwrap();
            for (i, r) in case_rows.iter().enumerate() {
                for (j, s) in case_rows.iter().enumerate() {
                    assert_eq!(
                        r[col("primary")] == s[col("primary")],
                        primary_of(i) == primary_of(j),
                        "{case}: records {} and {}",
                        &r[col("record")],
                        &s[col("record")]
                    );
                }
                let p = &primaries[primary_of(i)];
                let expect = |name: &str, found: String| {
                    let want = &r[col(name)];
                    if !want.is_empty() {
                        assert_eq!(found, want, "{case}: {name} of the primary of record {}", &r[col("record")]);
                    }
                };
                expect("expect_topography", p.topography.value.to_string());
                expect("expect_morphology", p.morphology.value.to_string());
                expect("expect_reportable", if p.reportable { "yes" } else { "no" }.into());
                expect("expect_incidence", p.incidence_date.value.to_string());
                expect("expect_sequence", p.sequence.to_string());
                expect("expect_basis", p.basis.as_ref().map(|b| b.value.to_string()).unwrap_or_default());
            }
            let labels: std::collections::HashSet<&str> = case_rows.iter().map(|r| &r[col("primary")]).collect();
            assert_eq!(primaries.len(), labels.len(), "{case}");
        }
    }

    fn record(dataset: &str, date: &str, topography: &str, morphology: &str) -> TumourRecord {
        TumourRecord {
            person: 0,
            dataset: dataset.into(),
            tumour_id: format!("{dataset}-1"),
            topography: Topography::parse(topography).unwrap(),
            morphology: Morphology::parse(morphology).unwrap(),
            behaviour: Behaviour::Malignant,
            grade: None,
            laterality: None,
            basis: None,
            incidence_date: date.parse().unwrap(),
            age: 60,
            stage: None,
            tnm: [None, None, None],
            kind: RecordKind::Notification,
            morphology_doubtful: false,
        }
    }

    #[test]
    fn each_value_names_the_record_it_came_from() {
        // The registry's histologically verified record and a hospital's earlier, staged one.
        let registry = TumourRecord {
            basis: Some(7),
            grade: Some(2),
            laterality: Some(2),
            age: 61,
            ..record("registry", "2020-05-15", "C50.4", "8500")
        };
        let hospital = TumourRecord {
            grade: Some(9),
            age: 60,
            stage: Some("II".into()),
            tnm: [Some("T2".into()), Some("N0".into()), Some("M0".into())],
            ..record("hospital", "2020-05-10", "C50.9", "8520")
        };
        let other = TumourRecord { person: 1, ..record("other", "2021-01-01", "C61.9", "8140") };
        let primaries = consolidate(&[registry, hospital, other]);
        assert_eq!(primaries.len(), 2);
        let p = &primaries[0];
        assert_eq!(p.members.iter().map(|m| m.record).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(p.members[0].reason, None);
        assert_eq!(
            p.members[1].reason.as_ref().unwrap().to_string(),
            "same organ C50, same histology group 3 (rule 3)"
        );
        assert_eq!(
            (p.incidence_date.value.to_string(), p.incidence_date.from, p.age),
            ("2020-05-10".into(), Some(1), 60)
        );
        assert_eq!((p.basis.as_ref().unwrap().value, p.basis.as_ref().unwrap().from), (7, Some(0)));
        assert_eq!((p.topography.value.to_string(), p.topography.from), ("C50.4".into(), Some(0)));
        assert_eq!((p.morphology.value.to_string(), p.morphology.from), ("8520".into(), Some(1)));
        assert_eq!((p.grade.as_ref().unwrap().value, p.grade.as_ref().unwrap().from), (2, Some(0)));
        assert_eq!(p.laterality.as_ref().unwrap().from, Some(0));
        let stage = p.stage.as_ref().unwrap();
        assert_eq!(
            (stage.value.stage.as_deref(), stage.value.tnm[0].as_deref(), stage.from),
            (Some("II"), Some("T2"), Some(1))
        );
        assert_eq!((primaries[1].person, primaries[1].sequence, primaries[1].members.len()), (1, 1, 1));
    }

    #[test]
    fn a_record_without_basis_ranks_below_a_death_certificate() {
        assert!(basis_rank(Some(0)) > basis_rank(None));
        assert!(basis_rank(Some(0)) > basis_rank(Some(9)));
        assert!(basis_rank(Some(7)) > basis_rank(Some(6)));
    }
}
