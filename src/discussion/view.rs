//! The discussion's components.
//!
//! Every control is a real form first: "Reply", "Edit" and "Delete" are GET forms that open
//! their box in the server render (`?reply=ID`, `?edit=ID`, `?delete=ID`), and posting,
//! saving and deleting are POST forms to the server functions. Once hydrated, the same forms
//! are handled in place: boxes open without navigation and results update the thread.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    get_comment_thread, Comment, CommentPage, DeleteComment, Deleted, EditComment, PostComment,
    Posted, Sort, Thread, ThreadPage, EDIT_WINDOW_MS, LEVELS_PER_PAGE,
};
use crate::accounts::sign_in_href;
use crate::articles::pages::{plural, use_page_number};
use crate::error::AppError;

/// A comment on the page: its data and its replies, each reactive on its own so an edit or a
/// new reply re-renders only what changed.
#[derive(Clone, Copy)]
struct Node {
    id: i64,
    comment: RwSignal<Comment>,
    replies: RwSignal<Vec<Node>>,
}

impl Node {
    fn new(thread: Thread, index: &mut HashMap<i64, Node>) -> Self {
        let replies = thread
            .replies
            .into_iter()
            .map(|reply| Node::new(reply, index))
            .collect();
        let node = Node {
            id: thread.comment.id,
            comment: RwSignal::new(thread.comment),
            replies: RwSignal::new(replies),
        };
        index.insert(node.id, node);
        node
    }
}

/// Which box is open under which comment (one at a time, like a conversation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Nothing,
    Reply(i64),
    Edit(i64),
    Delete(i64),
}

/// A form posted without JavaScript that the server refused: shown again in its box.
#[derive(Debug, Clone)]
struct Refused {
    /// The server function's path.
    path: String,
    /// The comment the box belongs to (the parent of a reply, the comment edited).
    target: Option<i64>,
    /// The message for the box.
    message: String,
    /// What the reader had typed.
    text: String,
}

/// What the discussion's components share.
#[derive(Clone, Copy)]
struct Ctx {
    /// The discussion component's owner: comments added later (posted, loaded) live as long
    /// as the discussion, not as long as the box or request that brought them.
    owner: StoredValue<Owner>,
    slug: StoredValue<String>,
    /// The page the discussion is on, for GET forms and links.
    base: StoredValue<String>,
    /// Query parameters a GET form keeps (order, page).
    keep: StoredValue<Vec<(&'static str, String)>>,
    signed_in: bool,
    sort: Sort,
    total: RwSignal<i64>,
    /// The clock the edit windows are measured against (the server's, moved on by the
    /// browser's once hydrated).
    now: RwSignal<i64>,
    open: RwSignal<Open>,
    roots: RwSignal<Vec<Node>>,
    index: StoredValue<HashMap<i64, Node>>,
    status: RwSignal<Option<String>>,
    refused: StoredValue<Option<Refused>>,
    /// On a sub-thread page, where the comment at its top is shown in context.
    context_href: Option<StoredValue<String>>,
}

/// What a discussion page starts from.
struct Setup {
    slug: String,
    base: String,
    keep: Vec<(&'static str, String)>,
    signed_in: bool,
    sort: Sort,
    total: i64,
    now: i64,
    threads: Vec<Thread>,
    context_href: Option<String>,
}

impl Ctx {
    /// Builds the shared state of a discussion page (with the box or refusal a request
    /// without JavaScript asked for) and provides it to the components below.
    fn provide(setup: Setup) -> Self {
        let (open, refused) = state_from_query();
        let mut index = HashMap::new();
        let roots: Vec<Node> = setup
            .threads
            .into_iter()
            .map(|t| Node::new(t, &mut index))
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
        };
        provide_context(ctx);
        tick_clock(ctx.now);
        if let Some(r) = refused.filter(|r| r.path == DeleteComment::PATH) {
            ctx.status.set(Some(format!("Not deleted: {}", r.message)));
        }
        ctx
    }

    fn node(&self, id: i64) -> Option<Node> {
        self.index.with_value(|index| index.get(&id).copied())
    }

    fn add(&self, thread: Thread) -> Node {
        let mut new = HashMap::new();
        let node = self
            .owner
            .with_value(|owner| owner.with(|| Node::new(thread, &mut new)));
        self.index.update_value(|index| index.extend(new));
        node
    }

