//! Contract tests of moderation storage: the same behaviour on SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use common::comment;

use common::user;

use besthub::articles::store as articles;
use besthub::db::Pool;
use besthub::discussion::store::{self as comments, Viewer};
use besthub::discussion::Sort;
use besthub::moderation::store::{self as moderation, Held, NewTakedown, Reported};
use besthub::moderation::{LogEntry, ReportReason, TakedownStatus};

/// An article `slug` by the author "ada" with the tag "rust"; returns its id.
async fn article(pool: &Pool, slug: &str) -> i64 {
    common::store_article(pool, "ada", &common::new_article(slug, 1_000, &["rust"])).await
}

contract_test!(
    one_report_per_reader_per_comment_within_the_hourly_limit,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (author, reader) = (user(&pool, "author").await, user(&pool, "reader").await);
        let first = comment(&pool, article, None, author, "one").await;
        let second = comment(&pool, article, None, author, "two").await;
        let third = comment(&pool, article, None, author, "three").await;
        let report = |id: i64| {
            let pool = pool.clone();
            async move {
                moderation::report(&pool, id, reader, ReportReason::Spam, "note", 10_000, 2)
                    .await
                    .expect("report")
            }
        };
        assert_eq!(report(first).await, Reported::Sent);
        // A duplicate takes no slot of the limit.
        assert_eq!(report(first).await, Reported::Duplicate);
        assert_eq!(report(second).await, Reported::Sent);
        assert_eq!(report(third).await, Reported::RateLimited);
        let queue = moderation::reported(&pool, 10).await.expect("queue");
        let ids: Vec<i64> = queue.iter().map(|item| item.id).collect();
        assert_eq!(ids, vec![first, second], "a refused report is not stored");
        assert_eq!(queue[0].reports[0].reason, "Spam");
        assert_eq!(queue[0].reports[0].note, "note");
    }
);

contract_test!(
    the_queue_puts_the_most_reported_first_then_the_oldest,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let author = user(&pool, "author").await;
        let readers = [user(&pool, "r1").await, user(&pool, "r2").await];
        let once = comment(&pool, article, None, author, "once").await;
        let twice = comment(&pool, article, None, author, "twice").await;
        let later = comment(&pool, article, None, author, "later").await;
        for (id, reader, at) in [
            (once, readers[0], 1_000),
            (later, readers[0], 3_000),
            (twice, readers[0], 2_000),
            (twice, readers[1], 2_500),
        ] {
            let reported = moderation::report(&pool, id, reader, ReportReason::Other, "", at, 100)
                .await
                .expect("report");
            assert_eq!(reported, Reported::Sent);
        }
        let ids: Vec<i64> = moderation::reported(&pool, 10)
            .await
            .expect("queue")
            .iter()
            .map(|item| item.id)
            .collect();
        assert_eq!(ids, vec![twice, once, later]);
        // Dismissing resolves the reports: the comment leaves the queue.
        assert_eq!(
            moderation::resolve_reports(&pool, twice, 4_000)
                .await
                .expect("dismiss"),
            2
        );
        assert_eq!(
            moderation::resolve_reports(&pool, twice, 4_000)
                .await
                .expect("again"),
            0
        );
        let ids: Vec<i64> = moderation::reported(&pool, 10)
            .await
            .expect("queue")
            .iter()
            .map(|item| item.id)
            .collect();
        assert_eq!(ids, vec![once, later]);
    }
);

contract_test!(
    a_hidden_comment_shows_nothing_of_itself_and_keeps_its_replies,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (author, other) = (user(&pool, "author").await, user(&pool, "other").await);
        let parent = comment(&pool, article, None, author, "rude words").await;
        let reply = comment(&pool, article, Some(parent), other, "a reply").await;
        assert!(moderation::set_hidden(&pool, parent, true, 6_000)
            .await
            .expect("hide"));
        assert!(!moderation::set_hidden(&pool, parent, true, 6_000)
            .await
            .expect("twice"));
        let viewer = Viewer {
            user_id: Some(author),
            admin: false,
        };
        let (threads, _) = comments::page_threads(&pool, article, Sort::Oldest, 1, &viewer, 7_000)
            .await
            .expect("page");
        let hidden = &threads[0].comment;
        assert!(hidden.hidden && hidden.body_html.is_empty() && hidden.author_name.is_empty());
        assert!(
            !hidden.mine && !hidden.can_delete,
            "its author cannot touch it any more"
        );
        assert_eq!(threads[0].replies[0].comment.id, reply);
        assert_eq!(
            comments::comment_count(&pool, article)
                .await
                .expect("count"),
            2,
            "hiding changes no count"
        );
        assert_eq!(
            moderation::hidden(&pool, 10).await.expect("hidden")[0].id,
            parent
        );
        assert!(moderation::set_hidden(&pool, parent, false, 0)
            .await
            .expect("restore"));
        let restored = comments::find(&pool, parent, &viewer, 7_000)
            .await
            .expect("find")
            .expect("found");
        assert!(!restored.hidden && restored.body_html == "<p>rude words</p>");
        assert!(moderation::hidden(&pool, 10)
            .await
            .expect("hidden")
            .is_empty());
    }
);

