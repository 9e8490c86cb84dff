//! What every view gets from the app: the [`AppCtx`] context (yew's `use_context`, or
//! `ctx.link().context` in struct components), provided by `App` around the open dump's views.

use std::rc::Rc;

use super::bridge::Bridge;
use super::route::Route;
use crate::engine::protocol::Loaded;

/// What every view needs.
#[derive(Clone, PartialEq)]
pub struct AppCtx {
    pub bridge: Rc<Bridge>,
    /// Bumped for every dump loaded; views refetch when it changes.
    pub generation: u32,
    pub loaded: Rc<Loaded>,
    pub route: Route,
}
