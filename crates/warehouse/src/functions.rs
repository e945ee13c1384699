//! The platform's SQL functions, so that SQL users classify with the same coding tables as the
//! rest of oncodata:
//!
//! - `age_group(age)` → `0-4` … `85+` (NULL for NULL or negative ages);
//! - `icd10(topography, morphology, behaviour)` → ICD-10 code (IARC conversion);
//! - `iccc(topography, morphology, behaviour)` → ICCC-3 subgroup (`IIIb`);
//! - `site_group(topography, morphology, behaviour)` → site group of the national estimates.
//!
//! The three classifiers take text codes (`'C50.9'`, `'8500'`) and an integer behaviour and
//! return NULL when the codes are invalid or the classification has no code.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use oncodata_coding::{AgeGroup, Behaviour, Morphology, Sex, Topography, iccc, icd10, site_group};

/// Registers every platform function on a session.
pub fn register(ctx: &SessionContext) {
    for f in udfs() {
        ctx.register_udf(f);
    }
}

/// The platform functions, for a session or for a Ballista scheduler's and executors' function
/// registries.
pub fn udfs() -> Vec<ScalarUDF> {
    let mut out = vec![create_udf(
        "age_group",
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(age_group),
    )];
    type Classifier = fn(Topography, Morphology, Behaviour) -> Option<String>;
    let classifiers: [(&str, Classifier); 3] = [
        ("icd10", |t, m, b| icd10::from_icdo3(t, m, b, Sex::Unknown).ok()),
        ("iccc", |t, m, b| iccc::classify(t, m, b).map(|s| s.subgroup.to_string())),
        ("site_group", |t, m, b| site_group::classify(t, m, b).map(|g| g.id.to_string())),
    ];
    for (name, f) in classifiers {
        out.push(create_udf(
            name,
            vec![DataType::Utf8, DataType::Utf8, DataType::Int64],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| classify(args, f)),
        ));
    }
    out
}

fn to_arrays(args: &[ColumnarValue]) -> Result<(Vec<ArrayRef>, bool)> {
    let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let n = args
        .iter()
        .find_map(|a| match a {
            ColumnarValue::Array(x) => Some(x.len()),
            _ => None,
        })
        .unwrap_or(1);
    Ok((args.iter().map(|a| a.to_array(n)).collect::<Result<_>>()?, scalar))
}

fn finish(out: StringBuilder, scalar: bool) -> Result<ColumnarValue> {
    let mut out = out;
    let array: ArrayRef = Arc::new(out.finish());
    Ok(if scalar {
        ColumnarValue::Scalar(datafusion::scalar::ScalarValue::try_from_array(&array, 0)?)
    } else {
        ColumnarValue::Array(array)
    })
}

fn age_group(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let (arrays, scalar) = to_arrays(args)?;
    let ages = cast(&arrays[0], &DataType::Int64)?;
    let ages = ages.as_primitive::<Int64Type>();
    let mut out = StringBuilder::new();
    for i in 0..ages.len() {
        if ages.is_null(i) || ages.value(i) < 0 {
            out.append_null();
        } else {
            out.append_value(AgeGroup::from_age(ages.value(i) as u32).label());
        }
    }
    finish(out, scalar)
}

fn classify(
    args: &[ColumnarValue],
    f: fn(Topography, Morphology, Behaviour) -> Option<String>,
) -> Result<ColumnarValue> {
    let (arrays, scalar) = to_arrays(args)?;
    let t = cast(&arrays[0], &DataType::Utf8)?;
    let m = cast(&arrays[1], &DataType::Utf8)?;
    let b = cast(&arrays[2], &DataType::Int64)?;
    let (t, m, b) = (t.as_string::<i32>(), m.as_string::<i32>(), b.as_primitive::<Int64Type>());
    let mut out = StringBuilder::new();
    for i in 0..t.len() {
        let code = (!t.is_null(i) && !m.is_null(i) && !b.is_null(i))
            .then(|| {
                let topo = Topography::parse_valid(t.value(i)).ok()?;
                let morph = Morphology::parse_valid(m.value(i)).ok()?;
                let beh = Behaviour::parse(&b.value(i).to_string()).ok()?;
                f(topo, morph, beh)
            })
            .flatten();
        out.append_option(code);
    }
    finish(out, scalar)
}
