//! Other readers' changes, applied to the discussion while it is open (see `crate::live`).
//!
//! Events carry ids and counts only; a comment to show is fetched with [`get_comment`], as
//! the reader sees it. A new comment goes where the page would show it after a reload: under
//! its parent when the parent is here and shows all its replies, at the end of the
//! top-level comments when this page is the last (oldest first), at the start of the first
//! page (newest first); anywhere else only the counts change. Nothing here moves the focus,
//! scrolls or touches an open box: lists are keyed by comment id, so a node added beside
//! others leaves them, and the box typed in, as they are.

use std::collections::HashSet;

use leptos::prelude::*;

use super::state::{Ctx, Node};
use crate::discussion::{
    get_comment, get_comment_thread, get_comments, Comment, Deleted, Sort, Thread,
};
use crate::error::AppError;
use crate::live::LiveEvent;

/// Applies the article's live events to the discussion `ctx` until the page changes.
pub(super) fn follow(ctx: Ctx) {
    let slug = ctx.slug.get_value();
    crate::live::client::subscribe(&slug, Box::new(move |event| apply(ctx, event)));
}

fn apply(ctx: Ctx, event: &LiveEvent) {
    match event {
        LiveEvent::CommentPosted {
            id,
            parent_id,
            total,
        } => {
            ctx.total.set(*total);
            posted(ctx, *id, *parent_id);
        }
        LiveEvent::CommentEdited { id } if ctx.node(*id).is_some() => fetch(ctx, *id, false),
        LiveEvent::CommentDeleted {
            id,
            placeholder,
            removed,
            total,
        } => ctx.apply_deletion(
            *id,
            &Deleted {
                placeholder: *placeholder,
                removed: removed.clone(),
                total: *total,
            },
        ),
        LiveEvent::Snapshot { comments, .. } => {
            ctx.total.set(*comments);
            refresh(ctx);
        }
        _ => {}
    }
}

fn posted(ctx: Ctx, id: i64, parent: Option<i64>) {
    // The reader's own, already placed by the answer to their post.
    if ctx.node(id).is_some() {
        return;
    }
    if shown_here(ctx, parent) {
        fetch(ctx, id, true);
    } else if ctx.posting.get_value() > 0 {
        // Perhaps the reader's own post, whose answer will place it: decided then.
        ctx.unsure.update_value(|u| u.push((id, parent)));
    } else {
        ctx.arrived_elsewhere(parent);
    }
}

/// Whether a new comment answering `parent` belongs on this page.
fn shown_here(ctx: Ctx, parent: Option<i64>) -> bool {
    let top = ctx.context_href.is_some();
    match parent {
        None if top => false,
        None => match ctx.sort {
            Sort::Oldest => !ctx.has_more.get_untracked(),
            Sort::Newest => ctx.pages.get_untracked().0 == 1,
        },
        Some(parent) => match ctx.node(parent) {
            None => false,
            // The top of a sub-thread page lists all its replies, paged.
            Some(node) if top && is_top(ctx, node) => !ctx.has_more.get_untracked(),
            // Elsewhere a comment shows its first replies; with some not shown, a newer one
            // is not shown either.
            Some(node) => {
                let shown = node.replies.with_untracked(Vec::len) as i64;
                node.reply_count.get_untracked() <= shown
            }
        },
    }
}

fn is_top(ctx: Ctx, node: Node) -> bool {
    ctx.roots
        .with_untracked(|r| r.first().is_some_and(|n| n.id == node.id))
}

/// Fetches comment `id` and shows it: a new one in its place, an edited one where it is.
fn fetch(ctx: Ctx, id: i64, new: bool) {
    leptos::task::spawn_local(async move {
        // Gone meanwhile (deleted): the deletion's own event updates the page.
        let Ok(comment) = get_comment(ctx.slug.get_value(), id).await else {
            return;
        };
        match ctx.node(id) {
            Some(node) if !new => node.comment.set(comment),
            None if new => place(ctx, comment),
            // Placed meanwhile (by the answer to the reader's own post), or gone.
            _ => {}
        }
    });
}

