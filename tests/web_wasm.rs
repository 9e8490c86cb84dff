//! The web app's wasm code in headless Chromium (wasm-bindgen-test, `make test-web`):
//! protocol messages through `postMessage`, the worker's session answering requests on a
//! real dump, and components rendered into the DOM.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test --no-default-features --features web
//! --target wasm32-unknown-unknown --test web_wasm` (the runner is set in .cargo/config.toml,
//! browser flags in webdriver.json).
#![cfg(all(target_arch = "wasm32", feature = "web"))]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dumpscope::engine::protocol::*;
use dumpscope::engine::session::{self, Session, SliceSource, PAGE_MAX};
use dumpscope::web::app::loading::{Landing, ProgressPanel};
use dumpscope::web::app::virtual_table::{object_row, source_tag};
use dumpscope::web::wire;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Blob, BlobPropertyBag, DragEvent, DragEventInit, Element, Event, EventInit, File, HtmlElement,
    HtmlInputElement, MessageEvent,
};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

const DUMP_NAME: &str = "basic-go1.27.dump";
static DUMP: &[u8] = include_bytes!("fixtures/dumps/basic-go1.27.dump");
static EXPECT: &str = include_str!("fixtures/expect/basic.json");

// ---------------------------------------------------------------------------------------
// Helpers

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn obj(props: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in props {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// What `postMessage` does to a message: the structured clone algorithm.
fn structured_clone(v: &JsValue) -> JsValue {
    let f: Function = Reflect::get(&js_sys::global(), &"structuredClone".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    f.call1(&JsValue::UNDEFINED, v).expect("structuredClone")
}

/// Lets yew's scheduler and pending promises run.
async fn settle() {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// A fresh element in the page to render into.
fn mount_point() -> Element {
    let div = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
        .text_content()
        .unwrap_or_default()
}

fn click(root: &Element, selector: &str) {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

async fn blob_bytes(b: &Blob) -> Vec<u8> {
    let buf = JsFuture::from(b.array_buffer()).await.unwrap();
    Uint8Array::new(&buf).to_vec()
}

fn dump_file(name: &str, bytes: &[u8]) -> File {
    let parts = Array::of1(&Uint8Array::from(bytes));
    File::new_with_u8_array_sequence(&parts, name).unwrap()
}

/// A Web Worker that posts every message straight back: a real trip across threads.
struct EchoWorker {
    worker: web_sys::Worker,
    url: String,
}

impl EchoWorker {
    fn new() -> EchoWorker {
        let opts = BlobPropertyBag::new();
        opts.set_type("text/javascript");
        let src = Blob::new_with_str_sequence_and_options(
            &Array::of1(&"onmessage = (e) => postMessage(e.data);".into()),
            &opts,
        )
        .unwrap();
        let url = web_sys::Url::create_object_url_with_blob(&src).unwrap();
        let worker = web_sys::Worker::new(&url).unwrap();
        EchoWorker { worker, url }
    }

    async fn round_trip(&self, msg: &JsValue) -> JsValue {
        let worker = self.worker.clone();
        let p = Promise::new(&mut |resolve, _| {
            let on = Closure::once_into_js(move |e: MessageEvent| {
                resolve.call1(&JsValue::NULL, &e.data()).unwrap();
            });
            worker.set_onmessage(Some(on.unchecked_ref()));
        });
        self.worker.post_message(msg).unwrap();
        JsFuture::from(p).await.unwrap()
    }
}

impl Drop for EchoWorker {
    fn drop(&mut self) {
        self.worker.terminate();
        let _ = web_sys::Url::revoke_object_url(&self.url);
    }
}

struct Fixture {
    session: Session,
    progress: Vec<Progress>,
    decode_ms: f64,
    analysis_ms: f64,
}

thread_local! {
    /// The fixture, loaded once as the worker loads a dump (tests run one at a time).
    static LOADED: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

fn with_session<R>(f: impl FnOnce(&mut Fixture) -> R) -> R {
    LOADED.with(|l| {
        let mut l = l.borrow_mut();
        let l = l.get_or_insert_with(|| {
            let mut progress = Vec::new();
            let (a, decode_ms, analysis_ms) =
                session::load(&SliceSource(DUMP), &js_sys::Date::now, &mut |p| {
                    progress.push(p)
                })
                .expect("the fixture loads");
            Fixture {
                session: Session::new(DUMP_NAME.into(), a),
                progress,
                decode_ms,
                analysis_ms,
            }
        });
        f(l)
    })
}

/// One request the way the app makes it: encoded by the bridge, cloned by `postMessage`,
/// decoded and answered by the worker's session, and the answer back the same way.
fn ask(id: u32, req: Request) -> Response {
    let msg = wire::encode(&RequestEnvelope { id, req }, None).unwrap();
    let (env, blob) = wire::decode::<RequestEnvelope>(&structured_clone(&msg)).unwrap();
    assert_eq!(env.id, id);
    assert!(blob.is_none());
    let resp = with_session(|l| l.session.handle(&env.req, &SliceSource(DUMP)));
    let msg = wire::encode(&ResponseEnvelope { id, resp }, None).unwrap();
    let (back, _) = wire::decode::<ResponseEnvelope>(&structured_clone(&msg)).unwrap();
    assert_eq!(back.id, id);
    back.resp
}

fn page(table: TableKind, offset: u32, limit: u32, sort: SortSpec, filter: &str) -> Page {
    match ask(
        offset + 1,
        Request::Page(PageRequest {
            table,
            offset,
            limit,
            sort,
            filter: filter.into(),
        }),
    ) {
        Response::Page(p) => p,
        other => panic!("not a page: {other:?}"),
    }
}

fn object_rows(p: Page) -> Vec<ObjRow> {
    match p.rows {
        Rows::Objects(v) => v,
        other => panic!("not object rows: {other:?}"),
    }
}

/// Every row of an object table, a page of [`PAGE_MAX`] at a time as the UI would scroll.
fn all_object_rows(table: TableKind, sort: SortSpec, filter: &str) -> Vec<ObjRow> {
    let mut all = Vec::new();
    loop {
        let p = page(
            table.clone(),
            all.len() as u32,
            PAGE_MAX,
            sort.clone(),
            filter,
        );
        let total = p.total;
        let rows = object_rows(p);
        let done = rows.is_empty();
        all.extend(rows);
        if done {
            assert_eq!(all.len() as u64, total);
            return all;
        }
    }
}

fn expect() -> serde_json::Value {
    serde_json::from_str(EXPECT).unwrap()
}

// ---------------------------------------------------------------------------------------
// Protocol messages

fn every_request() -> Vec<Request> {
    let sort = SortSpec::new("retained", true);
    vec![
        Request::Load {
            name: "a \"quoted\" name ✓.dump".into(),
        },
        Request::LoadUrl {
            url: "sample.dump".into(),
        },
        Request::Page(PageRequest {
            table: TableKind::DomChildren {
                parent: Some(0xc000_0123_4560),
            },
            offset: 100,
            limit: 100,
            sort: sort.clone(),
            filter: "=main.Node".into(),
        }),
        Request::Page(PageRequest {
            table: TableKind::DomChildren { parent: None },
            offset: 0,
            limit: 1,
            sort: sort.clone(),
            filter: String::new(),
        }),
        Request::Object {
            addr: 0xc000_0000_0008,
        },
        // Beyond 2^53: JSON text keeps every bit, a JS number would not.
        Request::Contents {
            addr: u64::MAX - 7,
            offset: 4096,
            len: 65536,
        },
        Request::Retainers {
            addr: 0xc000_1000_0000,
            max_paths: 5,
            excluded: vec![0xc000_0000_0010, 0xc000_0000_0020],
        },
        Request::Findings,
        Request::Treemap {
            cells: 40,
            drill: true,
        },
        Request::LoadCompare {
            name: "later.dump".into(),
        },
        Request::RemoveCompare { index: 2 },
        Request::Diff,
        Request::Export {
            table: TableKind::Incoming {
                addr: 0xc000_0000_0040,
            },
            sort,
            filter: "0xc000000040".into(),
            format: ExportFormat::Csv,
        },
    ]
}

#[wasm_bindgen_test]
fn requests_survive_structured_clone() {
    for (i, req) in every_request().into_iter().enumerate() {
        let id = u32::MAX - i as u32;
        let msg = wire::encode(
            &RequestEnvelope {
                id,
                req: req.clone(),
            },
            None,
        )
        .unwrap();
        let (env, blob) = wire::decode::<RequestEnvelope>(&structured_clone(&msg)).unwrap();
        assert_eq!((env.id, &env.req), (id, &req));
        assert!(blob.is_none());
    }
}

#[wasm_bindgen_test]
async fn messages_and_their_blobs_cross_to_a_worker_and_back() {
    let echo = EchoWorker::new();
    // A request with the dump beside it, as the UI sends a Load.
    let file = dump_file(DUMP_NAME, &DUMP[..4096]);
    let req = Request::Load {
        name: DUMP_NAME.into(),
    };
    let msg = wire::encode(
        &RequestEnvelope {
            id: 7,
            req: req.clone(),
        },
        Some(&file),
    )
    .unwrap();
    let back = echo.round_trip(&msg).await;
    let (env, blob) = wire::decode::<RequestEnvelope>(&back).unwrap();
    assert_eq!((env.id, env.req), (7, req));
    let blob = blob.expect("the file came back");
    let file: File = blob.clone().dyn_into().expect("still a File");
    assert_eq!(file.name(), DUMP_NAME);
    assert_eq!(blob_bytes(&blob).await, &DUMP[..4096]);

    // A response with an export beside it, as the worker answers an Export.
    let opts = BlobPropertyBag::new();
    opts.set_type("text/csv");
    let csv = Blob::new_with_str_sequence_and_options(&Array::of1(&"a,b\r\n1,2\r\n".into()), &opts)
        .unwrap();
    let resp = Response::Export {
        file_name: "basic-objects.csv".into(),
        rows: 1,
    };
    let msg = wire::encode(
        &ResponseEnvelope {
            id: 8,
            resp: resp.clone(),
        },
        Some(&csv),
    )
    .unwrap();
    let (env, blob) = wire::decode::<ResponseEnvelope>(&echo.round_trip(&msg).await).unwrap();
    assert_eq!((env.id, env.resp), (8, resp));
    let blob = blob.expect("the export came back");
    assert_eq!(blob.type_(), "text/csv");
    assert_eq!(blob_bytes(&blob).await, b"a,b\r\n1,2\r\n");

    // A real page of rows, across the thread boundary.
    let Response::Page(p) = ask(
        9,
        Request::Page(PageRequest {
            table: TableKind::Classes,
            offset: 0,
            limit: 20,
            sort: SortSpec::new("retained", true),
            filter: String::new(),
        }),
    ) else {
        panic!("not a page")
    };
    let resp = Response::Page(p);
    let msg = wire::encode(
        &ResponseEnvelope {
            id: 9,
            resp: resp.clone(),
        },
        None,
    )
    .unwrap();
    let (env, _) = wire::decode::<ResponseEnvelope>(&echo.round_trip(&msg).await).unwrap();
    assert_eq!(env.resp, resp);
}

#[wasm_bindgen_test]
fn malformed_messages_are_errors_not_panics() {
    let not_an_object = JsValue::from_str("hello");
    assert!(wire::decode::<RequestEnvelope>(&not_an_object).is_err());
    let no_json = obj(&[("blob", JsValue::from(3))]);
    let e = wire::decode::<RequestEnvelope>(&no_json).unwrap_err();
    assert!(e.contains("json"), "{e}");
    let cut = obj(&[("json", r#"{"id":1,"req":{"type":"page""#.into())]);
    assert!(wire::decode::<RequestEnvelope>(&cut).is_err());
    let unknown = obj(&[("json", r#"{"id":1,"req":{"type":"format_disk"}}"#.into())]);
    let e = wire::decode::<RequestEnvelope>(&unknown).unwrap_err();
    assert!(e.contains("format_disk"), "{e}");
    // A `blob` that is not a Blob is ignored, not trusted.
    let odd_blob = obj(&[
        ("json", r#"{"id":2,"req":{"type":"findings"}}"#.into()),
        ("blob", "not a blob".into()),
    ]);
    let (env, blob) = wire::decode::<RequestEnvelope>(&odd_blob).unwrap();
    assert_eq!((env.id, env.req), (2, Request::Findings));
    assert!(blob.is_none());
}

// ---------------------------------------------------------------------------------------
// The worker's session on a real dump

#[wasm_bindgen_test]
fn the_fixture_loads_with_steady_progress() {
    with_session(|l| {
        let p = &l.progress;
        assert!(p.len() > 3, "{p:?}");
        assert!(p.iter().all(|p| (0.0..=1.0).contains(&p.fraction)));
        assert!(
            p.windows(2).all(|w| w[0].fraction <= w[1].fraction),
            "progress went backwards: {p:?}"
        );
        for phase in ["decode", "build graph", "dominators", "retained sizes"] {
            assert!(p.iter().any(|x| x.phase == phase), "no {phase} in {p:?}");
        }
        let last = p.last().unwrap();
        assert_eq!(last.bytes_read, DUMP.len() as u64);
        assert_eq!(last.total_bytes, DUMP.len() as u64);
        assert!(l.decode_ms >= 0.0 && l.analysis_ms >= 0.0);

        let s = l.session.summary();
        assert!(s.go_version.starts_with("go1.27"), "{}", s.go_version);
        assert_eq!((s.arch.as_str(), s.pointer_size), ("amd64", 8));
        assert!(s.decode_error.is_none(), "{:?}", s.decode_error);
        let heap_objects = s.memstats.as_ref().map(|m| m.heap_objects);
        assert_eq!(
            Some(s.objects),
            heap_objects,
            "objects == MemStats.HeapObjects"
        );
        assert_eq!(s.reachable_objects + s.unreachable_objects, s.objects);
        assert!(last.objects >= s.objects);

        // The summary the UI gets, through postMessage.
        let loaded = Response::Loaded(Box::new(Loaded {
            file_name: DUMP_NAME.into(),
            file_size: DUMP.len() as u64,
            decode_ms: l.decode_ms,
            analysis_ms: l.analysis_ms,
            wasm_memory_bytes: 64 << 20,
            summary: s,
            exe: Some(LoadedExe {
                file_name: "server".into(),
                described: "ELF amd64, with symbols and DWARF".into(),
                matched: "data and bss segments, go1.27.3".into(),
            }),
        }));
        let msg = wire::encode(
            &ResponseEnvelope {
                id: 1,
                resp: loaded.clone(),
            },
            None,
        )
        .unwrap();
        let (env, _) = wire::decode::<ResponseEnvelope>(&structured_clone(&msg)).unwrap();
        assert_eq!(env.resp, loaded);
    });
}

#[wasm_bindgen_test]
fn object_pages_line_up_sort_and_filter() {
    let objects = with_session(|l| l.session.summary().objects);
    let by_retained = SortSpec::new("retained", true);
    let p = page(TableKind::Objects, 0, 50, by_retained.clone(), "");
    assert_eq!(p.total, objects);
    let rows = object_rows(p);
    assert_eq!(rows.len(), 50);
    assert!(rows.windows(2).all(|w| w[0].retained >= w[1].retained));
    let next = object_rows(page(TableKind::Objects, 49, 2, by_retained.clone(), ""));
    assert_eq!(next[0], rows[49]);
    // Past the end: an empty page with the total.
    let end = page(
        TableKind::Objects,
        objects as u32,
        10,
        by_retained.clone(),
        "",
    );
    assert_eq!((end.total, end.rows.len()), (objects, 0));
    // An interior address finds its object.
    let top = &rows[0];
    let f = page(
        TableKind::Objects,
        0,
        10,
        by_retained.clone(),
        &format!("0x{:x}", top.addr + 1),
    );
    assert_eq!(f.total, 1);
    assert_eq!(object_rows(f)[0].addr, top.addr);
    // The planted items: a class named by their allocation site (objects reached only
    // through them, like the map's buckets, inherit it).
    let items = &expect()["items"];
    let alloc_fn = items["alloc_fn"].as_str().unwrap();
    let Rows::Classes(classes) = page(
        TableKind::Classes,
        0,
        PAGE_MAX,
        by_retained.clone(),
        alloc_fn,
    )
    .rows
    else {
        panic!("not classes")
    };
    let planted = items["count"].as_u64().unwrap();
    let class = classes
        .iter()
        .find(|c| c.count >= planted)
        .unwrap_or_else(|| panic!("no class holds the {planted} items: {classes:#?}"));
    let members = all_object_rows(
        TableKind::Objects,
        SortSpec::new("address", false),
        &format!("={}", class.class),
    );
    assert_eq!(members.len() as u64, class.count);
    assert!(members.windows(2).all(|w| w[0].addr < w[1].addr));
    let size = items["size"].as_u64().unwrap();
    assert!(members.iter().all(|r| r.class == class.class));
    let item_sized = members.iter().filter(|r| r.shallow == size).count() as u64;
    assert!(item_sized >= planted, "{item_sized} of {size} bytes");
    assert_eq!(
        members.iter().map(|r| r.shallow).sum::<u64>(),
        class.shallow
    );
}

#[wasm_bindgen_test]
fn classes_and_dominator_children_add_up() {
    let (objects, reachable_bytes) = with_session(|l| {
        let s = l.session.summary();
        (s.objects, s.reachable_bytes)
    });
    let p = page(
        TableKind::Classes,
        0,
        PAGE_MAX,
        SortSpec::new("count", true),
        "",
    );
    let Rows::Classes(classes) = p.rows else {
        panic!("not classes")
    };
    assert_eq!(classes.len() as u64, p.total, "the fixture has few classes");
    assert_eq!(classes.iter().map(|c| c.count).sum::<u64>(), objects);
    // The dominator tree's top level retains the whole reachable heap (u64 sums on wasm32).
    let top = all_object_rows(
        TableKind::DomChildren { parent: None },
        SortSpec::new("retained", true),
        "",
    );
    assert!(top.windows(2).all(|w| w[0].retained >= w[1].retained));
    let sum: u64 = top.iter().map(|r| r.retained).sum();
    assert_eq!(sum, reachable_bytes);
}

#[wasm_bindgen_test]
fn goroutine_groups_name_the_blocked_workers() {
    let workers = &expect()["workers"];
    let p = page(
        TableKind::Goroutines,
        0,
        100,
        SortSpec::new("count", true),
        "blockedworker",
    );
    assert_eq!(p.total, 1);
    let Rows::Goroutines(groups) = p.rows else {
        panic!("not goroutine groups")
    };
    let g = &groups[0];
    assert_eq!(g.top_function, workers["function"].as_str().unwrap());
    assert_eq!(g.count, workers["count"].as_u64().unwrap());
    assert_eq!(g.wait_reason, workers["wait_reason"].as_str().unwrap());
    assert_eq!(g.goroutine_ids.len() as u64, g.count);
}

#[wasm_bindgen_test]
fn objects_contents_and_retainers_are_answered() {
    let top = object_rows(page(
        TableKind::Objects,
        0,
        1,
        SortSpec::new("retained", true),
        "",
    ))
    .remove(0);
    let Response::Object(d) = ask(100, Request::Object { addr: top.addr }) else {
        panic!("no object detail")
    };
    assert_eq!(d.row, top);
    assert_eq!(
        d.contents.bytes.len() as u64,
        d.contents.size.min(u64::from(session::CONTENTS_FIRST))
    );
    assert!(!d.contents.pointers.is_empty());
    assert!(!d.alloc_stack.is_empty(), "basic sets MemProfileRate = 1");
    // The bytes come from the file: they are the dump's bytes of the object record.
    let needle = &d.contents.bytes[..d.contents.bytes.len().min(64)];
    assert!(DUMP.windows(needle.len()).any(|w| w == needle));

    let leaf = object_rows(page(
        TableKind::DomChildren {
            parent: Some(top.addr),
        },
        0,
        1,
        SortSpec::new("retained", true),
        "",
    ))
    .remove(0);
    let Response::Retainers(r) = ask(
        101,
        Request::Retainers {
            addr: leaf.addr,
            max_paths: 5,
            excluded: vec![],
        },
    ) else {
        panic!("no retainers")
    };
    assert_eq!(r.target.addr, leaf.addr);
    let path = r.paths.first().expect("a path from a root");
    assert!(!path.roots.is_empty() && !path.roots[0].label.is_empty());
    assert_eq!(path.objects.last().map(|o| o.addr), Some(leaf.addr));

    // What cannot be answered is an Error response, not a dead worker.
    let Response::Error { message } = ask(102, Request::Object { addr: 1 }) else {
        panic!("no error for address 1")
    };
    assert!(message.contains("0x1"), "{message}");
    let Response::Error { message } = ask(103, Request::LoadUrl { url: "x".into() }) else {
        panic!("a load is not a session query")
    };
    assert!(!message.is_empty());
}

#[wasm_bindgen_test]
fn exports_hold_every_row() {
    let (csv, rows) = with_session(|l| {
        let objects = l.session.summary().objects;
        let out = l
            .session
            .export(
                &TableKind::Objects,
                &SortSpec::new("retained", true),
                "",
                ExportFormat::Csv,
            )
            .unwrap();
        assert_eq!(out.1, objects);
        out
    });
    assert_eq!(csv.trim_end().split("\r\n").count() as u64, rows + 1);
}

// ---------------------------------------------------------------------------------------
// Components in the DOM

#[wasm_bindgen_test]
async fn progress_panel_shows_the_load() {
    let last = with_session(|l| l.progress.last().cloned().unwrap());
    let cancels = Rc::new(Cell::new(0));
    let root = mount_point();
    let on_cancel = {
        let cancels = cancels.clone();
        Callback::from(move |()| cancels.set(cancels.get() + 1))
    };
    let handle = yew::Renderer::<ProgressPanel>::with_root_and_props(
        root.clone(),
        yew::props!(dumpscope::web::app::loading::ProgressProps {
            name: DUMP_NAME.to_string(),
            progress: Some(last.clone()),
            on_cancel,
        }),
    )
    .render();
    settle().await;
    let all = root.text_content().unwrap();
    assert!(all.contains(&format!("Analysing {DUMP_NAME}")), "{all}");
    assert_eq!(text(&root, "[data-testid=progress-phase]"), last.phase);
    // 861,964 bytes.
    assert!(all.contains("841.8 KiB of 841.8 KiB"), "{all}");
    assert!(
        all.contains(&format!("{:.0}%", last.fraction * 100.0)),
        "{all}"
    );
    let bar = root
        .query_selector("[data-testid=progress]")
        .unwrap()
        .unwrap();
    assert_eq!(
        bar.get_attribute("value"),
        Some(format!("{:.4}", last.fraction))
    );
    click(&root, "[data-testid=cancel-button]");
    settle().await;
    assert_eq!(cancels.get(), 1);
    handle.destroy();
    settle().await;
    assert_eq!(root.child_element_count(), 0, "{}", root.inner_html());
}

#[wasm_bindgen_test]
async fn landing_hands_over_a_picked_or_dropped_file() {
    let files: Rc<RefCell<Vec<File>>> = Rc::default();
    let samples = Rc::new(Cell::new(0));
    let root = mount_point();
    let on_file = {
        let files = files.clone();
        Callback::from(move |f: File| files.borrow_mut().push(f))
    };
    let on_sample = {
        let samples = samples.clone();
        Callback::from(move |()| samples.set(samples.get() + 1))
    };
    let handle = yew::Renderer::<Landing>::with_root_and_props(
        root.clone(),
        yew::props!(dumpscope::web::app::loading::LandingProps {
            on_file,
            on_sample,
            children: html! { <p data-testid="child">{ "resume note" }</p> },
        }),
    )
    .render();
    settle().await;
    assert_eq!(text(&root, "h1"), "dumpscope");
    assert_eq!(text(&root, "[data-testid=child]"), "resume note");
    assert!(text(&root, ".privacy").contains("Nothing is uploaded"));

    // The file picker: a chosen file reaches on_file and the input is reset.
    let picked = dump_file(DUMP_NAME, &DUMP[..1024]);
    let dt = web_sys::DataTransfer::new().unwrap();
    dt.items().add_with_file(&picked).unwrap();
    let input: HtmlInputElement = root
        .query_selector("[data-testid=file-input]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_files(dt.files().as_ref());
    let init = EventInit::new();
    init.set_bubbles(true);
    let change = Event::new_with_event_init_dict("change", &init).unwrap();
    input.dispatch_event(&change).unwrap();
    settle().await;
    assert_eq!(files.borrow().len(), 1);
    assert_eq!(files.borrow()[0].name(), DUMP_NAME);
    assert_eq!(files.borrow()[0].size(), 1024.0);
    assert_eq!(input.value(), "");

    // A drop on the zone.
    let dropped = dump_file("dropped.dump", &DUMP[..10]);
    let dt = web_sys::DataTransfer::new().unwrap();
    dt.items().add_with_file(&dropped).unwrap();
    let zone = root
        .query_selector("[data-testid=drop-zone]")
        .unwrap()
        .unwrap();
    let init = DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&dt));
    let over = DragEvent::new_with_event_init_dict("dragover", &init).unwrap();
    zone.dispatch_event(&over).unwrap();
    settle().await;
    assert!(over.default_prevented(), "dragover must allow the drop");
    assert!(zone.class_list().contains("over"));
    let drop = DragEvent::new_with_event_init_dict("drop", &init).unwrap();
    zone.dispatch_event(&drop).unwrap();
    settle().await;
    assert!(
        drop.default_prevented(),
        "the browser must not open the file"
    );
    assert!(!zone.class_list().contains("over"));
    assert_eq!(files.borrow().len(), 2);
    assert_eq!(files.borrow()[1].name(), "dropped.dump");

    click(&root, "[data-testid=sample-button]");
    settle().await;
    assert_eq!(samples.get(), 1);
    handle.destroy();
}

#[derive(Properties, PartialEq)]
struct RowListProps {
    rows: Vec<ObjRow>,
}

#[function_component]
fn RowList(props: &RowListProps) -> Html {
    html! {
        <div class="vt">
            { for props.rows.iter().map(|r| object_row(r, r.addr, "object-row".into())) }
        </div>
    }
}

#[wasm_bindgen_test]
async fn object_rows_render_the_worker_rows() {
    let mut rows = object_rows(page(
        TableKind::Objects,
        0,
        20,
        SortSpec::new("retained", true),
        "",
    ));
    // The fixture is collected before the dump (no garbage): mark one as a lost object.
    rows[19].reachable = false;
    let root = mount_point();
    let handle = yew::Renderer::<RowList>::with_root_and_props(
        root.clone(),
        RowListProps { rows: rows.clone() },
    )
    .render();
    settle().await;
    let shown = root.query_selector_all("[data-testid=object-row]").unwrap();
    assert_eq!(shown.length(), 20);
    for (i, r) in rows.iter().enumerate() {
        let el: Element = shown.get(i as u32).unwrap().dyn_into().unwrap();
        let link = el.query_selector("a").unwrap().unwrap();
        assert_eq!(link.text_content().unwrap(), r.address);
        assert_eq!(
            link.get_attribute("href").unwrap(),
            format!("#/object/0x{:x}", r.addr)
        );
        // The badge for how the class was named, then the name.
        let tag = source_tag(r.class_source);
        assert_ne!(tag, "?", "the UI has no badge for {:?}", r.class_source);
        assert_eq!(text(&el, ".src"), tag);
        assert_eq!(text(&el, ".cls"), format!("{tag}{}", r.class));
        let title = el
            .query_selector(".num")
            .unwrap()
            .unwrap()
            .get_attribute("title");
        assert_eq!(title, Some(format!("{} B", r.shallow)));
        assert_eq!(el.class_list().contains("unreachable"), !r.reachable);
    }
    handle.destroy();
}

// ---------------------------------------------------------------------------------------
// The tab's transport: JSON text or JS values (docs/benchmarks.md, issue #17)

/// The message `serde-wasm-bindgen` would make: the envelope as a JS value where `wire`
/// puts JSON text. Maps as plain objects, as the JSON text has them.
fn value_message<T: serde::Serialize>(envelope: &T) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    obj(&[("value", envelope.serialize(&ser).unwrap())])
}

fn value_envelope<T: serde::de::DeserializeOwned>(msg: &JsValue) -> T {
    serde_wasm_bindgen::from_value(Reflect::get(msg, &"value".into()).unwrap()).unwrap()
}

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A way to carry a message: encode it for `postMessage`, decode what arrived.
struct Transport<'a, T> {
    encode: &'a dyn Fn() -> JsValue,
    decode: &'a dyn Fn(&JsValue) -> T,
}

/// One sample of a transport: milliseconds per message to encode, to structured-clone (what
/// `postMessage` does) and to decode, over `batch` messages per leg: Chromium coarsens
/// `performance.now()` (5 µs here, 100 µs without cross-origin isolation) and a request
/// takes a few µs.
/// Every message must come back equal to `expect`.
fn trip<T: PartialEq>(batch: usize, t: &Transport<'_, T>, expect: &T) -> [f64; 3] {
    let t0 = now_ms();
    let sent: Vec<JsValue> = (0..batch).map(|_| (t.encode)()).collect();
    let t1 = now_ms();
    let cloned: Vec<JsValue> = sent.iter().map(structured_clone).collect();
    let t2 = now_ms();
    let back: Vec<T> = cloned.iter().map(t.decode).collect();
    let t3 = now_ms();
    assert!(
        back.iter().all(|b| b == expect),
        "a message changed on the way"
    );
    let per = |a: f64, b: f64| (b - a) / batch as f64;
    [per(t0, t1), per(t1, t2), per(t2, t3)]
}

/// Times both transports, interleaved sample by sample so that a busy machine weighs on
/// both alike, and prints the medians (ms per message): encode, clone, decode, whole trip.
/// Yields to the page between samples: the runner's webdriver polls it and gives up when
/// the page stays busy for 20 s.
async fn compare_transports<T: PartialEq>(
    what: &str,
    batch: usize,
    json: Transport<'_, T>,
    value: Transport<'_, T>,
    expect: &T,
) {
    // Unoptimized, a 10 000-row trip takes a third of a second: few samples keep the whole
    // suite inside the runner's time limit (WASM_BINDGEN_TEST_TIMEOUT, 20 s by default).
    const SAMPLES: usize = if cfg!(debug_assertions) { 3 } else { 21 };
    let mut runs: [Vec<[f64; 3]>; 2] = [Vec::new(), Vec::new()];
    // One trip each first: the allocator and JS engine warm up outside the samples.
    trip(1, &json, expect);
    trip(1, &value, expect);
    for _ in 0..SAMPLES {
        runs[0].push(trip(batch, &json, expect));
        runs[1].push(trip(batch, &value, expect));
        settle().await;
    }
    for (name, r) in ["json text", "js values"].iter().zip(runs) {
        let leg = |i: usize| median(r.iter().map(|s| s[i]).collect());
        let total = median(r.iter().map(|s| s.iter().sum()).collect());
        console_log!(
            "transport {what}, {name}: encode {:.3} ms, clone {:.3} ms, decode {:.3} ms, \
             trip {:.3} ms (median of {SAMPLES}, {batch} per sample)",
            leg(0),
            leg(1),
            leg(2),
            total
        );
    }
}

#[wasm_bindgen_test]
async fn transport_json_text_or_js_values() {
    // A page of object rows, the widest table. No fixture holds 10 000 objects and the
    // engine pages at most PAGE_MAX rows, so the 10 000-row page repeats the largest
    // fixture's real rows, fetched page by page as the UI scrolls.
    let all = all_object_rows(TableKind::Objects, SortSpec::new("retained", true), "");
    assert!(all.len() >= PAGE_MAX as usize);
    for n in [PAGE_MAX as usize, 10_000] {
        let rows: Vec<ObjRow> = all.iter().cycle().take(n).cloned().collect();
        let resp = Response::Page(Page {
            offset: 0,
            total: all.len() as u64,
            rows: Rows::Objects(rows),
        });
        let reply = ResponseEnvelope { id: 9, resp };
        let expect = (reply.id, reply.resp.clone());
        let json_bytes = serde_json::to_string(&reply).unwrap().len();
        console_log!("transport: a page of {n} object rows is {json_bytes} bytes of JSON");
        compare_transports(
            &format!("reply of {n} rows"),
            1,
            Transport {
                encode: &|| wire::encode(&reply, None).unwrap(),
                decode: &|m| {
                    let e = wire::decode::<ResponseEnvelope>(m).unwrap().0;
                    (e.id, e.resp)
                },
            },
            Transport {
                encode: &|| value_message(&reply),
                decode: &|m| {
                    let e: ResponseEnvelope = value_envelope(m);
                    (e.id, e.resp)
                },
            },
            &expect,
        )
        .await;
    }

    let request = RequestEnvelope {
        id: 10,
        req: Request::Page(PageRequest {
            table: TableKind::Objects,
            offset: 9_000,
            limit: PAGE_MAX,
            sort: SortSpec::new("retained", true),
            filter: "main.".into(),
        }),
    };
    let expect = (request.id, request.req.clone());
    compare_transports(
        "request for a page",
        500,
        Transport {
            encode: &|| wire::encode(&request, None).unwrap(),
            decode: &|m| {
                let e = wire::decode::<RequestEnvelope>(m).unwrap().0;
                (e.id, e.req)
            },
        },
        Transport {
            encode: &|| value_message(&request),
            decode: &|m| {
                let e: RequestEnvelope = value_envelope(m);
                (e.id, e.req)
            },
        },
        &expect,
    )
    .await;

    // What JSON text carries and a JS number cannot: an address past 2^53.
    let far = Request::Contents {
        addr: u64::MAX - 7,
        offset: 0,
        len: 64,
    };
    assert!(serde_wasm_bindgen::to_value(&far).is_err());
    let (env, _) = wire::decode::<RequestEnvelope>(&structured_clone(
        &wire::encode(
            &RequestEnvelope {
                id: 1,
                req: far.clone(),
            },
            None,
        )
        .unwrap(),
    ))
    .unwrap();
    assert_eq!(env.req, far);
}
