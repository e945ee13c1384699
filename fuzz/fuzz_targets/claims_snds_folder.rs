//! Fuzz target: arbitrary bytes as the SNDS's own tables of a claims extraction (parts separated
//! by 0x1E: IR_BEN_R, T_MCO21C, T_MCO21D, T_MCO21B, T_MCO21A, ER_PRS_F, ER_PHA_F, IR_PHA_R) end in
//! an error naming a file or in counts that add up, never in a panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

const KEYS: &str = "DCT_ORD_NUM,FLX_DIS_DTD,FLX_EMT_NUM,FLX_EMT_ORD,FLX_EMT_TYP,FLX_TRT_DTD,ORG_CLE_NUM,PRS_ORD_NUM,REM_TYP_AFF";

fuzz_target!(|data: &[u8]| {
    let services = format!("BEN_NIR_PSA,EXE_SOI_DTD,{KEYS}");
    let pharmacy = format!("{KEYS},PHA_PRS_C13,PHA_ACT_QSN");
    let tables: [(&str, &str); 8] = [
        ("IR_BEN_R", "BEN_NIR_PSA,BEN_SEX_COD,BEN_NAI_ANN,BEN_NAI_MOI,BEN_RES_DPT,BEN_DCD_DTE"),
        ("T_MCO21C", "ETA_NUM;RSA_NUM;NIR_ANO_17;EXE_SOI_DTD;EXE_SOI_DTF"),
        ("T_MCO21D", "ETA_NUM,RSA_NUM,ASS_DGN"),
        ("T_MCO21B", "ETA_NUM,RSA_NUM,DGN_PAL,DGN_REL"),
        ("T_MCO21A", "ETA_NUM,RSA_NUM,CDC_ACT,ENT_DAT_DEL"),
        ("ER_PRS_F", &services),
        ("ER_PHA_F", &pharmacy),
        ("IR_PHA_R", "PHA_CIP_C13,PHA_ATC_C07"),
    ];
    let dir = common::folder(data, &tables);
    let mut out = Extract::default();
    let result = oncodata_ingest::claims::read_claims_dir(dir.path(), common::today(), &mut out);
    common::check_folder(result, out, dir.path());
});
