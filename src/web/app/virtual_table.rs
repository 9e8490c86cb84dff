//! A virtualized table: only the rows in view are in the DOM, fetched from the worker in
//! blocks of [`BLOCK`] rows as they scroll into view. Spacers above and below the rows give
//! the scrollbar its full length; past [`MAX_PX`] the scroll position maps onto the rows
//! proportionally (browsers cap an element's height near 2^25 px).
//!
//! Heights are SVG attributes, not inline styles, so the page's CSP can forbid inline
//! styles entirely.

use std::collections::{HashMap, HashSet};

use web_sys::HtmlElement;
use yew::context::ContextHandle;
use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{Route, ViewKind};
use crate::analysis::naming::NameSource;
use crate::engine::protocol::*;

/// Must match `.vt .tr { height }` in www/style.css.
pub const ROW_H: f64 = 24.0;
const BLOCK: u32 = 100;
const MAX_PX: f64 = 8_000_000.0;
/// Rows rendered beyond the viewport, to hide the fetch while scrolling slowly.
const OVERSCAN: f64 = 4.0;

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub table: TableKind,
    #[prop_or_default]
    pub filter: String,
    /// `data-testid` of every row.
    #[prop_or_default]
    pub row_testid: AttrValue,
    /// Extra class on the table (e.g. a fixed height).
    #[prop_or_default]
    pub class: Classes,
    /// Told the row count for a filter once the worker has answered (`None` while it is
    /// not known), so a view can show how many rows its filter keeps.
    #[prop_or_default]
    pub on_total: Option<Callback<(String, Option<u64>)>>,
}

pub enum Msg {
    Ctx(AppCtx),
    Scroll,
    Sort(&'static str),
    Reply {
        epoch: u32,
        block: u32,
        reply: Reply,
    },
}

pub struct VirtualTable {
    app: AppCtx,
    _ctx_handle: Option<ContextHandle<AppCtx>>,
    sort: SortSpec,
    /// Bumped whenever what the rows mean changes; older replies are dropped.
    epoch: u32,
    total: Option<u64>,
    blocks: HashMap<u32, Rows>,
    pending: HashSet<u32>,
    scroll_top: f64,
    viewport: f64,
    body: NodeRef,
    error: Option<String>,
}

impl VirtualTable {
    /// Tells the view (if it listens) the row count for the current filter.
    fn report_total(&self, ctx: &Context<Self>) {
        let props = ctx.props();
        if let Some(cb) = &props.on_total {
            cb.emit((props.filter.clone(), self.total));
        }
    }

    fn reset(&mut self, ctx: &Context<Self>) {
        self.epoch = self.epoch.wrapping_add(1);
        self.total = None;
        self.report_total(ctx);
        self.blocks.clear();
        self.pending.clear();
        self.error = None;
        if let Some(el) = self.body.cast::<HtmlElement>() {
            el.set_scroll_top(0);
        }
        self.scroll_top = 0.0;
        self.fetch(ctx);
    }

    /// First visible row, the spacer above it and the number of rows to draw.
    fn window(&self) -> (u64, f64, u64, f64) {
        let total = self.total.unwrap_or(0);
        let full = total as f64 * ROW_H;
        let height = full.min(MAX_PX);
        let viewport = if self.viewport > 0.0 {
            self.viewport
        } else {
            600.0
        };
        let rows = (viewport / ROW_H).ceil() + OVERSCAN;
        let (first, top) = if full <= MAX_PX {
            let first = (self.scroll_top / ROW_H).floor().max(0.0);
            (first, first * ROW_H)
        } else {
            let max_scroll = (height - viewport).max(1.0);
            let frac = (self.scroll_top / max_scroll).clamp(0.0, 1.0);
            let first = (frac * (total as f64 - rows).max(0.0)).floor();
            (first, self.scroll_top.min(height - rows * ROW_H).max(0.0))
        };
        let first = (first as u64).min(total);
        let count = (rows as u64).min(total - first);
        (first, top, count, height)
    }

