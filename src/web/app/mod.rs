//! The UI thread: a yew app that never reads the dump. It hands the `File` to the worker,
//! shows progress, then renders views from pages of rows the worker sends back.
//!
//! State lives in [`App`]: the worker bridge, the load state and the route (the URL hash).
//! Views get it through the [`AppCtx`] context (`ctx`), one file per view: `overview`,
//! `leaks`, `compare`, `dominators`, `flame`, `list_views` (objects, classes, lost),
//! `goroutines`, `inspector`, `retainers`, `export`. They share `virtual_table` (the
//! paged, virtualized table), `route` (the URL hash), `bridge` (requests to the worker)
//! and `fmt`; `loading` is the landing page and the progress panel.

mod bridge;
mod compare;
pub mod ctx;
mod dominators;
mod export;
mod flame;
mod fmt;
mod goroutines;
mod inspector;
mod leaks;
mod list_views;
// Public for the browser tests (tests/web_wasm.rs), as is `virtual_table`.
pub mod loading;
mod overview;
mod retainers;
mod route;
pub mod virtual_table;

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::File;
use yew::prelude::*;

use crate::engine::protocol::*;
use bridge::{Bridge, Reply};
use ctx::AppCtx;
use route::{Route, ViewKind};

enum LoadState {
    Idle,
    Loading {
        name: String,
        progress: Option<Progress>,
    },
    Ready(Rc<Loaded>),
    Failed(String),
}

pub enum Msg {
    HashChanged,
    Open(File),
    /// The executable that wrote the open dump, to name its globals and types.
    AttachExe(File),
    ExeReply(Reply),
    OpenSample,
    Reply(Reply),
    Cancel,
    Crash(String),
    Restart,
}

pub struct App {
    bridge: Rc<Bridge>,
    route: Route,
    state: LoadState,
    generation: u32,
    crash: Option<String>,
    /// The open dump is the sample (kept in the hash so a reload reopens it).
    sample_open: bool,
    /// The executable being read, or why the last one was refused.
    exe_status: Option<String>,
    _hashchange: Closure<dyn FnMut()>,
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a window")
}

fn current_hash() -> String {
    window().location().hash().unwrap_or_default()
}

