//! The threads of a discussion: the two islands (an article's discussion and a sub-thread
//! page), and each comment with its controls.

use leptos::either::{Either, EitherOf3, EitherOf4};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::composer::{Composer, Mode};
use super::delete::DeleteConfirm;
use super::query::{NoJsState, Open};
use super::report::{ReportForm, THANKS};
use super::state::{use_ctx, Ctx, Node, Setup};
use crate::accounts::sign_in_href;
use crate::discussion::{
    get_comments, Comment, CommentPage, Sort, ThreadPage, EDIT_WINDOW_MS, LEVELS_PER_PAGE,
};
use crate::site::plural;

/// The discussion of an article page below its heading: the count, the composer, the order,
/// and one page of threads. An island: everything in it answers in place once hydrated.
#[island]
pub(super) fn ArticleDiscussion(
    /// The page of comments the server read.
    page: CommentPage,
    /// The article.
    slug: String,
    /// Whether a reader is signed in.
    signed_in: bool,
    /// What a request without JavaScript asked for.
    state: NoJsState,
) -> impl IntoView {
    let path = format!("/articles/{slug}");
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
        page: page.page,
        has_more: page.has_more,
        state,
        held: page.held,
    });
    #[cfg(feature = "hydrate")]
    super::live::follow(ctx);

    let has_more = ctx.has_more;
    let loaded_page = move || ctx.pages.get().1;
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
        let next = ctx.pages.get_untracked().1 + 1;
        leptos::task::spawn_local(async move {
            let result = get_comments(
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
                        .map(|t| ctx.add(t, false))
                        .collect();
                    ctx.roots.update(|r| r.extend(nodes));
                    ctx.total.set(page.total);
                    has_more.set(page.has_more);
                    ctx.pages.update(|(_, last)| *last = next);
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
        {arrivals(ctx)}
        <p class="lede">
            "Thoughtful readers leave field notes, pushback, and hard-won operational detail here."
        </p>
        {if signed_in {
            Either::Left(view! { <Composer mode=Mode::New /> })
        } else {
            Either::Right(
                view! {
                    {signed_out_refusal(ctx)}
                    <p>
                        <a href=sign_in_href(&path, "#discussion")>"Sign in to comment"</a>
                    </p>
                },
            )
        }}
        {held_comments(ctx)}
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
        {TopLevel::list(ctx.roots)}
        {move || {
            has_more
                .get()
                .then(|| {
                    view! {
                        <p class="comment-pager">
                            <a
                                href=move || page_href(loaded_page() + 1)
                                on:click=load_more
                                aria-disabled=move || loading.get().then_some("true")
                            >
                                {move || if loading.get() { "Loading more comments…" } else { "Show more comments" }}
                            </a>
                        </p>
                    }
                })
        }}
    }
}

/// The discussion of a sub-thread page below its heading: the count, the comment at the top
/// of the thread and a page of its replies. An island, like [`ArticleDiscussion`].
#[island]
pub(super) fn ThreadDiscussion(
    /// The thread the server read.
    page: ThreadPage,
    /// Whether a reader is signed in.
    signed_in: bool,
    /// What a request without JavaScript asked for.
    state: NoJsState,
) -> impl IntoView {
    let ThreadPage {
        slug,
        thread,
        page,
        has_more,
        context_href,
        total,
        now,
        ..
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
        slug,
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
        context_href: Some(context_href),
        page,
        has_more,
        state,
        held: Vec::new(),
    });
    #[cfg(feature = "hydrate")]
    super::live::follow(ctx);
    view! {
        <p class="count">{move || plural(ctx.total.get(), "Comment", "Comments")}</p>
        {arrivals(ctx)}
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
        {TopLevel::list(ctx.roots)}
        {has_more.then(|| page_link(page + 1, "Show more replies"))}
    }
}

/// Why a comment posted without JavaScript was refused, when the answer left the reader
/// signed out (a suspension ends the reader's sessions: the page then has no comment box to
/// show it in).
fn signed_out_refusal(ctx: Ctx) -> Option<impl IntoView> {
    let refused = ctx.refused.get_value()?;
    (refused.path == crate::discussion::PostComment::PATH).then(|| {
        view! { <p class="form-error" role="alert">{refused.message}</p> }
    })
}

/// The reader's own comments waiting for a moderator: nobody else sees them.
fn held_comments(ctx: Ctx) -> impl IntoView {
    move || {
        let held = ctx.held.get();
        (!held.is_empty()).then(|| {
            view! {
                <section class="held-comments" id="held-comments" aria-labelledby="held-heading">
                    <h3 id="held-heading">"Your comments waiting for a moderator"</h3>
                    {held
                        .into_iter()
                        .map(|comment| {
                            let (machine, human) = crate::site::format_date_time(comment.created_at);
                            view! {
                                <article
                                    class="comment held"
                                    id=format!("held-{}", comment.id)
                                    aria-label="Your comment, waiting for a moderator"
                                >
                                    <p class="comment-meta">
                                        <time datetime=machine>{human}</time>
                                        " · "
                                        <span class="comment-held">"Waiting for a moderator"</span>
                                    </p>
                                    <div class="comment-body" dir="auto" inner_html=comment.body_html></div>
                                </article>
                            }
                        })
                        .collect_view()}
                </section>
            }
        })
    }
}

