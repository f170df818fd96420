//! The state a discussion's components share: each comment's signals, the open box, the
//! count and the status line, provided by the island at the top and read by the thread, the
//! comment box and the delete confirmation.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::query::{NoJsState, Open, Refused};
use crate::discussion::{Comment, DeleteComment, Deleted, Sort, Thread};
use crate::site::query_value;

/// A comment on the page: its data and its replies, each reactive on its own so an edit or a
/// new reply re-renders only what changed.
#[derive(Clone, Copy)]
pub(super) struct Node {
    pub(super) id: i64,
    pub(super) comment: RwSignal<Comment>,
    pub(super) replies: RwSignal<Vec<Node>>,
    /// Its direct replies stored (`comment.reply_count` as read, kept up to date apart from
    /// the comment, so that a reply arriving does not render the comment again).
    pub(super) reply_count: RwSignal<i64>,
    /// Another reader posted it while the page was open (marked "New").
    pub(super) new: bool,
}

impl Node {
    fn new(thread: Thread, index: &mut HashMap<i64, Node>, new: bool) -> Self {
        let replies = thread
            .replies
            .into_iter()
            .map(|reply| Node::new(reply, index, new))
            .collect();
        let node = Node {
            id: thread.comment.id,
            new: new && !thread.comment.mine,
            reply_count: RwSignal::new(thread.comment.reply_count),
            comment: RwSignal::new(thread.comment),
            replies: RwSignal::new(replies),
        };
        index.insert(node.id, node);
        node
    }
}

/// What the discussion's components share.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    /// The discussion component's owner: comments added later (posted, loaded) live as long
    /// as the discussion, not as long as the box or request that brought them.
    pub(super) owner: StoredValue<Owner>,
    pub(super) slug: StoredValue<String>,
    /// The page the discussion is on, for GET forms and links.
    pub(super) base: StoredValue<String>,
    /// Query parameters a GET form keeps (order, page).
    pub(super) keep: StoredValue<Vec<(&'static str, String)>>,
    pub(super) signed_in: bool,
    pub(super) sort: Sort,
    pub(super) total: RwSignal<i64>,
    /// The clock the edit windows are measured against (the server's, moved on by the
    /// browser's once hydrated).
    pub(super) now: RwSignal<i64>,
    pub(super) open: RwSignal<Open>,
    pub(super) roots: RwSignal<Vec<Node>>,
    pub(super) index: StoredValue<HashMap<i64, Node>>,
    pub(super) status: RwSignal<Option<String>>,
    pub(super) refused: StoredValue<Option<Refused>>,
    /// On a sub-thread page, where the comment at its top is shown in context.
    pub(super) context_href: Option<StoredValue<String>>,
    /// The first and the last page of comments shown (a discussion loads more in place; a
    /// sub-thread page shows one page of replies).
    pub(super) pages: RwSignal<(u32, u32)>,
    /// Whether more comments follow the last page shown: a new comment goes to the end of
    /// the page only when the page is the end.
    pub(super) has_more: RwSignal<bool>,
    /// Other readers' comments that arrived while the page was open, for the live region.
    pub(super) arrived: RwSignal<i64>,
    /// The reader's own comments being posted from this page: a live event may announce one
    /// before its post answers.
    pub(super) posting: StoredValue<u32>,
    /// Comments announced live and not shown (with the comment each answers), while a post
    /// of the reader's was in flight: the reader's own, or another's, which the post's answer
    /// tells apart.
    pub(super) unsure: StoredValue<Vec<(i64, Option<i64>)>>,
    /// The comment the reader just reported (thanked for under it).
    pub(super) reported: RwSignal<Option<i64>>,
    /// The reader's own comments waiting for a moderator.
    pub(super) held: RwSignal<Vec<Comment>>,
}