    /// Puts a comment just posted into its place: under its parent, or at the end of the
    /// top-level comments (the start when newest come first).
    fn insert(&self, comment: Comment) {
        let parent = comment.parent_id;
        let node = self.add(Thread {
            comment,
            replies: Vec::new(),
        });
        match parent.and_then(|p| self.node(p)) {
            Some(parent) => {
                parent.comment.update(|c| c.reply_count += 1);
                parent.replies.update(|r| r.push(node));
            }
            None if self.sort == Sort::Newest => self.roots.update(|r| r.insert(0, node)),
            None => self.roots.update(|r| r.push(node)),
        }
    }

    /// Applies a deletion the server confirmed.
    fn remove(&self, id: i64, deleted: &Deleted) {
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
            let parent = self
                .node(*removed)
                .and_then(|n| n.comment.get_untracked().parent_id);
            match parent.and_then(|p| self.node(p)) {
                Some(parent) => {
                    parent.replies.update(|r| r.retain(|n| n.id != *removed));
                    parent.comment.update(|c| c.reply_count -= 1);
                }
                None => self.roots.update(|r| r.retain(|n| n.id != *removed)),
            }
            self.index.update_value(|index| {
                index.remove(removed);
            });
        }
        self.open.set(Open::Nothing);
    }

    /// The href of this page with `params` (and the kept order and page) and an anchor.
    fn href(&self, params: &[(&str, String)], anchor: &str) -> String {
        let mut query: Vec<(String, String)> = self
            .keep
            .get_value()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        query.extend(params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let query = query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
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

fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// The last value of query parameter `key` (a form posted twice from a page that already
/// carries an error appends a second one).
fn last_param(query: &leptos_router::params::ParamsMap, key: &str) -> Option<String> {
    query.get_all(key).and_then(|mut values| values.pop())
}

/// Reads the state a server render without JavaScript is asked for: the open box and a
/// refused form.
fn state_from_query() -> (Open, Option<Refused>) {
    let query = use_query_map();
    let query = query.read_untracked();
    let id = |key: &str| last_param(&query, key).and_then(|v| v.parse::<i64>().ok());
    let refused = match (last_param(&query, "__path"), last_param(&query, "__err")) {
        (Some(path), Some(err)) => {
            let err = leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&err);
            let target = err
                .kept_value("parent")
                .or_else(|| err.kept_value("id"))
                .and_then(|v| v.parse().ok());
            Some(Refused {
                path,
                target,
                message: err.field_message("body").unwrap_or_else(|| err.to_string()),
                text: err.kept_value("body").unwrap_or_default(),
            })
        }
        _ => None,
    };
    let open = match &refused {
        Some(r) if r.path == PostComment::PATH && r.target.is_some() => {
            Open::Reply(r.target.unwrap_or_default())
        }
        Some(r) if r.path == EditComment::PATH && r.target.is_some() => {
            Open::Edit(r.target.unwrap_or_default())
        }
        _ => {
            if let Some(id) = id("reply") {
                Open::Reply(id)
            } else if let Some(id) = id("edit") {
                Open::Edit(id)
            } else if let Some(id) = id("delete") {
                Open::Delete(id)
            } else {
                Open::Nothing
            }
        }
    };
    (open, refused)
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

/// The "Discussion" section of the article page.
#[component]
pub fn Discussion(
    slug: String,
    signed_in: bool,
    comments: Resource<Result<CommentPage, AppError>>,
) -> impl IntoView {
    let path = format!("/articles/{slug}");
    view! {
        <section class="panel" id="discussion" aria-labelledby="discussion-heading">
            <h2 id="discussion-heading">"Discussion"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading comments…"</p> }>
                {
                    let slug = slug.clone();
                    let path = path.clone();
                    move || {
                        let slug = slug.clone();
                        let path = path.clone();
                        Suspend::new(async move {
                            match comments.await {
                                Ok(page) => {
                                    view! { <ArticleDiscussion page slug path signed_in /> }
                                        .into_any()
                                }
                                Err(err) => {
                                    view! {
                                        <p class="form-error" role="alert">
                                            {format!("Comments could not be loaded: {err}")}
                                        </p>
                                    }
                                        .into_any()
                                }
                            }
                        })
                    }
                }
            </Transition>
        </section>
    }
}

#[component]
fn ArticleDiscussion(
    page: CommentPage,
    slug: String,
    path: String,
    signed_in: bool,
) -> impl IntoView {
    let mut keep = Vec::new();
    if page.sort == Sort::Newest {
        keep.push(("sort", "newest".to_owned()));
    }
    if page.page > 1 {
        keep.push(("page", page.page.to_string()));
    }
    let ctx = Ctx::provide(Setup {
        slug: slug.clone(),
        base: path.clone(),
        keep,
        signed_in,
        sort: page.sort,
        total: page.total,
        now: page.now,
        threads: page.threads,
        context_href: None,
    });

    let loaded_page = RwSignal::new(page.page);
    let has_more = RwSignal::new(page.has_more);
    let loading = RwSignal::new(false);
    let sort = page.sort;
    let page_href = move |n: u32| {
        let mut query = Vec::new();
        if sort == Sort::Newest {
            query.push("sort=newest".to_owned());
        }
        if n > 1 {
            query.push(format!("page={n}"));
        }
        if query.is_empty() {
            format!("/articles/{}#discussion", ctx.slug.get_value())
        } else {
            format!(
                "/articles/{}?{}#discussion",
                ctx.slug.get_value(),
                query.join("&")
            )
        }
    };
    let load_more = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let next = loaded_page.get_untracked() + 1;
        leptos::task::spawn_local(async move {
            let result = super::get_comments(
                ctx.slug.get_value(),
                Some(sort.as_param().to_owned()),
                Some(next),
            )
            .await;
            match result {
                Ok(page) => {
                    let known: std::collections::HashSet<i64> = ctx
                        .roots
                        .with_untracked(|r| r.iter().map(|n| n.id).collect());
                    let nodes: Vec<Node> = page
                        .threads
                        .into_iter()
                        .filter(|t| !known.contains(&t.comment.id))
                        .map(|t| ctx.add(t))
                        .collect();
                    ctx.roots.update(|r| r.extend(nodes));
                    ctx.total.set(page.total);
                    has_more.set(page.has_more);
                    loaded_page.set(next);
                    ctx.status.set(None);
                }
                Err(err) => ctx
                    .status
                    .set(Some(format!("More comments could not be loaded: {err}"))),
            }
            loading.set(false);
        });
    };
    let sort_link = move |target: Sort, label: &'static str| {
        let href = match target {
            Sort::Oldest => format!("/articles/{}#discussion", ctx.slug.get_value()),
            Sort::Newest => format!("/articles/{}?sort=newest#discussion", ctx.slug.get_value()),
        };
        view! {
            <a href=href aria-current=(sort == target).then_some("true")>{label}</a>
        }
    };

    view! {
        <p class="count">{move || plural(ctx.total.get(), "Comment", "Comments")}</p>
        <p class="lede">
            "Thoughtful readers leave field notes, pushback, and hard-won operational detail here."
        </p>
        {if signed_in {
            view! { <Composer mode=Mode::New /> }.into_any()
        } else {
            view! {
                <p>
                    <a href=sign_in_href(&path, "#discussion")>"Sign in to comment"</a>
                </p>
            }
                .into_any()
        }}
        <nav class="comment-sort" aria-label="Sort comments">
            {sort_link(Sort::Oldest, "Oldest first")}
            {sort_link(Sort::Newest, "Newest first")}
        </nav>
        <p class="feedback-message" role="status">{move || ctx.status.get()}</p>
        {(page.page > 1)
            .then(|| {
                view! {
                    <p class="comment-pager">
                        <a href=page_href(page.page - 1)>"Previous comments"</a>
                    </p>
                }
            })}
        <CommentList nodes=ctx.roots level=0 />
        <Show when=move || has_more.get()>
            <p class="comment-pager">
                <a
                    href=move || page_href(loaded_page.get() + 1)
                    on:click=load_more
                    aria-disabled=move || loading.get().then_some("true")
                >
                    {move || if loading.get() { "Loading more comments…" } else { "Show more comments" }}
                </a>
            </p>
        </Show>
    }
}

/// `/articles/{slug}/comments/{id}`: a comment deep in a thread or with many replies, a page
/// of its replies (`?page=`) and two levels below them.
#[component]
pub fn CommentThreadPage() -> impl IntoView {
    let params = use_params_map();
    let page = use_page_number();
    let data = Resource::new(
        move || {
            let params = params.read();
            (
                params.get("slug").unwrap_or_default(),
                params.get("id").and_then(|id| id.parse::<i64>().ok()),
                page.get(),
            )
        },
        |(slug, id, page)| async move {
            match id {
                Some(id) => get_comment_thread(slug, id, Some(page)).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let auth = crate::accounts::use_auth();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading thread…"</p> }>
            {move || Suspend::new(async move {
                let signed_in = auth.user.await.ok().flatten().is_some();
                match data.await {
                    Ok(page) => view! { <ThreadView page signed_in /> }.into_any(),
                    Err(err) => crate::articles::pages::error_view(err),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ThreadView(page: ThreadPage, signed_in: bool) -> impl IntoView {
    let ThreadPage {
        slug,
        title,
        thread,
        page,
        has_more,
        context_href,
        total,
        now,
    } = page;
    let base = format!("/articles/{slug}/comments/{}", thread.comment.id);
    let page_link = {
        let base = base.clone();
        move |n: u32, label: &'static str| {
            let href = if n > 1 {
                format!("{base}?page={n}#discussion")
            } else {
                format!("{base}#discussion")
            };
            view! {
                <p class="comment-pager">
                    <a href=href>{label}</a>
                </p>
            }
        }
    };
    let ctx = Ctx::provide(Setup {
        slug: slug.clone(),
        base: base.clone(),
        keep: if page > 1 {
            vec![("page", page.to_string())]
        } else {
            Vec::new()
        },
        signed_in,
        sort: Sort::Oldest,
        total,
        now,
        threads: vec![thread],
        context_href: Some(context_href.clone()),
    });
    view! {
        <Title text=format!("Thread on {title}") />
        <div class="thread-page">
            <p class="breadcrumb">
                <a href=format!("/articles/{slug}")>{format!("← {title}")}</a>
            </p>
            <h1>"A thread from the discussion"</h1>
            <p>
                <a href=context_href>"Back to where this thread starts"</a>
            </p>
            <section class="panel" id="discussion" aria-labelledby="discussion-heading">
                <h2 id="discussion-heading">"Discussion"</h2>
                <p class="count">{move || plural(ctx.total.get(), "Comment", "Comments")}</p>
                {(!signed_in)
                    .then(|| {
                        view! {
                            <p>
                                <a href=sign_in_href(&base, "#discussion")>"Sign in to comment"</a>
                            </p>
                        }
                    })}
                <p class="feedback-message" role="status">{move || ctx.status.get()}</p>
                {(page > 1).then(|| page_link(page - 1, "Previous replies"))}
                <CommentList nodes=ctx.roots level=0 />
                {has_more.then(|| page_link(page + 1, "Show more replies"))}
            </section>
        </div>
    }
}

/// A list of comments at one level of a thread.
#[component]
fn CommentList(nodes: RwSignal<Vec<Node>>, level: i64) -> impl IntoView {
    view! {
        <ol class=if level == 0 { "comments" } else { "comments replies" }>
            <For each=move || nodes.get() key=|node| node.id let:node>
                <li>{comment_item(node, level)}</li>
            </For>
        </ol>
    }
}

/// One comment with its controls, its open box and the replies shown under it. A plain
/// function returning `AnyView`, because it renders itself for the replies.
fn comment_item(node: Node, level: i64) -> AnyView {
    let ctx = use_ctx();
    let id = node.id;
    let replies_shown = move || !node.replies.with(Vec::is_empty);
    // Replies stored but not shown here lead to this comment's own page: below the last level
    // "Continue this thread", under a capped list "N more replies". The top of a sub-thread
    // page lists all of its replies, paged, instead.
    let thread_top = level == 0 && ctx.context_href.is_some();
    let more_link = move || {
        let hidden = node.comment.with(|c| c.reply_count) - node.replies.with(|r| r.len() as i64);
        if hidden <= 0 || thread_top {
            return None;
        }
        let (class, text) = if level >= LEVELS_PER_PAGE - 1 {
            ("continue-thread", "Continue this thread".to_owned())
        } else {
            ("more-replies", plural(hidden, "more reply", "more replies"))
        };
        Some(view! {
            <p class=class>
                <a href=format!("/articles/{}/comments/{id}", ctx.slug.get_value())>{text}</a>
            </p>
        })
    };
    view! {
        <article
            class="comment"
            id=format!("comment-{id}")
            aria-label=move || {
                node.comment.with(|c| {
                    if c.deleted { "Deleted comment".to_owned() } else { format!("Comment by {}", c.author_name) }
                })
            }
        >
            {move || comment_content(node.comment.get(), level)}
            {move || comment_actions(node)}
            {move || open_box(node)}
        </article>
        <Show when=replies_shown>
            <CommentList nodes=node.replies level=level + 1 />
        </Show>
        {more_link}
    }
    .into_any()
}

/// The author, time, reply marker and body of a comment.
fn comment_content(comment: Comment, level: i64) -> AnyView {
    let ctx = use_ctx();
    let (machine, human) = crate::site::format_date_time(comment.created_at);
    if comment.deleted {
        return view! {
            <p class="comment-meta">
                <time datetime=machine>{human}</time>
            </p>
            <p class="comment-deleted">"[deleted]"</p>
        }
        .into_any();
    }
    // Where the answered comment is: on this page, except above the top of a sub-thread page.
    let parent_href = comment.parent_id.map(|parent| match ctx.context_href {
        Some(context) if level == 0 => context.get_value(),
        _ => format!("#comment-{parent}"),
    });
    view! {
        <p class="comment-meta">
            <span class="comment-author">{comment.author_name}</span>
            " · "
            <a class="comment-permalink" href=format!("#comment-{}", comment.id)>
                <time datetime=machine>{human}</time>
            </a>
            {comment.edited_at.map(|_| view! { <span class="comment-edited">" · edited"</span> })}
            {parent_href
                .map(|href| {
                    let to = comment.parent_author.clone().unwrap_or_else(|| "a deleted comment".to_owned());
                    view! {
                        " · "
                        <a class="reply-to" href=href>{format!("in reply to {to}")}</a>
                    }
                })}
        </p>
        <div class="comment-body" dir="auto" inner_html=comment.body_html></div>
    }
    .into_any()
}

/// The "Reply", "Edit" and "Delete" buttons, each a GET form that works without JavaScript.
fn comment_actions(node: Node) -> Option<AnyView> {
    let ctx = use_ctx();
    if !ctx.signed_in {
        return None;
    }
    let comment = node.comment.get();
    if comment.deleted {
        return None;
    }
    let id = comment.id;
    let now = ctx.now.get();
    let editable = comment.can_edit(now);
    // Rounded up, and never more than the window (the browser's clock may trail the server's).
    let minutes_left =
        ((comment.editable_until() - now + 59_999) / 60_000).min(EDIT_WINDOW_MS / 60_000);
    Some(
        view! {
            <div class="comment-actions">
                {toggle_button("Reply", "reply", Open::Reply(id))}
                {editable.then(|| toggle_button("Edit", "edit", Open::Edit(id)))}
                {comment.can_delete.then(|| toggle_button("Delete", "delete", Open::Delete(id)))}
                {editable
                    .then(|| {
                        view! {
                            <span class="edit-window">
                                {if minutes_left <= 1 {
                                    "Editable for less than a minute".to_owned()
                                } else {
                                    format!("Editable for {minutes_left} more minutes")
                                }}
                            </span>
                        }
                    })}
            </div>
        }
        .into_any(),
    )
}

/// A button that opens (or closes) a box under a comment: navigates to `?{param}=ID` without
/// JavaScript, toggles in place with it.
fn toggle_button(label: &'static str, param: &'static str, target: Open) -> AnyView {
    let ctx = use_ctx();
    let id = match target {
        Open::Reply(id) | Open::Edit(id) | Open::Delete(id) => id,
        Open::Nothing => 0,
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.open.update(|open| {
            *open = if *open == target {
                Open::Nothing
            } else {
                target
            }
        });
    };
    view! {
        <form
            method="get"
            action=format!("{}#comment-{id}", ctx.base.get_value())
            class="inline-form"
            on:submit=on_submit
        >
            {ctx
                .keep
                .get_value()
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            <input type="hidden" name=param value=id.to_string() />
            <button
                type="submit"
                class="link-button"
                aria-expanded=move || (ctx.open.get() == target).to_string()
            >
                {label}
            </button>
        </form>
    }
    .into_any()
}

/// The box open under a comment, if any.
fn open_box(node: Node) -> Option<AnyView> {
    let ctx = use_ctx();
    let open = ctx.open.get();
    let id = node.id;
    match open {
        Open::Reply(target) if target == id => {
            Some(view! { <Composer mode=Mode::Reply(id) /> }.into_any())
        }
        Open::Edit(target) if target == id => {
            let comment = node.comment.get_untracked();
            comment.can_edit(ctx.now.get_untracked()).then(|| {
                view! { <Composer mode=Mode::Edit(id) initial=comment.body_markdown /> }.into_any()
            })
        }
        Open::Delete(target) if target == id => {
            let comment = node.comment.get_untracked();
            comment
                .can_delete
                .then(|| view! { <DeleteConfirm node /> }.into_any())
        }
        _ => None,
    }
}

/// What a comment box is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// "Add a comment" at the top of the discussion.
    New,
    /// "Reply" under comment ID.
    Reply(i64),
    /// "Edit comment" ID.
    Edit(i64),
}

/// The box to write a comment, a reply or an edit: Markdown with a "Preview" toggle, errors
/// beside the box, and the text kept until the server has it.
#[component]
fn Composer(mode: Mode, #[prop(optional)] initial: String) -> impl IntoView {
    let ctx = use_ctx();
    let (label, button, busy, dom_id, path) = match mode {
        Mode::New => (
            "Add a comment",
            "Post comment",
            "Posting…",
            "comment-new".to_owned(),
            PostComment::PATH,
        ),
        Mode::Reply(id) => (
            "Reply",
            "Post reply",
            "Posting…",
            format!("reply-{id}"),
            PostComment::PATH,
        ),
        Mode::Edit(id) => (
            "Edit comment",
            "Save",
            "Saving…",
            format!("edit-{id}"),
            EditComment::PATH,
        ),
    };
    let target = match mode {
        Mode::New => None,
        Mode::Reply(id) | Mode::Edit(id) => Some(id),
    };
    // A form posted without JavaScript that came back refused, for this very box.
    let refused = ctx
        .refused
        .get_value()
        .filter(|r| r.path == path && r.target == target);
    let from_query =
        refused.is_some() || (mode != Mode::New && ctx.open.get_untracked() != Open::Nothing);
    let initial = refused.as_ref().map(|r| r.text.clone()).unwrap_or(initial);
    let text = RwSignal::new(initial.clone());
    let error = RwSignal::new(refused.map(|r| r.message));
    let preview = RwSignal::new(None::<String>);
    let previewing = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        hydrated.set(true);
        // A box opened in place takes the focus, so keyboard and screen-reader users land in it.
        if mode != Mode::New {
            if let Some(el) = textarea.get_untracked() {
                let _ = el.focus();
            }
        }
    });

    let post = ServerAction::<PostComment>::new();
    let edit = ServerAction::<EditComment>::new();
    let failed = move |err: AppError| {
        error.set(Some(
            err.field_message("body").unwrap_or_else(|| err.to_string()),
        ));
    };
    Effect::new(move |_| match post.value().get() {
        Some(Ok(Posted { comment, total })) => {
            ctx.total.set(total);
            ctx.insert(comment);
            text.set(String::new());
            previewing.set(false);
            error.set(None);
            if mode != Mode::New {
                ctx.open.set(Open::Nothing);
            }
            ctx.status.set(Some(
                if mode == Mode::New {
                    "Your comment was posted."
                } else {
                    "Your reply was posted."
                }
                .to_owned(),
            ));
        }
        Some(Err(err)) => failed(err),
        None => {}
    });
    Effect::new(move |_| match edit.value().get() {
        Some(Ok(comment)) => {
            if let Some(node) = ctx.node(comment.id) {
                node.comment.set(comment);
            }
            error.set(None);
            ctx.open.set(Open::Nothing);
            ctx.status.set(Some("Your changes were saved.".to_owned()));
        }
        Some(Err(err)) => failed(err),
        None => {}
    });
    let pending = move || post.pending().get() || edit.pending().get();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if post.pending().get_untracked() || edit.pending().get_untracked() {
            return;
        }
        error.set(None);
        let body = text.get_untracked();
        match mode {
            Mode::New => {
                post.dispatch(PostComment {
                    slug: ctx.slug.get_value(),
                    body,
                    parent: None,
                });
            }
            Mode::Reply(parent) => {
                post.dispatch(PostComment {
                    slug: ctx.slug.get_value(),
                    body,
                    parent: Some(parent),
                });
            }
            Mode::Edit(id) => {
                edit.dispatch(EditComment { id, body });
            }
        }
    };
    let toggle_preview = move |_| {
        if previewing.get_untracked() {
            previewing.set(false);
            return;
        }
        let body = text.get_untracked();
        leptos::task::spawn_local(async move {
            match super::preview_comment(body).await {
                Ok(html) => {
                    error.set(None);
                    preview.set(Some(html));
                    previewing.set(true);
                }
                Err(err) => failed(err),
            }
        });
    };
    let input_id = format!("{dom_id}-body");
    let error_id = format!("{dom_id}-error");
    let hint_id = format!("{dom_id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || match error.get() {
            Some(_) => format!("{error_id} {hint_id}"),
            None => hint_id.clone(),
        }
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.open.set(Open::Nothing);
    };
    view! {
        <form
            method="post"
            action=path
            class=if mode == Mode::New { "comment-form" } else { "comment-form nested" }
            id=dom_id.clone()
            on:submit=on_submit
            novalidate
        >
            {match mode {
                Mode::New => {
                    view! { <input type="hidden" name="slug" value=ctx.slug.get_value() /> }.into_any()
                }
                Mode::Reply(parent) => {
                    view! {
                        <input type="hidden" name="slug" value=ctx.slug.get_value() />
                        <input type="hidden" name="parent" value=parent.to_string() />
                    }
                        .into_any()
                }
                Mode::Edit(id) => view! { <input type="hidden" name="id" value=id.to_string() /> }.into_any(),
            }}
            <label for=input_id.clone()>{label}</label>
            <textarea
                id=input_id
                name="body"
                rows=if mode == Mode::New { "5" } else { "4" }
                dir="auto"
                autofocus=from_query
                node_ref=textarea
                hidden=move || previewing.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                // The text typed before a form post without JavaScript, as the textarea's
                // content (not a text child, which would render an empty box as " "). The
                // parser drops one newline right after the tag, so a leading one is kept.
                inner_html=format!("\n{}", escape_text(&initial))
            ></textarea>
            <div
                class="comment-body comment-preview"
                dir="auto"
                hidden=move || !previewing.get()
                inner_html=move || preview.get().unwrap_or_default()
            ></div>
            <p class="field-hint" id=hint_id>
                "Markdown works: *emphasis*, [links](https://…), `code`, lists and > quotes."
            </p>
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=pending>
                    {move || if pending() { busy } else { button }}
                </button>
                <button
                    type="button"
                    class="secondary"
                    hidden=move || !hydrated.get()
                    aria-pressed=move || previewing.get().to_string()
                    on:click=toggle_preview
                >
                    "Preview"
                </button>
                {(mode != Mode::New)
                    .then(|| {
                        view! {
                            <a class="cancel" href=ctx.href(&[], &format!("#comment-{}", target.unwrap_or_default())) on:click=cancel>
                                "Cancel"
                            </a>
                        }
                    })}
            </div>
        </form>
    }
}

/// `text` escaped for the content of an element.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// "Delete this comment?" with "Yes, delete": in place with JavaScript, as the page a GET
/// form opens without it.
#[component]
fn DeleteConfirm(node: Node) -> impl IntoView {
    let ctx = use_ctx();
    let id = node.id;
    let action = ServerAction::<DeleteComment>::new();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(deleted)) => {
            ctx.remove(id, &deleted);
            ctx.status.set(Some("The comment was deleted.".to_owned()));
        }
        Some(Err(err)) => ctx.status.set(Some(format!("Not deleted: {err}"))),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !action.pending().get_untracked() {
            action.dispatch(DeleteComment { id });
        }
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        ctx.open.set(Open::Nothing);
    };
    let has_replies = node.comment.with_untracked(|c| c.reply_count > 0);
    view! {
        <div class="delete-confirm" role="group" aria-labelledby=format!("delete-{id}-question")>
            <p id=format!("delete-{id}-question")>
                {if has_replies {
                    "Delete this comment? Its replies stay, under a “[deleted]” placeholder."
                } else {
                    "Delete this comment? This cannot be undone."
                }}
            </p>
            <form method="post" action=DeleteComment::PATH class="inline-form" on:submit=on_submit>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="danger" disabled=move || action.pending().get()>
                    "Yes, delete"
                </button>
            </form>
            <a class="cancel" href=ctx.href(&[], &format!("#comment-{id}")) on:click=cancel>
                "Cancel"
            </a>
        </div>
    }
}
