//! The files the worker sends back for the browser to save: a whole table as CSV or JSON,
//! retained memory as a pprof profile, the shareable HTML report. Each comes with its file
//! name (the dump's name, then what the file holds) and MIME type; the worker's glue only
//! wraps the bytes in a `Blob`.

use std::cell::RefCell;

use super::{err, ByteSource, Session};
use crate::analysis::classes::Classes;
use crate::analysis::Analysis;
use crate::engine::export;
use crate::engine::protocol::*;
use crate::report::redact::ReportKey;
use crate::report::{html, share};

/// A file for the browser to save; the response that announces it carries its name.
#[derive(Debug, PartialEq)]
pub struct OutFile {
    pub mime: &'static str,
    pub body: FileBody,
}

/// A file's contents: text (CSV, JSON, HTML) goes to JS as a string, bytes as bytes.
#[derive(Debug, PartialEq)]
pub enum FileBody {
    Text(String),
    Bytes(Vec<u8>),
}

impl FileBody {
    pub fn len(&self) -> usize {
        match self {
            FileBody::Text(t) => t.len(),
            FileBody::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An answer: the response, and the file it announces if any (sent beside it as a Blob).
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub resp: Response,
    pub file: Option<OutFile>,
}

impl From<Response> for Reply {
    fn from(resp: Response) -> Reply {
        Reply { resp, file: None }
    }
}

impl From<Result<(Response, OutFile), String>> for Reply {
    fn from(r: Result<(Response, OutFile), String>) -> Reply {
        match r {
            Ok((resp, file)) => Reply {
                resp,
                file: Some(file),
            },
            Err(message) => err(message).into(),
        }
    }
}

/// What an exported table's file name says it holds.
pub fn file_stem(table: &TableKind) -> &'static str {
    match table {
        TableKind::Objects => "objects",
        TableKind::Lost => "lost-objects",
        TableKind::Classes => "classes",
        TableKind::Goroutines => "goroutine-groups",
        TableKind::DomChildren { .. } => "dominator-children",
        TableKind::Outgoing { .. } => "outgoing-refs",
        TableKind::Incoming { .. } => "incoming-refs",
    }
}

/// File extension and MIME type of an export format.
pub fn format_file(format: ExportFormat) -> (&'static str, &'static str) {
    match format {
        ExportFormat::Csv => ("csv", "text/csv"),
        ExportFormat::Json => ("json", "application/json"),
    }
}

impl Session {
    /// The shareable report of the open dump and the compared ones (`report::share`, the
    /// CLI's `dumpscope report`), redacted with `key`. The open dump's findings have their
    /// paths named by field when an executable typed it (its contents read from `src`).
    pub fn report(&self, key: &ReportKey, src: &dyn ByteSource) -> share::Report {
        let chunks = RefCell::new(super::load::reread(src));
        let read = |off, len| chunks.borrow_mut().get(off, len);
        let mut g = share::Gather::default();
        let mut inputs = Vec::new();
        for o in self.compare_order() {
            let (name, a, classes, read): (&str, &Analysis, &Classes, Option<share::Read>) = match o
            {
                None => (&self.name, &self.a, &self.classes.classes, Some(&read)),
                Some(i) => {
                    let b = &self.baselines[i];
                    (&b.name, &b.a, &b.classes, None)
                }
            };
            inputs.push(share::Input {
                id: g.add(name, a, classes),
                a,
                classes,
                read,
            });
        }
        // As `share::report`: the first, middle and newest dumps are analysed together.
        let focus = g.focus_ids();
        inputs.retain(|i| focus.contains(&i.id));
        let mut opts = share::Options::new(Some(key.clone()));
        opts.generator = format!("dumpscope {} (web)", env!("CARGO_PKG_VERSION"));
        share::build(g, &inputs, &opts)
    }

    /// Retained memory as a pprof profile: the bytes `dumpscope pprof` writes for this file.
    pub fn pprof(&self) -> Vec<u8> {
        let comment = crate::report::pprof::comment(&self.name);
        crate::report::pprof::retained_profile(&self.a, &self.classes.classes, &comment)
    }