contract_test!(
    held_comments_are_their_authors_alone_until_approved,
    |pool: Pool| async move {
        let article = article(&pool, "a").await;
        let (author, other) = (user(&pool, "author").await, user(&pool, "other").await);
        let mut held = Held {
            id: 0,
            article_id: article,
            parent_id: None,
            user_id: author,
            body_markdown: "buy now".into(),
            body_html: "<p>buy now</p>".into(),
            why: "links".into(),
            created_at: 1_000,
        };
        held.id = moderation::hold(&pool, &held).await.expect("hold");
        assert_eq!(
            moderation::held_of(&pool, article, author)
                .await
                .expect("own"),
            vec![held.clone()]
        );
        assert!(moderation::held_of(&pool, article, other)
            .await
            .expect("other")
            .is_empty());
        let everyone = Viewer::default();
        let (threads, _) =
            comments::page_threads(&pool, article, Sort::Oldest, 1, &everyone, 2_000)
                .await
                .expect("page");
        assert!(
            threads.is_empty(),
            "a held comment is not in the discussion"
        );
        assert_eq!(
            comments::comment_count(&pool, article)
                .await
                .expect("count"),
            0
        );
        assert_eq!(
            moderation::published_comments(&pool, author)
                .await
                .expect("n"),
            0
        );
        let queue = moderation::held_queue(&pool, 10).await.expect("queue");
        assert_eq!(queue[0].id, held.id);
        assert_eq!(queue[0].why, "Many links");
        assert!(moderation::release_held(&pool, held.id)
            .await
            .expect("release"));
        assert!(!moderation::release_held(&pool, held.id)
            .await
            .expect("twice"));
        assert!(moderation::find_held(&pool, held.id)
            .await
            .expect("find")
            .is_none());
    }
);

contract_test!(
    the_log_lists_newest_first_in_pages,
    |pool: Pool| async move {
        let admin = user(&pool, "admin").await;
        for at in 1..=5 {
            let entry = LogEntry {
                created_at: at * 1_000,
                action: format!("Action {at}"),
                target: "Target".into(),
                target_href: (at % 2 == 0).then(|| "/articles/a".to_owned()),
                reason: "Because".into(),
            };
            moderation::log(&pool, &entry, admin).await.expect("log");
        }
        let (first, more) = moderation::log_page(&pool, 2, 0).await.expect("page 1");
        assert!(more);
        assert_eq!(
            first.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["Action 5", "Action 4"]
        );
        assert_eq!(first[1].target_href.as_deref(), Some("/articles/a"));
        let (last, more) = moderation::log_page(&pool, 2, 4).await.expect("page 3");
        assert!(!more);
        assert_eq!(last.len(), 1);
    }
);

contract_test!(
    an_unpublished_article_leaves_every_listing_and_comes_back,
    |pool: Pool| async move {
        let article = article(&pool, "gone").await;
        let reader = user(&pool, "reader").await;
        comment(&pool, article, None, reader, "kept for the record").await;
        let token = "t".repeat(43);
        let new = NewTakedown {
            token: &token,
            article_id: article,
            name: "Rights Holder",
            email: "rights@example.com",
            relationship: "Author",
            claim: "Copied without permission",
        };
        let id = moderation::create_takedown(&pool, &new, 1_000, "takedown:1.2.3.4", 1)
            .await
            .expect("create")
            .expect("within the limit");
        assert!(
            moderation::create_takedown(&pool, &new, 1_001, "takedown:1.2.3.4", 1)
                .await
                .expect("create")
                .is_none()
        );
        let found = moderation::find_takedown(&pool, &token)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.view.reference, besthub::moderation::reference(id));
        assert_eq!(found.view.status, TakedownStatus::Received);
        assert!(!found.article_removed);

        assert!(
            moderation::set_removed(&pool, "gone", Some("Copyright claim"), 2_000)
                .await
                .expect("unpublish")
        );
        assert!(
            !moderation::set_removed(&pool, "gone", Some("again"), 2_000)
                .await
                .expect("twice")
        );
        moderation::set_takedown_status(
            &pool,
            &token,
            TakedownStatus::Removed,
            Some("Valid"),
            2_000,
        )
        .await
        .expect("status");
        assert_eq!(
            articles::removal(&pool, "gone").await.expect("removal"),
            Some("Copyright claim".to_owned())
        );
        assert!(articles::list_newest(&pool, 10, 0)
            .await
            .expect("home")
            .is_empty());
        assert!(articles::list_by_tag(&pool, "rust", 10, 0)
            .await
            .expect("tag")
            .is_empty());
        let author = articles::find_author(&pool, "ada")
            .await
            .expect("q")
            .expect("author");
        assert!(articles::list_by_author(&pool, author.id, 10, 0)
            .await
            .expect("author page")
            .is_empty());
        assert!(articles::find_source(&pool, "gone")
            .await
            .expect("source")
            .is_none());
        assert_eq!(
            comments::comment_count(&pool, article)
                .await
                .expect("count"),
            1,
            "its comments are kept"
        );
        let found = moderation::find_takedown(&pool, &token)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.view.status, TakedownStatus::Removed);
        assert_eq!(found.view.reason.as_deref(), Some("Valid"));
        assert!(found.article_removed);

        assert!(moderation::set_removed(&pool, "gone", None, 3_000)
            .await
            .expect("republish"));
        assert_eq!(
            articles::removal(&pool, "gone").await.expect("removal"),
            None
        );
        assert_eq!(
            articles::list_newest(&pool, 10, 0)
                .await
                .expect("home")
                .len(),
            1
        );
    }
);