    fn fetch(&mut self, ctx: &Context<Self>) {
        let (first, _, count, _) = self.window();
        let blocks: Vec<u32> = if self.total.is_none() {
            vec![0]
        } else if count == 0 {
            vec![]
        } else {
            let lo = (first / BLOCK as u64) as u32;
            let hi = ((first + count - 1) / BLOCK as u64) as u32;
            (lo..=hi).collect()
        };
        for block in blocks {
            if self.blocks.contains_key(&block) || self.pending.contains(&block) {
                continue;
            }
            self.pending.insert(block);
            let epoch = self.epoch;
            let props = ctx.props();
            let req = Request::Page(PageRequest {
                table: props.table.clone(),
                offset: block * BLOCK,
                limit: BLOCK,
                sort: self.sort.clone(),
                filter: props.filter.clone(),
            });
            self.app.bridge.request(
                req,
                None,
                ctx.link().callback(move |reply| Msg::Reply {
                    epoch,
                    block,
                    reply,
                }),
            );
        }
        // Keep memory bounded on long scrolls: drop blocks far from the view.
        if self.blocks.len() > 40 {
            let centre = (first / BLOCK as u64) as i64;
            self.blocks
                .retain(|&b, _| (i64::from(b) - centre).abs() <= 10);
        }
    }

    fn measure(&mut self) {
        if let Some(el) = self.body.cast::<HtmlElement>() {
            self.scroll_top = f64::from(el.scroll_top());
            self.viewport = f64::from(el.client_height());
        }
    }

    fn row(&self, i: u64, props: &TableProps) -> Html {
        let block = (i / BLOCK as u64) as u32;
        let k = (i % BLOCK as u64) as usize;
        let testid = props.row_testid.clone();
        match self.blocks.get(&block) {
            Some(Rows::Objects(v)) if k < v.len() => object_row(&v[k], i, testid),
            Some(Rows::Classes(v)) if k < v.len() => class_row(&v[k], i, testid),
            Some(Rows::Goroutines(v)) if k < v.len() => {
                let g = &v[k];
                html! {
                    <div class="tr" key={i} data-testid={testid}>
                        <span class="num">{ fmt::count(g.count) }</span>
                        <span>{ &g.wait_reason }</span>
                        <span class="mono">{ &g.top_function }</span>
                        <span class="num">{ fmt::bytes(g.stack_retained_bytes) }</span>
                    </div>
                }
            }
            _ => html! { <div class="tr pending" key={i}><span>{ "…" }</span></div> },
        }
    }
}

pub fn object_row(r: &ObjRow, key: u64, testid: AttrValue) -> Html {
    let inspect = Route::object(ViewKind::Inspector, r.addr).to_hash();
    html! {
        <div class={classes!("tr", (!r.reachable).then_some("unreachable"))} key={key} data-testid={testid}>
            <span class="mono"><a href={inspect}>{ &r.address }</a></span>
            <span class="num" title={format!("{} B", r.shallow)}>{ fmt::bytes(r.shallow) }</span>
            <span class="num" title={format!("{} B", r.retained)}>{ fmt::bytes(r.retained) }</span>
            <span class="cls" title={r.class.clone()}>
                <span class={classes!("src", r.class_source.key())}>{ source_tag(r.class_source) }</span>
                { &r.class }
            </span>
        </div>
    }
}

fn class_row(c: &ClassRow, key: u64, testid: AttrValue) -> Html {
    let objects = Route::with_filter(ViewKind::Objects, &format!("={}", c.class)).to_hash();
    let example = super::route::parse_addr(&c.example)
        .map(|a| Route::object(ViewKind::Inspector, a).to_hash());
    html! {
        <div class="tr" key={key} data-testid={testid}>
            <span class="cls" title={c.class.clone()}>
                <span class={classes!("src", c.source.key())}>{ source_tag(c.source) }</span>
                <a href={objects} title="list the objects of this class">{ &c.class }</a>
            </span>
            <span class="num">{ fmt::count(c.count) }</span>
            <span class="num" title={format!("{} B", c.shallow)}>{ fmt::bytes(c.shallow) }</span>
            <span class="num" title={format!("{} B", c.retained)}>
                if let Some(href) = example {
                    <a href={href} title="the member that retains the most">{ fmt::bytes(c.retained) }</a>
                } else {
                    { fmt::bytes(c.retained) }
                }
            </span>
            <span class="num">{ format!("{:.1}%", c.share * 100.0) }</span>
        </div>
    }
}

/// A short badge for how a class was named.
pub fn source_tag(source: NameSource) -> &'static str {
    match source {
        NameSource::MallocHeader => "type",
        NameSource::Interface => "iface",
        NameSource::ExeType => "exe",
        NameSource::AllocSite => "site",
        NameSource::InheritedAllocSite => "site~",
        NameSource::Shape => "shape",
    }
}