    /// A whole table as CSV or JSON text, with its row count.
    pub fn export(
        &mut self,
        table: &TableKind,
        sort: &SortSpec,
        filter: &str,
        format: ExportFormat,
    ) -> Result<(String, u64), String> {
        match table {
            TableKind::Classes => {
                let order = self.class_order(sort, filter);
                let rows = &self.classes.rows;
                let items: Vec<&ClassRow> = order.iter().map(|&i| &rows[i as usize]).collect();
                Ok((export::classes(&items, format), items.len() as u64))
            }
            TableKind::Goroutines => {
                let order = self.group_order(sort, filter);
                let groups = &self.leaks().groups;
                let items: Vec<&GroupRow> = order.iter().map(|&i| &groups[i as usize]).collect();
                Ok((export::goroutines(&items, format), items.len() as u64))
            }
            _ => {
                let order = self.object_order(table, sort, filter)?;
                let mut out = export::ObjectWriter::new(format);
                for &i in order.iter() {
                    let row = self.obj_row(i);
                    out.push(&row);
                }
                Ok((out.finish(), order.len() as u64))
            }
        }
    }

    /// The name of a file made from this dump: its name without `.dump` and with no path
    /// separators, then `-` and `what` (`objects.csv`, `report.html`, …).
    pub fn file_name(&self, what: &str) -> String {
        let base = self
            .name
            .trim_end_matches(".dump")
            .replace(['/', '\\'], "_");
        format!("{base}-{what}")
    }

    /// [`Session::export`] as a file: `NAME-TABLE.csv` or `.json`.
    pub fn export_file(
        &mut self,
        table: &TableKind,
        sort: &SortSpec,
        filter: &str,
        format: ExportFormat,
    ) -> Result<(Response, OutFile), String> {
        let (text, rows) = self.export(table, sort, filter, format)?;
        let (ext, mime) = format_file(format);
        let file_name = self.file_name(&format!("{}.{ext}", file_stem(table)));
        let file = OutFile {
            mime,
            body: FileBody::Text(text),
        };
        Ok((Response::Export { file_name, rows }, file))
    }

    /// [`Session::pprof`] as a file: `NAME-retained.pb`.
    pub fn pprof_file(&self) -> (Response, OutFile) {
        let profile = self.pprof();
        let resp = Response::Pprof {
            file_name: self.file_name("retained.pb"),
            bytes: profile.len() as u64,
        };
        let file = OutFile {
            mime: "application/octet-stream",
            body: FileBody::Bytes(profile),
        };
        (resp, file)
    }