fn replace_hash(hash: &str) {
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

impl App {
    fn load(&mut self, ctx: &Context<Self>, req: Request, file: Option<&File>, name: String) {
        if matches!(self.state, LoadState::Loading { .. }) {
            self.bridge.restart();
        }
        // The worker drops the open dump when the next load starts (one dump in memory).
        self.state = LoadState::Loading {
            name,
            progress: None,
        };
        let blob = file.map(|f| f.unchecked_ref::<web_sys::Blob>());
        self.bridge
            .request(req, blob, ctx.link().callback(Msg::Reply));
    }

    fn set_sample(&mut self, sample: bool) {
        self.sample_open = sample;
        if self.route.sample != sample {
            self.route.sample = sample;
            replace_hash(&self.route.to_hash());
        }
    }

    fn main_view(&self, ctx: &Context<Self>, loaded: &Rc<Loaded>) -> Html {
        let r = &self.route;
        let app = AppCtx {
            bridge: self.bridge.clone(),
            generation: self.generation,
            loaded: loaded.clone(),
            route: r.clone(),
        };
        let nav = ViewKind::SIDEBAR.iter().map(|&v| {
            let target = match v {
                ViewKind::Inspector | ViewKind::Retainers => Route {
                    view: v,
                    object: r.object,
                    ignore: if v == ViewKind::Retainers {
                        r.ignore.clone()
                    } else {
                        vec![]
                    },
                    ..Route::default()
                },
                _ => Route::to(v),
            };
            let mut target = target;
            target.sample = self.sample_open;
            html! {
                <a class={classes!("nav", (r.view == v).then_some("active"))}
                   href={target.to_hash()} data-testid={format!("nav-{}", v.slug())}>
                    { v.title() }
                </a>
            }
        });
        let s = &loaded.summary;
        html! {
            <ContextProvider<AppCtx> context={app}>
                <div class="shell">
                    <header class="top">
                        <span class="brand">{ "dumpscope" }</span>
                        <span class="file" title={loaded.file_name.clone()}>{ &loaded.file_name }</span>
                        <span class="muted" data-testid="load-stats"
                            data-decode-ms={loaded.decode_ms.to_string()}
                            data-analysis-ms={loaded.analysis_ms.to_string()}
                            data-wasm-memory={loaded.wasm_memory_bytes.to_string()}>
                            { format!("{} · {} · {} · analysed in {} · {} of memory", s.go_version, s.arch,
                                fmt::bytes(loaded.file_size), fmt::ms(loaded.decode_ms + loaded.analysis_ms),
                                fmt::bytes(loaded.wasm_memory_bytes)) }
                        </span>
                        if let Some(e) = &loaded.exe {
                            <span class="muted exe" data-testid="exe-name"
                                title={format!("{}: {}; matched by {}", e.file_name, e.described, e.matched)}>
                                { format!("named by {} · {}", e.file_name, e.described) }
                            </span>
                        }
                        <span class="spacer-x"></span>
                        if self.bridge.is_local() {
                            // The dump and its executable are dumpscope serve's arguments.
                            <span class="badge" data-testid="local-engine"
                                title="Analysed by the dumpscope serve process on this machine, which served this page. Start it with --exe BIN to name globals and types.">
                                { "local engine" }
                            </span>
                        } else {
                            <loading::FileButton testid="open-exe" on_file={ctx.link().callback(Msg::AttachExe)}
                                label={if s.executable.is_some() { "Another executable…" } else { "Add the executable…" }}
                                title="The Go binary that wrote this dump: names its globals and types (stripped binaries too). It is read here, never uploaded." />
                            <loading::FileButton testid="open-another" label="Open another dump…"
                                on_file={ctx.link().callback(Msg::Open)} />
                        }
                    </header>
                    <div class="banners">
                        if let Some(e) = &s.decode_error {
                            <div class="warning" data-testid="decode-warning">
                                <strong>{ "This dump is incomplete. " }</strong>
                                { "What was read before the problem is analysed: " }
                                <span class="mono">{ e }</span>
                            </div>
                        }
                        if let Some(x) = &s.executable {
                            <div class="note" data-testid="exe-summary">{ format!("Names from the executable — {x}") }</div>
                        }
                        if let Some(m) = &self.exe_status {
                            <div class="warning" data-testid="exe-status">{ m }</div>
                        }
                    </div>
                    <nav class="side">{ for nav }</nav>
                    <main class="content" data-testid={format!("view-{}", r.view.slug())}>
                        { self.view_body() }
                    </main>
                </div>
            </ContextProvider<AppCtx>>
        }
    }

    fn view_body(&self) -> Html {
        let r = &self.route;
        match r.view {
            ViewKind::Overview => html! { <overview::Overview /> },
            ViewKind::Leaks => html! { <leaks::LeakSuspects /> },
            ViewKind::Compare => html! { <compare::CompareView /> },
            ViewKind::Dominators => html! { <dominators::DominatorTreeView /> },
            ViewKind::Flame => html! { <flame::FlameGraph /> },
            ViewKind::Objects => html! { <list_views::ObjectsView filter={r.filter.clone()} /> },
            ViewKind::Classes => html! { <list_views::ClassesView filter={r.filter.clone()} /> },
            ViewKind::Goroutines => {
                html! { <goroutines::GoroutinesView filter={r.filter.clone()} /> }
            }
            ViewKind::Lost => html! { <list_views::LostView /> },
            ViewKind::Inspector => html! { <inspector::Inspector addr={r.object} /> },
            ViewKind::Retainers => {
                html! { <retainers::RetainersPanel addr={r.object} ignore={r.ignore.clone()} /> }
            }
            ViewKind::Export => html! { <export::ExportView /> },
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let hashchange = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::HashChanged));
        window().set_onhashchange(Some(hashchange.as_ref().unchecked_ref()));
        let bridge = Bridge::new(ctx.link().callback(Msg::Crash));
        let route = Route::parse(&current_hash());
        let mut app = App {
            bridge,
            route: route.clone(),
            state: LoadState::Idle,
            generation: 0,
            crash: None,
            sample_open: false,
            exe_status: None,
            _hashchange: hashchange,
        };
        if app.bridge.is_local() {
            // dumpscope serve opened its dump before it served this page.
            app.load(ctx, Request::Status, None, "local engine".into());
        } else if route.sample {
            app.load(
                ctx,
                Request::LoadUrl {
                    url: "sample.dump".into(),
                },
                None,
                "sample.dump".into(),
            );
            app.sample_open = true;
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::HashChanged => {
                let mut r = Route::parse(&current_hash());
                if self.sample_open && !r.sample {
                    r.sample = true;
                    replace_hash(&r.to_hash());
                }
                let changed = r != self.route;
                self.route = r;
                changed
            }
            Msg::Open(file) => {
                self.set_sample(false);
                let name = file.name();
                self.load(ctx, Request::Load { name: name.clone() }, Some(&file), name);
                true
            }
            Msg::AttachExe(file) => {
                let name = file.name();
                self.exe_status = Some(format!("reading {name}…"));
                let blob = file.unchecked_ref::<web_sys::Blob>();
                self.bridge.request(
                    Request::AttachExe { name },
                    Some(blob),
                    ctx.link().callback(Msg::ExeReply),
                );
                true
            }
            Msg::ExeReply(reply) => {
                match reply.resp {
                    Response::Loaded(l) => {
                        // Every view fetches its rows again under the new names.
                        self.generation += 1;
                        self.state = LoadState::Ready(Rc::new(*l));
                        self.exe_status = None;
                    }
                    Response::Error { message } | Response::LoadFailed { message } => {
                        self.exe_status = Some(message);
                    }
                    _ => return false,
                }
                true
            }
            Msg::OpenSample => {
                self.set_sample(true);
                self.load(
                    ctx,
                    Request::LoadUrl {
                        url: "sample.dump".into(),
                    },
                    None,
                    "sample.dump".into(),
                );
                true
            }
            Msg::Reply(reply) => {
                match reply.resp {
                    Response::Progress(p) => {
                        if let LoadState::Loading { progress, .. } = &mut self.state {
                            *progress = Some(p);
                        }
                    }
                    Response::Loaded(l) => {
                        self.generation += 1;
                        self.state = LoadState::Ready(Rc::new(*l));
                    }
                    // The answer to `Status` when no dump is open.
                    Response::Ready => self.state = LoadState::Idle,
                    Response::LoadFailed { message } | Response::Error { message } => {
                        self.state = LoadState::Failed(message);
                        self.set_sample(false);
                    }
                    _ => return false,
                }
                true
            }
            Msg::Cancel => {
                // Terminating the worker is the only way to stop it mid-load.
                self.bridge.restart();
                self.state = LoadState::Idle;
                self.set_sample(false);
                true
            }
            Msg::Crash(message) => {
                self.crash = Some(message);
                true
            }
            Msg::Restart => {
                self.crash = None;
                self.bridge.restart();
                self.state = LoadState::Idle;
                self.set_sample(false);
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        if let Some(message) = &self.crash {
            return html! {
                <div class="center">
                    <div class="error-panel" data-testid="error-panel" role="alert">
                        <h2>{ "The analysis stopped" }</h2>
                        if self.bridge.is_local() {
                            <p>{ "The dumpscope serve process that analyses the dump crashed: start it again." }</p>
                        } else {
                            <p>{ "The worker that analyses the dump crashed. The dump has not left this browser." }</p>
                        }
                        <pre class="mono">{ message }</pre>
                        <div class="row">
                            <button onclick={link.callback(|_| Msg::Restart)}>{ "Start over" }</button>
                            <button onclick={Callback::from(|_| { let _ = window().location().reload(); })}>{ "Reload the page" }</button>
                        </div>
                    </div>
                </div>
            };
        }
        let open = link.callback(Msg::Open);
        let sample = link.callback(|_| Msg::OpenSample);
        // After a reload the hash still names a view (and object): say where the next
        // dump opens, since the file itself is not kept anywhere.
        let r = &self.route;
        let resume = (r.view != ViewKind::Overview || r.object.is_some()).then(|| {
            let what = match r.object {
                Some(a) => format!("{} of 0x{a:x}", r.view.title()),
                None => r.view.title().to_string(),
            };
            html! {
                <p class="muted" data-testid="resume-note">
                    { format!("Open the same dump again to return to {what}.") }
                </p>
            }
        });
        match &self.state {
            LoadState::Ready(l) => self.main_view(ctx, l),
            LoadState::Idle => html! {
                <loading::Landing on_file={open} on_sample={sample}>{ for resume }</loading::Landing>
            },
            LoadState::Failed(message) => html! {
                <loading::Landing on_file={open} on_sample={sample}>
                    <div class="error-panel" data-testid="error-panel" role="alert">
                        <h2>{ "This file cannot be analysed" }</h2>
                        <pre class="mono">{ message }</pre>
                        <p class="muted">{ "dumpscope reads files written by Go's runtime/debug.WriteHeapDump." }</p>
                    </div>
                </loading::Landing>
            },
            LoadState::Loading { name, progress } => html! {
                <loading::Landing on_file={open} on_sample={sample}>
                    <loading::ProgressPanel name={name.clone()} progress={progress.clone()}
                        on_cancel={link.callback(|_| Msg::Cancel)} />
                </loading::Landing>
            },
        }
    }
}

/// Shows a crash panel straight in the DOM: after a panic yew may not render again.
fn show_panic(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = doc.body() else { return };
    let build = || -> Result<(), JsValue> {
        let panel = doc.create_element("div")?;
        panel.set_class_name("error-panel fatal");
        panel.set_attribute("data-testid", "error-panel")?;
        panel.set_attribute("role", "alert")?;
        let h = doc.create_element("h2")?;
        h.set_text_content(Some("dumpscope crashed"));
        let pre = doc.create_element("pre")?;
        pre.set_text_content(Some(message));
        let button = doc.create_element("button")?;
        button.set_text_content(Some("Reload the page"));
        let reload = Closure::<dyn FnMut()>::new(|| {
            let _ = window().location().reload();
        });
        button.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref())?;
        reload.forget();
        panel.append_child(&h)?;
        panel.append_child(&pre)?;
        panel.append_child(&button)?;
        body.append_child(&panel)?;
        Ok(())
    };
    let _ = build();
}

/// The app binary's entry point.
pub fn run() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("dumpscope panicked: {message}").into());
        show_panic(&message);
    }));
    // Offline use after the first visit (the service worker caches the app's own files);
    // not for a page of dumpscope serve, which is only there while it runs.
    if bridge::local_token().is_none() {
        let sw = window().navigator().service_worker();
        let _ = sw.register("sw.js");
    }
    let Some(root) = window().document().and_then(|d| d.get_element_by_id("app")) else {
        return;
    };
    yew::Renderer::<App>::with_root(root).render();
}