/// What a discussion page starts from.
pub(super) struct Setup {
    pub(super) slug: String,
    pub(super) base: String,
    pub(super) keep: Vec<(&'static str, String)>,
    pub(super) signed_in: bool,
    pub(super) sort: Sort,
    pub(super) total: i64,
    pub(super) now: i64,
    pub(super) threads: Vec<Thread>,
    pub(super) context_href: Option<String>,
    /// The page of comments shown.
    pub(super) page: u32,
    /// Whether more comments follow it.
    pub(super) has_more: bool,
    /// What a request without JavaScript asked for.
    pub(super) state: NoJsState,
    /// The reader's own comments waiting for a moderator.
    pub(super) held: Vec<Comment>,
}

impl Ctx {
    /// Builds the shared state of a discussion page (with the box or refusal a request
    /// without JavaScript asked for) and provides it to the components below.
    pub(super) fn provide(setup: Setup) -> Self {
        let NoJsState {
            open,
            refused,
            reported,
        } = setup.state;
        let mut index = HashMap::new();
        let roots: Vec<Node> = setup
            .threads
            .into_iter()
            .map(|t| Node::new(t, &mut index, false))
            .collect();
        let ctx = Ctx {
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            slug: StoredValue::new(setup.slug),
            base: StoredValue::new(setup.base),
            keep: StoredValue::new(setup.keep),
            signed_in: setup.signed_in,
            sort: setup.sort,
            total: RwSignal::new(setup.total),
            now: RwSignal::new(setup.now),
            open: RwSignal::new(open),
            roots: RwSignal::new(roots),
            index: StoredValue::new(index),
            status: RwSignal::new(None),
            refused: StoredValue::new(refused.clone()),
            context_href: setup.context_href.map(StoredValue::new),
            pages: RwSignal::new((setup.page, setup.page)),
            has_more: RwSignal::new(setup.has_more),
            arrived: RwSignal::new(0),
            posting: StoredValue::new(0),
            unsure: StoredValue::new(Vec::new()),
            reported: RwSignal::new(reported),
            held: RwSignal::new(setup.held),
        };
        provide_context(ctx);
        tick_clock(ctx.now);
        if let Some(r) = refused.filter(|r| r.path == DeleteComment::PATH) {
            ctx.status.set(Some(format!("Not deleted: {}", r.message)));
        }
        ctx
    }

    pub(super) fn node(&self, id: i64) -> Option<Node> {
        self.index.with_value(|index| index.get(&id).copied())
    }

    /// Makes the nodes of `thread` (not yet placed); `new` marks them as other readers'.
    pub(super) fn add(&self, thread: Thread, new: bool) -> Node {
        let mut added = HashMap::new();
        let node = self
            .owner
            .with_value(|owner| owner.with(|| Node::new(thread, &mut added, new)));
        self.index.update_value(|index| index.extend(added));
        node
    }

    /// Puts a comment the reader just posted into its place: under its parent, or at the end
    /// of the top-level comments (the start when newest come first). A live event may have
    /// brought it already: then it is only brought up to date.
    pub(super) fn insert(&self, comment: Comment) {
        if let Some(node) = self.node(comment.id) {
            node.comment.set(comment);
            return;
        }
        let parent = comment.parent_id;
        let node = self.add(
            Thread {
                comment,
                replies: Vec::new(),
            },
            false,
        );
        match parent.and_then(|p| self.node(p)) {
            Some(parent) => {
                parent.reply_count.update(|n| *n += 1);
                parent.replies.update(|r| r.push(node));
            }
            None if self.sort == Sort::Newest => self.roots.update(|r| r.insert(0, node)),
            None => self.roots.update(|r| r.push(node)),
        }
    }

    /// A post of the reader's starts: live events meanwhile may be its own comment.
    pub(super) fn posting(&self) {
        self.posting.update_value(|n| *n += 1);
    }