pub fn cols_class(table: &TableKind) -> &'static str {
    match table {
        TableKind::Classes => "cols-classes",
        TableKind::Goroutines => "cols-goroutines",
        _ => "cols-objects",
    }
}

impl Component for VirtualTable {
    type Message = Msg;
    type Properties = TableProps;

    fn create(ctx: &Context<Self>) -> Self {
        let (app, handle) = ctx
            .link()
            .context::<AppCtx>(ctx.link().callback(Msg::Ctx))
            .expect("VirtualTable needs the AppCtx context");
        let mut t = VirtualTable {
            app,
            _ctx_handle: Some(handle),
            sort: default_sort(&ctx.props().table),
            epoch: 0,
            total: None,
            blocks: HashMap::new(),
            pending: HashSet::new(),
            scroll_top: 0.0,
            viewport: 0.0,
            body: NodeRef::default(),
            error: None,
        };
        t.fetch(ctx);
        t
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Self::Properties) -> bool {
        let p = ctx.props();
        if p.table != old.table {
            self.sort = default_sort(&p.table);
        }
        if p.table != old.table || p.filter != old.filter {
            self.reset(ctx);
        }
        true
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Ctx(app) => {
                let reload = app.generation != self.app.generation;
                self.app = app;
                if reload {
                    self.reset(ctx);
                }
                true
            }
            Msg::Scroll => {
                let before = self.window();
                self.measure();
                self.fetch(ctx);
                let after = self.window();
                before.0 != after.0 || before.1 != after.1 || before.2 != after.2
            }
            Msg::Sort(key) => {
                if self.sort.key == key {
                    self.sort.desc = !self.sort.desc;
                } else {
                    let numeric = columns(&ctx.props().table)
                        .iter()
                        .any(|c| c.0 == key && c.2);
                    self.sort = SortSpec::new(key, numeric);
                }
                self.reset(ctx);
                true
            }
            Msg::Reply {
                epoch,
                block,
                reply,
            } => {
                if epoch != self.epoch {
                    return false;
                }
                self.pending.remove(&block);
                match reply.resp {
                    Response::Page(p) => {
                        let first = self.total.is_none();
                        let changed = self.total != Some(p.total);
                        self.total = Some(p.total);
                        self.blocks.insert(block, p.rows);
                        if changed {
                            self.report_total(ctx);
                        }
                        if first {
                            self.fetch(ctx);
                        }
                    }
                    Response::Error { message } => self.error = Some(message),
                    _ => {}
                }
                true
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            self.measure();
            self.fetch(ctx);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let cols = cols_class(&props.table);
        let (first, top, count, height) = self.window();
        let bottom = (height - top - count as f64 * ROW_H).max(0.0);
        let header = columns(&props.table).iter().map(|&(key, title, numeric)| {
            let active = self.sort.key == key;
            let arrow = match (active, self.sort.desc) {
                (true, true) => " ▼",
                (true, false) => " ▲",
                _ => "",
            };
            html! {
                <button class={classes!("th", numeric.then_some("num"), active.then_some("active"))}
                    onclick={ctx.link().callback(move |_| Msg::Sort(key))}>
                    { title }{ arrow }
                </button>
            }
        });
        let rows = (first..first + count).map(|i| self.row(i, props));
        let footer = match self.total {
            Some(0) => "no rows".to_string(),
            Some(t) if count > 0 && count < t => format!(
                "rows {}–{} of {}",
                fmt::count(first + 1),
                fmt::count(first + count),
                fmt::count(t)
            ),
            Some(t) => format!("{} rows", fmt::count(t)),
            None => "loading…".to_string(),
        };
        html! {
            <div class={classes!("vt", cols, props.class.clone())}>
                <div class="thead tr">{ for header }</div>
                <div class="tbody" ref={self.body.clone()} onscroll={ctx.link().callback(|_| Msg::Scroll)}>
                    <svg class="spacer" width="1" height={top.to_string()}></svg>
                    { for rows }
                    <svg class="spacer" width="1" height={bottom.to_string()}></svg>
                </div>
                <div class="tfoot">
                    if let Some(e) = &self.error {
                        <span class="err">{ e }</span>
                    } else {
                        { footer }
                    }
                </div>
            </div>
        }
    }
}
