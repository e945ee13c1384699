//! The interactive SQL shell of `oncodata sql` (no statement given): statements end with `;`
//! and may span lines; `\d` lists the tables, `\d TABLE` describes one, `\format table|csv|json`
//! changes the output, `\q` quits. Line editing and history (in `~/.oncodata_history`) come from
//! `rustyline`. When standard input is not a terminal, the statements are read from it, as
//! `psql -f` or `duckdb < script.sql` do, and the first failing one stops the run.

use std::io::{IsTerminal, Read};

use oncodata_warehouse::Warehouse;
use rustyline::error::ReadlineError;

use crate::commands::CliResult;
use crate::commands::sql::{Recipient, SqlFormat, print_result};

/// The statements of a script: split on `;` outside quotes and comments, trimmed, empty ones
/// dropped.
pub fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let (mut single, mut double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '-' if !single && !double && chars.peek() == Some(&'-') => {
                // A comment to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                current.push('\n');
                continue;
            }
            ';' if !single && !double => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Whether a line ends a statement: its last character before any `--` comment (outside
/// quotes) is `;`.
fn ends_statement(line: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let mut end = line.len();
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'-' if !single && !double && bytes.get(i + 1) == Some(&b'-') => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    line[..end].trim_end().ends_with(';')
}

/// What a line of the shell asks for.
enum Meta {
    /// Quit.
    Quit,
    /// Run this SQL instead (`\d`, `\d TABLE`).
    Sql(String),
    /// Change the output format.
    Format(SqlFormat),
    /// Print this text.
    Say(String),
}

fn meta(line: &str) -> Meta {
    let mut words = line.split_whitespace();
    match (words.next().unwrap_or(""), words.next()) {
        ("\\q" | "\\quit" | "exit" | "quit", _) => Meta::Quit,
        ("\\d", None) => Meta::Sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name".into(),
        ),
        ("\\d", Some(table)) => Meta::Sql(format!("DESCRIBE {table}")),
        ("\\format", Some("table")) => Meta::Format(SqlFormat::Table),
        ("\\format", Some("csv")) => Meta::Format(SqlFormat::Csv),
        ("\\format", Some("json")) => Meta::Format(SqlFormat::Json),
        _ => Meta::Say(
            "statements end with ';'.  \\d: tables  \\d TABLE: its columns  \\format table|csv|json  \\q: quit".into(),
        ),
    }
}

/// The shell's state: the output format and the lines of an unfinished statement.
struct Shell<'w> {
    w: &'w Warehouse,
    format: SqlFormat,
    pending: String,
    to: &'w Recipient,
}

impl Shell<'_> {
    /// Takes one line: a meta command, or part of a statement run once it ends with `;`.
    /// Returns `Ok(false)` to quit; the first failing statement's error otherwise.
    fn line(&mut self, line: &str) -> Result<bool, Box<dyn std::error::Error>> {
        let trimmed = line.trim();
        if self.pending.is_empty() && (trimmed.starts_with('\\') || ["exit", "quit"].contains(&trimmed)) {
            match meta(trimmed) {
                Meta::Quit => return Ok(false),
                Meta::Sql(sql) => print_result(self.w, &sql, self.format, self.to)?,
                Meta::Format(f) => self.format = f,
                Meta::Say(text) => println!("{text}"),
            }
            return Ok(true);
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        if ends_statement(line) {
            let text = std::mem::take(&mut self.pending);
            for sql in statements(&text) {
                print_result(self.w, &sql, self.format, self.to)?;
            }
        }
        Ok(true)
    }

    /// Runs what is left at the end of the input (a last statement without `;`).
    fn finish(&mut self) -> CliResult {
        for sql in statements(&std::mem::take(&mut self.pending)) {
            print_result(self.w, &sql, self.format, self.to)?;
        }
        Ok(())
    }
}

/// Runs the shell on `w`.
pub fn run(w: &Warehouse, format: SqlFormat, to: &Recipient) -> CliResult {
    if format == SqlFormat::Parquet {
        return Err("--format parquet writes a file: give a statement and --out FILE".into());
    }
    let mut shell = Shell { w, format, pending: String::new(), to };
    if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        for line in text.lines() {
            if !shell.line(line)? {
                return Ok(());
            }
        }
        return shell.finish();
    }
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".oncodata_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("oncodata SQL on {} (Apache DataFusion). \\d lists the tables, \\q quits.", w.root().display());
    loop {
        let prompt = if shell.pending.is_empty() { "oncodata> " } else { "      ...> " };
        match editor.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() && (shell.pending.is_empty() || ends_statement(&line)) {
                    let _ = editor.add_history_entry(format!("{}{line}", shell.pending).trim());
                }
                match shell.line(&line) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        shell.pending.clear();
                        eprintln!("error: {e}");
                    }
                }
            }
            Err(ReadlineError::Interrupted) => shell.pending.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_on_semicolons_outside_quotes_and_comments() {
        let script = "SELECT 'a;b' AS x; -- a comment; still a comment\nSELECT \"c;d\" FROM t;\n\n;SELECT 1";
        assert_eq!(statements(script), ["SELECT 'a;b' AS x", "SELECT \"c;d\" FROM t", "SELECT 1"]);
        assert!(ends_statement("FROM t; -- done"));
        assert!(!ends_statement("SELECT ';' AS x -- not yet;"));
        assert!(!ends_statement("SELECT 1"));
    }
}
