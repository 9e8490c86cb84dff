//! What the worker thread holds between messages — the open dump's [`Session`] and the file
//! its contents are read from — and every decision about a request that is not JS glue: the
//! open dump is freed before the next one is read, the memory a new analysis may use, how
//! often progress is posted, what each failure says, and which answers carry a file.
//! `web::worker::entry` only moves bytes between the `File`, `postMessage` and this;
//! `dumpscope serve` between the file on disk, HTTP and this.

use super::load::{load_within, memory_limit, throttled};
use super::{err, ByteSource, Reply, Session};
use crate::analysis::Analysis;
use crate::engine::protocol::*;
use crate::exe::Executable;
use crate::report::redact::ReportKey;

/// No dump, or one open dump: its session and its file.
pub struct WorkerState<S> {
    session: Option<Session>,
    source: Option<S>,
    /// What the last load answered, for the answer after an executable names the dump.
    loaded: Option<Loaded>,
    /// Whether an analysis must fit in what wasm32 can still give (the worker), rather than
    /// use what the machine has (`dumpscope serve`).
    wasm32: bool,
}

/// The worker's state: every analysis within wasm32's 4 GiB.
impl<S> Default for WorkerState<S> {
    fn default() -> WorkerState<S> {
        WorkerState {
            session: None,
            source: None,
            loaded: None,
            wasm32: true,
        }
    }
}

const NO_DUMP: &str = "no dump is loaded";

/// The answer to a load request that came without its file.
pub fn no_file() -> Response {
    Response::LoadFailed {
        message: "no file came with the request".into(),
    }
}

/// The answer when a dump cannot be read or analysed; `name` is its file name or URL.
pub fn load_failed(name: &str, message: &str) -> Response {
    Response::LoadFailed {
        message: format!("{name}: {message}"),
    }
}

/// The file name of a dump fetched from `url`: its last path segment.
pub fn url_file_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// Reads and analyses `source` within `limit` bytes when there is one, posting progress at
/// most every [`PROGRESS_EVERY_MS`](super::load::PROGRESS_EVERY_MS) milliseconds and at each
/// phase.
fn analyse(
    source: &dyn ByteSource,
    now: &dyn Fn() -> f64,
    post: &mut dyn FnMut(Progress),
    limit: Option<u64>,
) -> Result<(Analysis, f64, f64), String> {
    let mut report = throttled(now, post);
    load_within(source, now, &mut report, limit).map_err(|e| e.to_string())
}

impl<S> WorkerState<S> {
    /// The state of a native host (`dumpscope serve`): analyses are not held to wasm32's
    /// 4 GiB, only to what the machine can give.
    pub fn native() -> WorkerState<S> {
        WorkerState {
            wasm32: false,
            ..WorkerState::default()
        }
    }
}

impl<S: ByteSource> WorkerState<S> {
    /// What a new analysis may use: in the worker, what wasm32 can still give
    /// (`memory_in_use` is the linear memory it holds now); natively, no limit.
    fn limit(&self, memory_in_use: &dyn Fn() -> u64) -> Option<u64> {
        self.wasm32.then(|| memory_limit(memory_in_use()))
    }

    /// The open dump's session.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Opens the dump in `source` (or fails with its error) as `name`: frees the open dump
    /// first (one dump in memory), analyses the new one (see `analyse`), then builds its
    /// session. Answers `Loaded` or `LoadFailed`.
    pub fn open(
        &mut self,
        name: String,
        source: Result<S, String>,
        now: &dyn Fn() -> f64,
        post: &mut dyn FnMut(Progress),
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        let limit = self.begin_open(memory_in_use);
        let analysed = source.and_then(|source| {
            let done = analyse(&source, now, post, limit)?;
            Ok((source, done))
        });
        self.end_open(name, analysed, post, memory_in_use)
    }

    /// The first half of [`open`](Self::open), for a caller that reads the file itself
    /// (the worker, asynchronously): frees the open dump (one dump in memory) and answers
    /// the memory the new analysis may use.
    pub fn begin_open(&mut self, memory_in_use: &dyn Fn() -> u64) -> Option<u64> {
        self.session = None;
        self.source = None;
        self.loaded = None;
        self.limit(memory_in_use)
    }