/// Puts a comment that arrived live into its place (as [`Ctx::insert`] does for the reader's
/// own), marked "New" unless it is the reader's.
fn place(ctx: Ctx, comment: Comment) {
    let parent = match comment.parent_id {
        Some(p) => match ctx.node(p) {
            Some(parent) => Some(parent),
            // Its parent left the page meanwhile.
            None => return,
        },
        None => None,
    };
    let others = i64::from(!comment.mine);
    let node = ctx.add(
        Thread {
            comment,
            replies: Vec::new(),
        },
        true,
    );
    match parent {
        Some(parent) => {
            parent.reply_count.update(|n| *n += 1);
            parent.replies.update(|r| r.push(node));
        }
        None if ctx.sort == Sort::Newest => ctx.roots.update(|r| r.insert(0, node)),
        None => ctx.roots.update(|r| r.push(node)),
    }
    if others > 0 {
        ctx.arrived.update(|n| *n += others);
    }
}

/// Events may have been missed: reads the comments of the pages shown again, adds those that
/// are not here (marked "New"), brings the others up to date and takes off those deleted.
fn refresh(ctx: Ctx) {
    leptos::task::spawn_local(async move {
        let slug = ctx.slug.get_value();
        let (first, last) = ctx.pages.get_untracked();
        let mut threads = Vec::new();
        if ctx.context_href.is_some() {
            let Some(top) = ctx.roots.with_untracked(|r| r.first().map(|n| n.id)) else {
                return;
            };
            match get_comment_thread(slug.clone(), top, Some(first)).await {
                Ok(page) => {
                    ctx.has_more.set(page.has_more);
                    threads.push(page.thread);
                }
                Err(_) => return,
            }
        } else {
            for page in first..=last {
                let sort = Some(ctx.sort.as_param().to_owned());
                match get_comments(slug.clone(), sort, Some(page)).await {
                    Ok(read) => {
                        if page == last {
                            ctx.has_more.set(read.has_more);
                        }
                        threads.extend(read.threads);
                    }
                    Err(_) => return,
                }
            }
        }
        let mut read = HashSet::new();
        ids(&threads, &mut read);
        merge(ctx, threads, None, &mut 0);
        // A comment shown here and not read again was deleted meanwhile, or has moved to
        // another page (newest first): asked for, it is taken off only when it is gone.
        let unread: Vec<i64> = ctx.index.with_value(|index| {
            index
                .keys()
                .copied()
                .filter(|id| !read.contains(id))
                .collect()
        });
        for id in unread {
            if let Err(AppError::NotFound) = get_comment(slug.clone(), id).await {
                ctx.forget(id);
            }
        }
    });
}

/// The ids of every comment in `threads`.
fn ids(threads: &[Thread], into: &mut HashSet<i64>) {
    for thread in threads {
        into.insert(thread.comment.id);
        ids(&thread.replies, into);
    }
}

/// Merges `threads` read from the server under `parent` (the top level when `None`); a
/// new top-level comment goes at `at`, just after the known one read before it.
fn merge(ctx: Ctx, threads: Vec<Thread>, parent: Option<Node>, at: &mut usize) {
    for thread in threads {
        if let Some(node) = ctx.node(thread.comment.id) {
            if node.reply_count.get_untracked() != thread.comment.reply_count {
                node.reply_count.set(thread.comment.reply_count);
            }
            if node.comment.with_untracked(|c| *c != thread.comment) {
                node.comment.set(thread.comment);
            }
            if parent.is_none() {
                if let Some(p) = ctx
                    .roots
                    .with_untracked(|r| r.iter().position(|n| n.id == node.id))
                {
                    *at = p + 1;
                }
            }
            merge(ctx, thread.replies, Some(node), &mut 0);
            continue;
        }
        let others = count_others(&thread);
        let node = ctx.add(thread, true);
        match parent {
            // The parent was read with the server's reply count: no count to add.
            Some(parent) => parent.replies.update(|r| r.push(node)),
            None => {
                ctx.roots.update(|r| r.insert((*at).min(r.len()), node));
                *at += 1;
            }
        }
        if others > 0 {
            ctx.arrived.update(|n| *n += others);
        }
    }
}

/// Other readers' comments in `thread`.
fn count_others(thread: &Thread) -> i64 {
    i64::from(!thread.comment.mine) + thread.replies.iter().map(count_others).sum::<i64>()
}