/// The live region that tells how many comments other readers posted since the page was
/// opened ("1 new comment", "N new comments"): polite, and apart from the status line of
/// the reader's own actions, so that neither announcement replaces the other.
fn arrivals(ctx: Ctx) -> impl IntoView {
    view! {
        <p class="live-status" role="status">
            {move || match ctx.arrived.get() {
                0 => None,
                n => Some(plural(n, "new comment", "new comments")),
            }}
        </p>
    }
}

/// A level of a thread, as a type. Replies render under their comment through these types
/// rather than through a type-erased view (`AnyView`), whose every use brings Leptos's whole
/// async-hydration path into the browser's WASM (about 60 KB before compression, measured
/// with twiggy). Four levels render: the three a page shows, and the replies posted in place
/// under the deepest; deeper replies are behind "Continue this thread".
trait Depth: 'static {
    /// 0 for top-level comments.
    const LEVEL: i64;
    /// Whether comments at this level are rendered here (false past the deepest level).
    const RENDERS: bool;
    /// The level of their replies.
    type Next: Depth;
    /// The list of comments `nodes` at this level.
    fn list(nodes: RwSignal<Vec<Node>>) -> impl IntoView;
}

macro_rules! depth {
    ($name:ident, $level:expr, $next:ty) => {
        struct $name;

        impl Depth for $name {
            const LEVEL: i64 = $level;
            const RENDERS: bool = true;
            type Next = $next;
            fn list(nodes: RwSignal<Vec<Node>>) -> impl IntoView {
                comment_list::<Self>(nodes)
            }
        }
    };
}

depth!(TopLevel, 0, Level1);
depth!(Level1, 1, Level2);
depth!(Level2, 2, Level3);
depth!(Level3, 3, Beyond);

/// Past the deepest rendered level.
struct Beyond;

impl Depth for Beyond {
    const LEVEL: i64 = 4;
    const RENDERS: bool = false;
    type Next = Beyond;
    fn list(_: RwSignal<Vec<Node>>) -> impl IntoView {}
}

/// A list of comments at level `L` of a thread.
fn comment_list<L: Depth>(nodes: RwSignal<Vec<Node>>) -> impl IntoView {
    view! {
        <ol class=if L::LEVEL == 0 { "comments" } else { "comments replies" }>
            <For each=move || nodes.get() key=|node| node.id let:node>
                <li>{comment_item::<L>(node)}</li>
            </For>
        </ol>
    }
}

/// One comment at level `L` with its controls, its open box and the replies shown under it.
fn comment_item<L: Depth>(node: Node) -> impl IntoView {
    let ctx = use_ctx();
    let id = node.id;
    let level = L::LEVEL;
    let replies_render = <L::Next as Depth>::RENDERS;
    let replies_shown = move || replies_render && !node.replies.with(Vec::is_empty);
    // Replies stored but not shown here lead to this comment's own page: below the last level
    // "Continue this thread", under a capped list "N more replies". The top of a sub-thread
    // page lists all of its replies, paged, instead.
    let thread_top = level == 0 && ctx.context_href.is_some();
    let hidden = move || {
        let shown = if replies_render {
            node.replies.with(|r| r.len() as i64)
        } else {
            0
        };
        node.reply_count.get() - shown
    };
    // Rendered once, when replies come to be hidden, and its text kept up to date in place,
    // so that a focused link stays focused while replies arrive.
    let more_link = Memo::new(move |_| hidden() > 0 && !thread_top);
    let more_link = move || {
        more_link.get().then(|| {
            let (class, text) = if level >= LEVELS_PER_PAGE - 1 {
                ("continue-thread", "Continue this thread")
            } else {
                ("more-replies", "")
            };
            let text = move || {
                if text.is_empty() {
                    plural(hidden(), "more reply", "more replies")
                } else {
                    text.to_owned()
                }
            };
            view! {
                <p class=class>
                    <a href=format!("/articles/{}/comments/{id}", ctx.slug.get_value())>{text}</a>
                </p>
            }
        })
    };
    // A memo, so a reply added to a non-empty list leaves the list (and any box open in it)
    // alone: only an empty list appearing or going re-renders here.
    let shown = Memo::new(move |_| replies_shown());
    // The buttons render again when the comment changes or the edit window closes, not at
    // every tick of the clock (that would drop the focus from them).
    let editable = Memo::new(move |_| node.comment.with(|c| c.can_edit(ctx.now.get())));
    let new = node.new;
    view! {
        <article
            class="comment"
            id=format!("comment-{id}")
            aria-label=move || {
                node.comment.with(|c| {
                    if c.deleted {
                        "Deleted comment".to_owned()
                    } else if c.hidden {
                        "Comment removed by a moderator".to_owned()
                    } else {
                        format!("Comment by {}", c.author_name)
                    }
                })
            }
        >
            {move || comment_content(node.comment.get(), level, new)}
            {move || comment_actions(node, editable.get())}
            {move || open_box(node)}
            {move || {
                (ctx.reported.get() == Some(id))
                    .then(|| view! { <p class="report-thanks" role="status">{THANKS}</p> })
            }}
        </article>
        {move || shown.get().then(|| <L::Next as Depth>::list(node.replies))}
        {more_link}
    }
}

