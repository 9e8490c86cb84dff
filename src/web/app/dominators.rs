//! The dominator tree from the root node: each object's children are the objects that only
//! it keeps alive, largest retained size first, fetched a page at a time on expand.

use std::collections::{HashMap, HashSet};

use yew::context::ContextHandle;
use yew::prelude::*;

use super::bridge::Reply;
use super::ctx::AppCtx;
use super::fmt;
use super::route::{Route, ViewKind};
use crate::engine::protocol::*;

const PAGE: u32 = 50;

#[derive(Default)]
struct ChildList {
    rows: Vec<ObjRow>,
    total: u64,
    loading: bool,
}

pub enum Msg {
    Ctx(AppCtx),
    Toggle(u64),
    More(Option<u64>),
    Reply(u32, Option<u64>, Reply),
}

pub struct DominatorTreeView {
    app: AppCtx,
    _handle: ContextHandle<AppCtx>,
    lists: HashMap<Option<u64>, ChildList>,
    expanded: HashSet<u64>,
    generation: u32,
}

impl DominatorTreeView {
    fn fetch(&mut self, ctx: &Context<Self>, parent: Option<u64>) {
        let list = self.lists.entry(parent).or_default();
        if list.loading {
            return;
        }
        list.loading = true;
        let offset = list.rows.len() as u32;
        let generation = self.generation;
        self.app.bridge.request(
            Request::Page(PageRequest {
                table: TableKind::DomChildren { parent },
                offset,
                limit: PAGE,
                sort: SortSpec::new("retained", true),
                filter: String::new(),
            }),
            None,
            ctx.link()
                .callback(move |r| Msg::Reply(generation, parent, r)),
        );
    }

    fn list(&self, ctx: &Context<Self>, parent: Option<u64>, depth: u32, out: &mut Vec<Html>) {
        let Some(list) = self.lists.get(&parent) else {
            return;
        };
        let reachable = self.app.loaded.summary.reachable_bytes.max(1);
        let indent = (depth * 16).to_string();
        for r in &list.rows {
            let open = self.expanded.contains(&r.addr);
            let addr = r.addr;
            let toggle = if r.dominated > 0 {
                html! {
                    <button class="toggle" aria-expanded={open.to_string()}
                        title={format!("{} dominated objects", r.dominated)}
                        onclick={ctx.link().callback(move |_| Msg::Toggle(addr))}>
                        { if open { "▾" } else { "▸" } }
                    </button>
                }
            } else {
                html! { <span class="toggle"></span> }
            };
            out.push(html! {
                <div class="tree-row" key={format!("{}-{}", depth, r.addr)} data-testid="dom-row">
                    <svg class="spacer" width={indent.clone()} height="1"></svg>
                    { toggle }
                    <a class="mono" href={Route::object(ViewKind::Inspector, r.addr).to_hash()}>{ &r.address }</a>
                    <span class="cls" title={r.class.clone()}>{ &r.class }</span>
                    <meter min="0" max="1" value={format!("{:.4}", r.retained as f64 / reachable as f64)}></meter>
                    <span class="num" title={format!("{} B retained", r.retained)}>{ fmt::bytes(r.retained) }</span>
                    <span class="num muted">{ fmt::percent(r.retained, reachable) }</span>
                    <span class="num muted" title="shallow size">{ fmt::bytes(r.shallow) }</span>
                </div>
            });
            if open {
                self.list(ctx, Some(r.addr), depth + 1, out);
            }
        }
        if list.loading {
            out.push(
                html! { <div class="tree-row muted" key={format!("loading-{parent:?}")}>
                <svg class="spacer" width={indent.clone()} height="1"></svg>{ "loading…" }</div> },
            );
        } else if (list.rows.len() as u64) < list.total {
            let left = list.total - list.rows.len() as u64;
            out.push(html! {
                <div class="tree-row" key={format!("more-{parent:?}")}>
                    <svg class="spacer" width={indent} height="1"></svg>
                    <button class="link" onclick={ctx.link().callback(move |_| Msg::More(parent))}>
                        { format!("show {} more of {}", left.min(PAGE as u64), fmt::count(left)) }
                    </button>
                </div>
            });
        }
    }
}

impl Component for DominatorTreeView {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let (app, handle) = ctx
            .link()
            .context::<AppCtx>(ctx.link().callback(Msg::Ctx))
            .expect("AppCtx");
        let mut v = DominatorTreeView {
            generation: app.generation,
            app,
            _handle: handle,
            lists: HashMap::new(),
            expanded: HashSet::new(),
        };
        v.fetch(ctx, None);
        v
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Ctx(app) => {
                let reload = app.generation != self.generation;
                self.generation = app.generation;
                self.app = app;
                if reload {
                    self.lists.clear();
                    self.expanded.clear();
                    self.fetch(ctx, None);
                }
                true
            }
            Msg::Toggle(addr) => {
                if !self.expanded.remove(&addr) {
                    self.expanded.insert(addr);
                    if !self.lists.contains_key(&Some(addr)) {
                        self.fetch(ctx, Some(addr));
                    }
                }
                true
            }
            Msg::More(parent) => {
                self.fetch(ctx, parent);
                true
            }
            Msg::Reply(generation, parent, reply) => {
                if generation != self.generation {
                    return false;
                }
                let list = self.lists.entry(parent).or_default();
                list.loading = false;
                if let Response::Page(Page {
                    total,
                    rows: Rows::Objects(v),
                    ..
                }) = reply.resp
                {
                    list.total = total;
                    list.rows.extend(v);
                }
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let mut rows = Vec::new();
        self.list(ctx, None, 0, &mut rows);
        let s = &self.app.loaded.summary;
        html! {
            <div class="panel">
                <h2>{ "Dominator tree" }</h2>
                <p class="muted">{ format!("Everything under an object is kept alive only through it: freeing it frees its retained size. \
                    The root is the set of GC roots; {} reachable objects, {}.",
                    fmt::count(s.reachable_objects), fmt::bytes(s.reachable_bytes)) }</p>
                <div class="tree" data-testid="dominator-tree">
                    <div class="tree-row head">
                        <span class="toggle"></span><span>{ "object" }</span><span>{ "class" }</span>
                        <span></span><span class="num">{ "retained" }</span><span class="num">{ "of reachable" }</span>
                        <span class="num">{ "shallow" }</span>
                    </div>
                    { for rows }
                </div>
            </div>
        }
    }
}
