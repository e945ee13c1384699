//! Fuzz target: arbitrary bytes as the tables of the national claims extract (parts separated
//! by 0x1E: beneficiaries, PMSI stays, CCAM acts, DCIR dispensations) end in an error naming a
//! file or in counts that add up, never in a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

const TABLES: [(&str, &str); 4] = [
    ("beneficiaries", "BEN_NIR_PSA,BEN_SEX_COD,BEN_NAI_ANN,BEN_NAI_MOI,BEN_RES_DPT,BEN_DCD_DTE"),
    ("pmsi_mco_stays", "NIR_ANO_17,ETA_NUM,RSA_NUM,EXE_SOI_DTD,EXE_SOI_DTF,DGN_PAL,DGN_REL,NBR_SEA"),
    ("pmsi_mco_procedures", "ETA_NUM,RSA_NUM,CDC_ACT,ENT_DAT_DEL"),
    ("dcir_dispensations", "BEN_NIR_PSA,EXE_SOI_DTD,PHA_ATC_C07,PHA_ACT_QSN"),
];

fuzz_target!(|data: &[u8]| {
    let dir = common::folder(data, &TABLES);
    let mut out = Extract::default();
    let result = oncodata_ingest::claims::read_claims_dir(dir.path(), common::today(), &mut out);
    common::check_folder(result, out, dir.path());
});