/// The author, time, reply marker and body of a comment; `new` marks one another reader
/// posted while the page was open.
fn comment_content(comment: Comment, level: i64, new: bool) -> impl IntoView {
    let ctx = use_ctx();
    let (machine, human) = crate::site::format_date_time(comment.created_at);
    if comment.deleted {
        let deleted = view! {
            <p class="comment-meta">
                <time datetime=machine>{human}</time>
            </p>
            <p class="comment-deleted">"[deleted]"</p>
        }
        .into_view();
        return EitherOf3::A(deleted);
    }
    if comment.hidden {
        let removed = view! {
            <p class="comment-meta">
                <time datetime=machine>{human}</time>
            </p>
            <p class="comment-deleted">"[removed by a moderator]"</p>
        }
        .into_view();
        return EitherOf3::B(removed);
    }
    // Where the answered comment is: on this page, except above the top of a sub-thread page.
    let parent_href = comment.parent_id.map(|parent| match ctx.context_href {
        Some(context) if level == 0 => context.get_value(),
        _ => format!("#comment-{parent}"),
    });
    let shown = view! {
        <p class="comment-meta">
            <span class="comment-author">{comment.author_name}</span>
            " · "
            <a class="comment-permalink" href=format!("#comment-{}", comment.id)>
                <time datetime=machine>{human}</time>
            </a>
            {new.then(|| view! { " " <span class="comment-new">"New"</span> })}
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
    };
    EitherOf3::C(shown)
}

/// The "Reply", "Edit" and "Delete" buttons, each a GET form that works without JavaScript;
/// "Edit" while `editable`.
fn comment_actions(node: Node, editable: bool) -> Option<impl IntoView> {
    let ctx = use_ctx();
    if !ctx.signed_in {
        return None;
    }
    let comment = node.comment.get();
    if comment.deleted || comment.hidden {
        return None;
    }
    let id = comment.id;
    let editable_until = comment.editable_until();
    // The minutes left change in place, leaving the buttons (and the focus) alone.
    let window = move || {
        // Rounded up, and never more than the window (the browser's clock may trail the
        // server's).
        let minutes_left =
            ((editable_until - ctx.now.get() + 59_999) / 60_000).min(EDIT_WINDOW_MS / 60_000);
        if minutes_left <= 1 {
            "Editable for less than a minute".to_owned()
        } else {
            format!("Editable for {minutes_left} more minutes")
        }
    };
    Some(view! {
        <div class="comment-actions">
            {toggle_button("Reply", "reply", Open::Reply(id))}
            {editable.then(|| toggle_button("Edit", "edit", Open::Edit(id)))}
            {comment.can_delete.then(|| toggle_button("Delete", "delete", Open::Delete(id)))}
            {(!comment.mine).then(|| toggle_button("Report", "report", Open::Report(id)))}
            {editable.then(|| view! { <span class="edit-window">{window}</span> })}
        </div>
    })
}

/// A button that opens (or closes) a box under a comment: navigates to `?{param}=ID` without
/// JavaScript, toggles in place with it.
fn toggle_button(label: &'static str, param: &'static str, target: Open) -> impl IntoView {
    let ctx = use_ctx();
    let id = target.target();
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
}

/// The box open under a comment, if any.
fn open_box(node: Node) -> Option<impl IntoView> {
    let ctx = use_ctx();
    let open = ctx.open.get();
    let id = node.id;
    match open {
        Open::Reply(target) if target == id => {
            Some(EitherOf4::A(view! { <Composer mode=Mode::Reply(id) /> }))
        }
        Open::Edit(target) if target == id => {
            let comment = node.comment.get_untracked();
            comment.can_edit(ctx.now.get_untracked()).then(|| {
                EitherOf4::B(
                    view! { <Composer mode=Mode::Edit(id) initial=comment.body_markdown /> },
                )
            })
        }
        Open::Delete(target) if target == id => {
            let comment = node.comment.get_untracked();
            comment
                .can_delete
                .then(|| EitherOf4::C(view! { <DeleteConfirm node /> }))
        }
        Open::Report(target) if target == id => {
            let comment = node.comment.get_untracked();
            (!comment.mine && !comment.deleted && !comment.hidden)
                .then(|| EitherOf4::D(view! { <ReportForm id /> }))
        }
        _ => None,
    }
}
