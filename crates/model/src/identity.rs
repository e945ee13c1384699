//! Pseudonymised identities: what linkage may know of who a source's patient is, with no
//! direct identifier.

use serde::{Deserialize, Serialize};

use crate::{PartialDate, Provenance, Sex};

/// The identity of one source patient as linkage sees it: the national id and the claims id
/// as keyed pseudonyms, the names as keyed Bloom-filter encodings (compared by Dice
/// coefficient), the birth date, sex and département as the source typed them. Rows of the
/// `identities` table; made at ingest by the `oncodata-pseudonym` crate, never from a clear
/// identifier kept anywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientIdentity {
    /// The patient, as in `patients.patient_id` of the same dataset.
    pub patient_id: String,
    /// Pseudonym of the normalised national id (NIR), when given and valid.
    pub nir: Option<String>,
    /// Pseudonym of the person's claims id (given by the claims, or computed from the NIR
    /// with the claims authority's key).
    pub claims_id: Option<String>,
    /// Encoding of the normalised surname (birth name).
    pub surname: Option<String>,
    /// Encoding of the normalised first name.
    pub first_name: Option<String>,
    /// Birth date as typed with the identity.
    pub birth_date: Option<PartialDate>,
    /// Sex.
    pub sex: Sex,
    /// Département of residence.
    pub departement: Option<String>,
    /// The public fingerprint of the keys the pseudonyms were made with.
    pub key_id: String,
    /// Where it was read.
    pub provenance: Provenance,
}