    /// The second half of [`open`](Self::open): the analysis of `source` (with its decode
    /// and analysis milliseconds), or why there is none, becomes the open dump.
    pub fn end_open(
        &mut self,
        name: String,
        analysed: Result<(S, (Analysis, f64, f64)), String>,
        post: &mut dyn FnMut(Progress),
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        let (source, (analysis, decode_ms, analysis_ms)) = match analysed {
            Ok(done) => done,
            Err(message) => return load_failed(&name, &message),
        };
        let file_size = source.size();
        // The class table comes next, with the session.
        post(Progress {
            phase: "classes".into(),
            fraction: 0.99,
            bytes_read: file_size,
            total_bytes: file_size,
            objects: analysis.heap.objects.len() as u64,
            elapsed_ms: decode_ms + analysis_ms,
        });
        let session = Session::new(name.clone(), analysis);
        let summary = session.summary();
        self.session = Some(session);
        self.source = Some(source);
        let loaded = Loaded {
            file_name: name,
            file_size,
            decode_ms,
            analysis_ms,
            wasm_memory_bytes: memory_in_use(),
            summary,
            exe: None,
        };
        self.loaded = Some(loaded.clone());
        Response::Loaded(Box::new(loaded))
    }

    /// Names the open dump from the executable in `bytes` (`name` is its file name):
    /// answers a fresh `Loaded` (the views fetch their rows again), or `Error` with the
    /// dump left as it was.
    pub fn attach_exe(
        &mut self,
        name: &str,
        bytes: Result<Vec<u8>, String>,
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        let parse = || bytes.and_then(|b| Executable::parse(&b).map_err(|e| e.to_string()));
        self.attach_parsed(name, parse, memory_in_use)
    }

    /// [`attach_exe`](Self::attach_exe) reading the executable from `exe` a piece at a
    /// time (the worker: a `File`, never copied whole into memory).
    pub fn attach_exe_from(
        &mut self,
        name: &str,
        exe: &dyn ByteSource,
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        let parse = || {
            Executable::parse_from(super::load::SourceReader::new(exe)).map_err(|e| e.to_string())
        };
        self.attach_parsed(name, parse, memory_in_use)
    }

    /// Parses the executable (not before a dump is open) and attaches it.
    fn attach_parsed(
        &mut self,
        name: &str,
        parse: impl FnOnce() -> Result<Executable, String>,
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        if self.session.is_none() {
            return err("open a dump before its executable");
        }
        match parse() {
            Ok(exe) => self.attach_executable(name, &exe, memory_in_use),
            Err(e) => err(format!("{name}: {e}")),
        }
    }

    /// [`attach_exe`](Self::attach_exe) with the executable already parsed (`dumpscope
    /// serve --exe`).
    pub fn attach_executable(
        &mut self,
        name: &str,
        exe: &Executable,
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        let (Some(session), Some(source), Some(loaded)) = (
            self.session.as_mut(),
            self.source.as_ref(),
            self.loaded.as_mut(),
        ) else {
            return err("open a dump before its executable");
        };
        if let Err(e) = session.attach_exe(name, exe, source) {
            return err(e);
        }
        loaded.summary = session.summary();
        loaded.exe = session.a.heap.exe.as_ref().map(|n| LoadedExe {
            file_name: name.to_string(),
            described: n.described.clone(),
            matched: n.matched.clone(),
        });
        loaded.wasm_memory_bytes = memory_in_use();
        Response::Loaded(Box::new(loaded.clone()))
    }

    /// Analyses another dump of the same process and keeps it (not its file) for the diff.
    /// Answers `Compare`, `Error` (too many dumps) or `LoadFailed`.
    pub fn compare(
        &mut self,
        name: String,
        source: Result<S, String>,
        now: &dyn Fn() -> f64,
        post: &mut dyn FnMut(Progress),
        memory_in_use: &dyn Fn() -> u64,
    ) -> Response {
        match self.begin_compare(memory_in_use) {
            Ok(limit) => {
                let analysed = source.and_then(|source| analyse(&source, now, post, limit));
                self.end_compare(name, analysed)
            }
            Err(refused) => *refused,
        }
    }

