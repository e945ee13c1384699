//! Reading of the embedded CSV data files: comment lines start with `#`, the first other line is
//! the header, fields are comma-separated and never quoted (the files are written that way).

/// The data rows of an embedded table, as field vectors, with the header checked.
///
/// The files are compiled into the binary, so a malformed one is a bug caught by the unit tests
/// that load every table; hence the panic with the file's name and line.
pub fn rows(name: &str, text: &'static str, header: &[&str]) -> Vec<Vec<&'static str>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, head) = lines.next().unwrap_or_else(|| panic!("data/{name}: no header"));
    let found: Vec<&str> = head.split(',').collect();
    assert_eq!(found, header, "data/{name}: unexpected header");
    lines
        .map(|(i, l)| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(fields.len(), header.len(), "data/{name} line {}: expected {} fields", i + 1, header.len());
            fields
        })
        .collect()
}
