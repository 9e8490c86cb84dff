//! Tables as CSV (RFC 4180) or JSON for the Export view.
//!
//! Class and function names come from the dump: CSV cells that a spreadsheet would run as a
//! formula (leading `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'`.

use crate::engine::protocol::{ClassRow, ExportFormat, GroupRow, ObjRow};

/// One CSV cell.
pub fn csv_cell(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{s}");
        &guarded
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut line = cells
        .iter()
        .map(|c| csv_cell(c))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Streams object rows (a table can hold millions).
pub struct ObjectWriter {
    format: ExportFormat,
    out: String,
    rows: u64,
}

impl ObjectWriter {
    pub fn new(format: ExportFormat) -> ObjectWriter {
        let out = match format {
            ExportFormat::Csv => csv_line(&[
                "address".into(),
                "shallow_bytes".into(),
                "retained_bytes".into(),
                "reachable".into(),
                "class".into(),
                "class_source".into(),
            ]),
            ExportFormat::Json => "[".to_string(),
        };
        ObjectWriter {
            format,
            out,
            rows: 0,
        }
    }

    pub fn push(&mut self, r: &ObjRow) {
        match self.format {
            ExportFormat::Csv => self.out.push_str(&csv_line(&[
                r.address.clone(),
                r.shallow.to_string(),
                r.retained.to_string(),
                r.reachable.to_string(),
                r.class.clone(),
                r.class_source.key().to_string(),
            ])),
            ExportFormat::Json => {
                if self.rows > 0 {
                    self.out.push(',');
                }
                self.out.push_str("\n  ");
                self.out.push_str(
                    &serde_json::json!({
                        "address": r.address,
                        "shallow_bytes": r.shallow,
                        "retained_bytes": r.retained,
                        "reachable": r.reachable,
                        "class": r.class,
                        "class_source": r.class_source,
                    })
                    .to_string(),
                );
            }
        }
        self.rows += 1;
    }

    pub fn finish(mut self) -> String {
        if self.format == ExportFormat::Json {
            self.out.push_str("\n]\n");
        }
        self.out
    }
}

pub fn classes(rows: &[&ClassRow], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(rows).unwrap_or_default(),
        ExportFormat::Csv => {
            let mut out = csv_line(&[
                "class".into(),
                "class_source".into(),
                "objects".into(),
                "shallow_bytes".into(),
                "retained_bytes".into(),
                "share_of_reachable".into(),
                "example_address".into(),
            ]);
            for r in rows {
                out.push_str(&csv_line(&[
                    r.class.clone(),
                    r.source.key().to_string(),
                    r.count.to_string(),
                    r.shallow.to_string(),
                    r.retained.to_string(),
                    format!("{:.6}", r.share),
                    r.example.clone(),
                ]));
            }
            out
        }
    }
}

pub fn goroutines(rows: &[&GroupRow], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => serde_json::to_string_pretty(rows).unwrap_or_default(),
        ExportFormat::Csv => {
            let mut out = csv_line(&[
                "goroutines".into(),
                "wait_reason".into(),
                "function".into(),
                "created_by".into(),
                "stack_retained_bytes".into(),
                "looks_leaked".into(),
                "stack".into(),
                "ids".into(),
            ]);
            for r in rows {
                out.push_str(&csv_line(&[
                    r.count.to_string(),
                    r.wait_reason.clone(),
                    r.top_function.clone(),
                    r.created_by.clone().unwrap_or_default(),
                    r.stack_retained_bytes.to_string(),
                    r.looks_leaked.to_string(),
                    r.stack.join(" <- "),
                    r.goroutine_ids
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                ]));
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formula_safe() {
        assert_eq!(csv_cell("main.Node"), "main.Node");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
        assert_eq!(csv_cell("-1,2"), "\"'-1,2\"");
    }
}