    /// The first half of [`compare`](Self::compare): the memory the analysis of the dump to
    /// compare may use, or the answer when no dump is open to compare it with.
    pub fn begin_compare(
        &self,
        memory_in_use: &dyn Fn() -> u64,
    ) -> Result<Option<u64>, Box<Response>> {
        if self.session.is_none() {
            return Err(Box::new(Response::LoadFailed {
                message: "open a dump before adding one to compare".into(),
            }));
        }
        Ok(self.limit(memory_in_use))
    }

    /// The second half of [`compare`](Self::compare): the analysis joins the comparison.
    pub fn end_compare(
        &mut self,
        name: String,
        analysed: Result<(Analysis, f64, f64), String>,
    ) -> Response {
        let Some(session) = self.session.as_mut() else {
            return err(NO_DUMP);
        };
        match analysed {
            Ok((a, _, _)) => session.add_baseline(name, a),
            Err(message) => load_failed(&name, &message),
        }
    }

    /// Answers a request about the open dump: `Status` with what the last load answered,
    /// `Export`, `Pprof` and `Report` with a file, every query as [`Session::handle`] does.
    pub fn answer(&mut self, req: &Request) -> Reply {
        match req {
            Request::Status => match &self.loaded {
                Some(l) => Response::Loaded(Box::new(l.clone())).into(),
                None => Response::Ready.into(),
            },
            Request::Export {
                table,
                sort,
                filter,
                format,
            } => match self.session.as_mut() {
                Some(s) => s.export_file(table, sort, filter, *format).into(),
                None => err(NO_DUMP).into(),
            },
            Request::Pprof => match &self.session {
                Some(s) => Ok(s.pprof_file()).into(),
                None => err(NO_DUMP).into(),
            },
            // A bad key is reported before a missing dump.
            Request::Report { key } => match (ReportKey::parse(key), &self.session, &self.source) {
                (Err(e), _, _) => err(e).into(),
                (Ok(key), Some(s), Some(src)) => Ok(s.report_file(&key, src)).into(),
                (Ok(_), _, _) => err(NO_DUMP).into(),
            },
            req => match (self.session.as_mut(), self.source.as_ref()) {
                (Some(session), Some(source)) => session.handle(req, source).into(),
                _ => err(NO_DUMP).into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::WASM32_MAX_MEMORY;
    use super::*;

    const KEY: &str = "0303030303030303030303030303030303030303030303030303030303030303";

    fn opened<'a>(bytes: &'a [u8], name: &str) -> (WorkerState<SliceSource<'a>>, Response) {
        let mut w = WorkerState::default();
        let resp = w.open(
            name.into(),
            Ok(SliceSource(bytes)),
            &|| 0.0,
            &mut |_| {},
            &|| 1 << 20,
        );
        (w, resp)
    }

    #[test]
    fn open_answers_loaded_and_posts_progress_once_per_phase() {
        let bytes = fixture("basic-go1.27.dump");
        let mut w = WorkerState::default();
        let mut posted = Vec::new();
        // A clock that never moves: only phase changes are posted.
        let resp = w.open(
            "basic.dump".into(),
            Ok(SliceSource(&bytes)),
            &|| 0.0,
            &mut |p| posted.push(p),
            &|| 12345,
        );
        let Response::Loaded(l) = resp else {
            panic!("{resp:?}")
        };
        assert_eq!(l.file_name, "basic.dump");
        assert_eq!(l.file_size, bytes.len() as u64);
        assert_eq!(l.wasm_memory_bytes, 12345);
        assert_eq!(l.summary, w.session().unwrap().summary());
        assert!(posted.windows(2).all(|p| p[0].phase != p[1].phase));
        assert_eq!(posted[0].phase, "decode");
        let last = posted.last().unwrap();
        assert_eq!((last.phase.as_str(), last.fraction), ("classes", 0.99));
        assert_eq!(last.bytes_read, bytes.len() as u64);
        // A clock that moves 100 ms a call: every report is posted.
        let t = std::cell::Cell::new(0.0);
        let mut all = 0;
        w.open(
            "basic.dump".into(),
            Ok(SliceSource(&bytes)),
            &|| {
                t.set(t.get() + 100.0);
                t.get()
            },
            &mut |_| all += 1,
            &|| 0,
        );
        assert!(all > posted.len(), "{all} posts");
    }

    #[test]
    fn a_failed_open_frees_the_open_dump_and_names_the_file() {
        let bytes = fixture("basic-go1.27.dump");
        let (mut w, _) = opened(&bytes, "basic.dump");
        assert!(w.session().is_some());
        let resp = w.open(
            "x.dump".into(),
            Err("unreadable".into()),
            &|| 0.0,
            &mut |_| {},
            &|| 0,
        );
        assert_eq!(
            resp,
            Response::LoadFailed {
                message: "x.dump: unreadable".into()
            }
        );
        assert!(w.session().is_none());
        // Nearly all of wasm32's memory in use: refused with the numbers.
        let resp = w.open(
            "big.dump".into(),
            Ok(SliceSource(&bytes)),
            &|| 0.0,
            &mut |_| {},
            &|| WASM32_MAX_MEMORY - 4096,
        );
        let Response::LoadFailed { message } = resp else {
            panic!("{resp:?}")
        };
        assert!(
            message.starts_with("big.dump: This dump is too large"),
            "{message}"
        );
        assert!(matches!(
            w.answer(&Request::Findings).resp,
            Response::Error { ref message } if message == NO_DUMP
        ));
    }

    #[test]
    fn a_native_state_is_not_held_to_wasm32() {
        fn full<'a>(w: &mut WorkerState<SliceSource<'a>>, bytes: &'a [u8]) -> Response {
            w.open(
                "basic.dump".into(),
                Ok(SliceSource(bytes)),
                &|| 0.0,
                &mut |_| {},
                &|| WASM32_MAX_MEMORY,
            )
        }
        let bytes = fixture("basic-go1.27.dump");
        // With wasm32's 4 GiB in use the worker has nothing left; natively the dump opens,
        // and the next one too.
        let refused = full(&mut WorkerState::default(), &bytes);
        assert!(
            matches!(refused, Response::LoadFailed { .. }),
            "{refused:?}"
        );
        let mut native = WorkerState::native();
        for _ in 0..2 {
            let r = full(&mut native, &bytes);
            assert!(matches!(r, Response::Loaded(_)), "{r:?}");
        }
    }

    #[test]
    fn status_answers_what_the_load_answered() {
        let bytes = fixture("prodlike-go1.27.dump");
        let mut empty = WorkerState::<SliceSource>::default();
        assert_eq!(empty.answer(&Request::Status), Reply::from(Response::Ready));
        let (mut w, loaded) = opened(&bytes, "prodlike.dump");
        assert_eq!(w.answer(&Request::Status), Reply::from(loaded));
        // After an executable, the names it brought.
        let exe = Executable::parse(&fixture("prodlike-go1.27.exe")).unwrap();
        let named = w.attach_executable("prodlike.exe", &exe, &|| 0);
        let Response::Loaded(l) = &named else {
            panic!("{named:?}")
        };
        assert!(l.summary.executable.is_some());
        let e = l.exe.as_ref().expect("the executable that named it");
        assert_eq!(e.file_name, "prodlike.exe");
        assert!(e.described.starts_with("ELF amd64"), "{}", e.described);
        assert!(e.matched.contains("go1.27"), "{}", e.matched);
        assert_eq!(w.answer(&Request::Status), Reply::from(named));
    }

    /// The worker reads an executable from its `File` in pieces: the same names as from
    /// its bytes, never the whole file at once, in few slices (names come from blocks).
    #[test]
    fn an_executable_is_read_in_pieces() {
        use std::cell::Cell;
        struct Counted<'a>(SliceSource<'a>, Cell<u64>, Cell<usize>);
        impl ByteSource for Counted<'_> {
            fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
                self.1.set(self.1.get() + 1);
                self.2.set(self.2.get().max(len));
                self.0.read(offset, len)
            }
            fn size(&self) -> u64 {
                self.0.size()
            }
        }
        let dump = fixture("service-go1.27.dump");
        let exe = fixture_gz("service-go1.27.exe.gz");
        let (mut whole, _) = opened(&dump, "service.dump");
        let want = whole.attach_exe("service.exe", Ok(exe.clone()), &|| 0);
        let (mut pieces, _) = opened(&dump, "service.dump");
        let src = Counted(SliceSource(&exe), Cell::new(0), Cell::new(0));
        let got = pieces.attach_exe_from("service.exe", &src, &|| 0);
        assert_eq!(got, want);
        let (reads, largest) = (src.1.get(), src.2.get());
        assert!(
            largest < exe.len() / 2,
            "a read of {largest} of {} B",
            exe.len()
        );
        assert!(reads < 1000, "{reads} reads");
    }

    #[test]
    fn compare_needs_an_open_dump() {
        let dumps: Vec<Vec<u8>> = (1..=2)
            .map(|i| fixture(&format!("growth-go1.27-{i}.dump")))
            .collect();
        let mut w = WorkerState::<SliceSource>::default();
        let none = w.compare(
            "b.dump".into(),
            Ok(SliceSource(&dumps[1])),
            &|| 0.0,
            &mut |_| {},
            &|| 0,
        );
        assert_eq!(
            none,
            Response::LoadFailed {
                message: "open a dump before adding one to compare".into()
            }
        );
        let (mut w, _) = opened(&dumps[0], "a.dump");
        let failed = w.compare(
            "b.dump".into(),
            Err("gone".into()),
            &|| 0.0,
            &mut |_| {},
            &|| 0,
        );
        assert_eq!(failed, load_failed("b.dump", "gone"));
        let mut posted = 0;
        let Response::Compare { dumps: list } = w.compare(
            "b.dump".into(),
            Ok(SliceSource(&dumps[1])),
            &|| 0.0,
            &mut |_| posted += 1,
            &|| 0,
        ) else {
            panic!("not compared")
        };
        assert!(posted > 0);
        let names: Vec<&str> = list.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["a.dump", "b.dump"]);
    }

    #[test]
    fn answers_carry_files_only_for_files() {
        let bytes = fixture("basic-go1.27.dump");
        let mut empty = WorkerState::<SliceSource>::default();
        let sort = SortSpec::new("retained", true);
        let page = Request::Page(PageRequest {
            table: TableKind::Objects,
            offset: 0,
            limit: PAGE_MAX,
            sort: sort.clone(),
            filter: String::new(),
        });
        let export = Request::Export {
            table: TableKind::Classes,
            sort: sort.clone(),
            filter: String::new(),
            format: ExportFormat::Csv,
        };
        let no_dump = Reply::from(err(NO_DUMP));
        for req in [&page, &export, &Request::Pprof, &Request::Flame] {
            assert_eq!(empty.answer(req), no_dump, "{req:?}");
        }
        let report = |key: &str| Request::Report { key: key.into() };
        assert_eq!(empty.answer(&report(KEY)), no_dump);
        let bad_key = empty.answer(&report("nope"));
        assert!(bad_key.file.is_none() && bad_key != no_dump, "{bad_key:?}");

        let (mut w, _) = opened(&bytes, "dir/basic.dump");
        // The file an answer carries: the response's file name and the file's MIME type.
        let file = |r: Reply| match (r.resp, r.file) {
            (
                Response::Export { file_name, .. }
                | Response::Pprof { file_name, .. }
                | Response::Report { file_name },
                Some(f),
            ) => Some((file_name, f.mime)),
            (_, f) => {
                assert!(f.is_none());
                None
            }
        };
        assert!(matches!(w.answer(&page).resp, Response::Page(_)));
        assert_eq!(file(w.answer(&page)), None);
        let named = |name: &str, mime| Some((name.to_string(), mime));
        assert_eq!(
            file(w.answer(&export)),
            named("dir_basic-classes.csv", "text/csv")
        );
        assert_eq!(
            file(w.answer(&Request::Pprof)),
            named("dir_basic-retained.pb", "application/octet-stream")
        );
        assert_eq!(
            file(w.answer(&report(KEY))),
            named("dir_basic-report.html", "text/html")
        );
        assert_eq!(file(w.answer(&report("nope"))), None);
        // A load is not a query.
        let r = w.answer(&Request::Load { name: "x".into() });
        assert!(matches!(r.resp, Response::Error { .. }));
    }

    #[test]
    fn names_and_failures() {
        assert_eq!(url_file_name("sample.dump"), "sample.dump");
        assert_eq!(url_file_name("https://h/a/b/heap.dump"), "heap.dump");
        assert_eq!(url_file_name("dir/"), "");
        assert_eq!(
            no_file(),
            Response::LoadFailed {
                message: "no file came with the request".into()
            }
        );
    }
}