    /// A post of the reader's ended, with its comment if it was posted: the comments
    /// announced meanwhile that were not the reader's own are counted as arrived.
    pub(super) fn posted(&self, own: Option<i64>) {
        self.posting.update_value(|n| *n = n.saturating_sub(1));
        if self.posting.get_value() > 0 {
            return;
        }
        let mut unsure = Vec::new();
        self.unsure.update_value(|u| unsure = std::mem::take(u));
        for (id, parent) in unsure {
            if Some(id) != own {
                self.arrived_elsewhere(parent);
            }
        }
    }

    /// Another reader's comment arrived that this page does not show (it belongs to another
    /// page, or under replies not shown here): only the counts change.
    pub(super) fn arrived_elsewhere(&self, parent: Option<i64>) {
        if let Some(parent) = parent.and_then(|p| self.node(p)) {
            parent.reply_count.update(|n| *n += 1);
        }
        self.arrived.update(|n| *n += 1);
    }

    /// Applies a deletion the server confirmed, and closes the box the reader had open for
    /// it.
    pub(super) fn remove(&self, id: i64, deleted: &Deleted) {
        self.apply_deletion(id, deleted);
        self.open.set(Open::Nothing);
    }

    /// Applies a deletion (the reader's, or another's announced live: then whatever box the
    /// reader has open stays as it is). Applying one twice changes nothing.
    pub(super) fn apply_deletion(&self, id: i64, deleted: &Deleted) {
        self.total.set(deleted.total);
        if deleted.placeholder {
            if let Some(node) = self.node(id) {
                node.comment.update(|c| {
                    c.deleted = true;
                    c.author_name.clear();
                    c.body_html.clear();
                    c.body_markdown.clear();
                    c.mine = false;
                    c.can_delete = false;
                });
            }
        }
        for removed in &deleted.removed {
            let Some(node) = self.node(*removed) else {
                continue;
            };
            let parent = node.comment.with_untracked(|c| c.parent_id);
            match parent.and_then(|p| self.node(p)) {
                Some(parent) => {
                    parent.replies.update(|r| r.retain(|n| n.id != *removed));
                    parent.reply_count.update(|n| *n -= 1);
                }
                None => self.roots.update(|r| r.retain(|n| n.id != *removed)),
            }
            self.index.update_value(|index| {
                index.remove(removed);
            });
        }
    }

    /// Takes comment `id` and everything under it off the page, counts untouched: for a
    /// comment found gone after events were missed, where the counts were read again.
    #[cfg(feature = "hydrate")]
    pub(super) fn forget(&self, id: i64) {
        let Some(node) = self.node(id) else {
            return;
        };
        match node
            .comment
            .with_untracked(|c| c.parent_id)
            .and_then(|p| self.node(p))
        {
            Some(parent) => parent.replies.update(|r| r.retain(|n| n.id != id)),
            None => self.roots.update(|r| r.retain(|n| n.id != id)),
        }
        let mut gone = vec![node];
        while let Some(node) = gone.pop() {
            self.index.update_value(|index| {
                index.remove(&node.id);
            });
            gone.extend(node.replies.get_untracked());
        }
    }

    /// The href of this page with `params` (and the kept order and page) and an anchor.
    pub(super) fn href(&self, params: &[(&str, String)], anchor: &str) -> String {
        let mut query: Vec<(String, String)> = self
            .keep
            .get_value()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        query.extend(params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let query = query
            .iter()
            .map(|(k, v)| format!("{k}={}", query_value(v)))
            .collect::<Vec<_>>()
            .join("&");
        let base = self.base.get_value();
        if query.is_empty() {
            format!("{base}{anchor}")
        } else {
            format!("{base}?{query}{anchor}")
        }
    }
}

pub(super) fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// Moves the edit-window clock on once the page runs in a browser.
fn tick_clock(now: RwSignal<i64>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let server_now = now.get_untracked();
        let started = js_sys::Date::now();
        let handle = set_interval_with_handle(
            move || now.set(server_now + (js_sys::Date::now() - started) as i64),
            std::time::Duration::from_secs(15),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = now;
}