    /// [`Session::report`] rendered as one HTML page (`report::html`): `NAME-report.html`.
    pub fn report_file(&self, key: &ReportKey, src: &dyn ByteSource) -> (Response, OutFile) {
        let html = html::render(&self.report(key, src));
        let resp = Response::Report {
            file_name: self.file_name("report.html"),
        };
        let file = OutFile {
            mime: "text/html",
            body: FileBody::Text(html),
        };
        (resp, file)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::report;

    #[test]
    fn export_writes_every_row() {
        let bytes = fixture("basic-go1.19.dump");
        let mut s = open(&bytes);
        let n = s.a.heap.objects.len() as u64;
        let (csv, rows) = s
            .export(
                &TableKind::Objects,
                &SortSpec::new("retained", true),
                "",
                ExportFormat::Csv,
            )
            .unwrap();
        assert_eq!(rows, n);
        assert_eq!(csv.trim_end().split("\r\n").count() as u64, n + 1);
        let (json, _) = s
            .export(
                &TableKind::Goroutines,
                &SortSpec::new("count", true),
                "",
                ExportFormat::Json,
            )
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(v.as_array().is_some_and(|a| !a.is_empty()));
    }

    #[test]
    fn the_report_is_the_cli_report_of_the_compared_dumps() {
        let key = ReportKey::from_bytes([3; 32]);
        let dumps: Vec<Vec<u8>> = (1..=3)
            .map(|i| fixture(&format!("growth-go1.27-{i}.dump")))
            .collect();
        let mut s = open(&dumps[2]);
        let one = s.report(&key, &SliceSource(&dumps[2]));
        assert!(one.redacted && one.growth.is_none() && one.timeline.is_none());
        for i in [0, 1] {
            let (a, _, _) = load(&SliceSource(&dumps[i]), &|| 0.0, &mut |_| {}).unwrap();
            s.add_baseline(format!("growth-{}.dump", i + 1), a);
        }
        let r = s.report(&key, &SliceSource(&dumps[2]));
        let t = r.timeline.as_ref().expect("a timeline of three dumps");
        assert_eq!(t.dumps.len(), 3);
        assert_eq!(r.dumps[r.focus].name, "test.dump");
        let flagged: Vec<&str> = t.flagged_classes().map(|c| c.name.as_str()).collect();
        assert_eq!(flagged, vec!["main.newRecord (main.go:51)"]);
        let html = report::html::render(&r);
        assert!(html.contains("data-testid=\"timeline-chart\""));
        let addr = format!("0x{:x}", s.a.heap.objects.value_addr(0));
        assert!(!html.contains(&addr), "{addr}");
    }

    #[test]
    fn files_are_named_after_the_dump_and_typed() {
        let bytes = fixture("basic-go1.27.dump");
        let mut s = open(&bytes);
        s.name = "dir/sub\\heap.dump".into();
        let sort = SortSpec::new("retained", true);
        let (resp, file) = s
            .export_file(&TableKind::Lost, &sort, "", ExportFormat::Csv)
            .unwrap();
        let Response::Export { file_name, rows } = resp else {
            panic!("{resp:?}")
        };
        assert_eq!(file_name, "dir_sub_heap-lost-objects.csv");
        assert_eq!(file.mime, "text/csv");
        let (text, n) = s
            .export(&TableKind::Lost, &sort, "", ExportFormat::Csv)
            .unwrap();
        assert_eq!((file.body, rows), (FileBody::Text(text), n));
        let sort = SortSpec::new("count", true);
        let (resp, file) = s
            .export_file(&TableKind::Goroutines, &sort, "", ExportFormat::Json)
            .unwrap();
        assert!(
            matches!(resp, Response::Export { ref file_name, .. } if file_name == "dir_sub_heap-goroutine-groups.json")
        );
        assert_eq!(file.mime, "application/json");
        assert!(s
            .export_file(
                &TableKind::Outgoing { addr: 1 },
                &sort,
                "",
                ExportFormat::Csv
            )
            .is_err());
        // Only a trailing `.dump` goes.
        s.name = "heap.dump.1".into();
        assert_eq!(s.file_name("x"), "heap.dump.1-x");
    }

    #[test]
    fn pprof_and_report_files_hold_what_the_cli_writes() {
        let bytes = fixture("basic-go1.27.dump");
        let s = open(&bytes);
        let (resp, file) = s.pprof_file();
        assert_eq!(file.mime, "application/octet-stream");
        assert_eq!(
            resp,
            Response::Pprof {
                file_name: "test-retained.pb".into(),
                bytes: file.body.len() as u64,
            }
        );
        assert_eq!(file.body, FileBody::Bytes(s.pprof()));
        let key = ReportKey::from_bytes([7; 32]);
        let (resp, file) = s.report_file(&key, &SliceSource(&bytes));
        assert_eq!(
            resp,
            Response::Report {
                file_name: "test-report.html".into()
            }
        );
        assert_eq!(file.mime, "text/html");
        assert_eq!(
            file.body,
            FileBody::Text(report::html::render(&s.report(&key, &SliceSource(&bytes))))
        );
    }

    #[test]
    fn the_report_names_the_findings_paths_with_the_executable() {
        let key = ReportKey::from_bytes([5; 32]);
        let dump = fixture("service-go1.27.dump");
        let src = SliceSource(&dump);
        let mut s = open(&dump);
        assert!(s.report(&key, &src).findings[0].field_path.is_none());
        let exe = crate::exe::Executable::parse(&fixture_gz("service-go1.27.exe.gz")).unwrap();
        s.attach_exe("service.exe", &exe, &src).unwrap();
        let r = s.report(&key, &src);
        let fields = r.findings[0].field_path.as_deref().expect("a field path");
        assert!(
            fields.starts_with("main.registry .tenants [map value]"),
            "{fields}"
        );
        assert!(report::html::render(&r).contains("data-testid=\"field-path\""));
    }
}
