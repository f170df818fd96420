//! Contract tests of reading-list storage: the same behaviour on SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use common::user;

use besthub::db::Pool;
use besthub::reading_list::store as saved;

/// An article `slug` by the author "ada" with the tags "rust" and "sql"; returns its id.
async fn article(pool: &Pool, slug: &str) -> i64 {
    let mut article = common::new_article(slug, 1_000, &["sql", "rust"]);
    article.reading_minutes = 3;
    common::store_article(pool, "ada", &article).await
}

async fn rows(pool: &Pool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM saved_articles")
        .fetch_one(pool)
        .await
        .expect("count")
}

/// The slugs on the reader's list, in its order.
async fn list(pool: &Pool, reader: i64) -> Vec<String> {
    saved::list_saved(pool, reader, 20, 0)
        .await
        .expect("list")
        .into_iter()
        .map(|item| item.slug)
        .collect()
}

contract_test!(
    saving_twice_keeps_one_row_and_its_first_time,
    |pool: Pool| async move {
        let a = article(&pool, "a").await;
        let b = article(&pool, "b").await;
        let reader = user(&pool, "reader").await;
        assert!(saved::set_saved(&pool, reader, a, true, 100)
            .await
            .expect("save"));
        assert!(saved::set_saved(&pool, reader, b, true, 200)
            .await
            .expect("save"));
        // Saving again changes nothing, not even the order: "a" keeps its first time.
        assert!(!saved::set_saved(&pool, reader, a, true, 300)
            .await
            .expect("save again"));
        assert_eq!(rows(&pool).await, 2);
        assert_eq!(list(&pool, reader).await, ["b", "a"]);
        assert!(saved::is_saved(&pool, reader, a).await.expect("is_saved"));
        // Through a connection of a transaction too (the server function may pass either).
        let mut tx = pool.begin().await.expect("begin");
        assert!(!saved::set_saved(&mut *tx, reader, b, true, 400)
            .await
            .expect("in tx"));
        tx.commit().await.expect("commit");
        assert_eq!(rows(&pool).await, 2);
    }
);

contract_test!(unsaving_twice_is_fine, |pool: Pool| async move {
    let a = article(&pool, "a").await;
    let reader = user(&pool, "reader").await;
    // Unsaving what was never saved is not an error.
    assert!(!saved::set_saved(&pool, reader, a, false, 100)
        .await
        .expect("unsave"));
    assert!(saved::set_saved(&pool, reader, a, true, 200)
        .await
        .expect("save"));
    assert!(saved::set_saved(&pool, reader, a, false, 300)
        .await
        .expect("unsave"));
    assert!(!saved::set_saved(&pool, reader, a, false, 400)
        .await
        .expect("unsave again"));
    assert_eq!(rows(&pool).await, 0);
    assert!(!saved::is_saved(&pool, reader, a).await.expect("is_saved"));
    assert!(list(&pool, reader).await.is_empty());
    // Saved again later, it goes to the top with its new time.
    let b = article(&pool, "b").await;
    saved::set_saved(&pool, reader, b, true, 500)
        .await
        .expect("save b");
    saved::set_saved(&pool, reader, a, true, 600)
        .await
        .expect("save a again");
    assert_eq!(list(&pool, reader).await, ["a", "b"]);
});

contract_test!(
    the_list_is_newest_saved_first_and_paged,
    |pool: Pool| async move {
        let reader = user(&pool, "reader").await;
        let mut ids = Vec::new();
        for (i, slug) in ["one", "two", "three", "four", "five"].iter().enumerate() {
            let id = article(&pool, slug).await;
            // Saved in an order unlike their ids, so the order is the saves' own.
            let at = [300, 100, 500, 200, 400][i];
            saved::set_saved(&pool, reader, id, true, at)
                .await
                .expect("save");
            ids.push(id);
        }
        assert_eq!(
            list(&pool, reader).await,
            ["three", "five", "one", "four", "two"]
        );
        let page: Vec<String> = saved::list_saved(&pool, reader, 2, 2)
            .await
            .expect("page")
            .into_iter()
            .map(|item| item.slug)
            .collect();
        assert_eq!(page, ["one", "four"]);
        // Items carry what listings show, and are marked saved.
        let first = saved::list_saved(&pool, reader, 1, 0).await.expect("first");
        let item = &first[0];
        assert_eq!(item.title, "Title three");
        assert_eq!(item.author_name, "Ada");
        assert_eq!(item.author_handle, "ada");
        assert_eq!(item.reading_minutes, 3);
        assert_eq!(item.tags, ["rust", "sql"]);
        assert!(item.saved);
        // One query tells a listing which of its items are saved.
        let other = article(&pool, "other").await;
        let mut asked = ids.clone();
        asked.push(other);
        let found = saved::saved_ids(&pool, reader, &asked).await.expect("ids");
        assert_eq!(found.len(), 5);
        assert!(ids.iter().all(|id| found.contains(id)));
        assert!(!found.contains(&other));
        assert!(saved::saved_ids(&pool, reader, &[])
            .await
            .expect("none asked")
            .is_empty());
    }
);

contract_test!(
    an_unpublished_article_leaves_the_list_until_it_is_back,
    |pool: Pool| async move {
        let a = article(&pool, "a").await;
        let b = article(&pool, "b").await;
        let reader = user(&pool, "reader").await;
        saved::set_saved(&pool, reader, a, true, 100)
            .await
            .expect("save");
        saved::set_saved(&pool, reader, b, true, 200)
            .await
            .expect("save");
        besthub::moderation::store::set_removed(&pool, "b", Some("Takedown"), 300)
            .await
            .expect("unpublish");
        assert_eq!(list(&pool, reader).await, ["a"]);
        besthub::moderation::store::set_removed(&pool, "b", None, 400)
            .await
            .expect("republish");
        assert_eq!(list(&pool, reader).await, ["b", "a"]);
        // An article deleted outright takes its rows with it.
        sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
            .bind(a)
            .execute(&pool)
            .await
            .expect("untag");
        sqlx::query("DELETE FROM articles WHERE id = $1")
            .bind(a)
            .execute(&pool)
            .await
            .expect("delete");
        assert_eq!(list(&pool, reader).await, ["b"]);
        assert_eq!(rows(&pool).await, 1);
    }
);

contract_test!(one_readers_list_is_not_anothers, |pool: Pool| async move {
    let a = article(&pool, "a").await;
    let b = article(&pool, "b").await;
    let ada = user(&pool, "ada").await;
    let bob = user(&pool, "bob").await;
    saved::set_saved(&pool, ada, a, true, 100)
        .await
        .expect("ada saves a");
    saved::set_saved(&pool, ada, b, true, 200)
        .await
        .expect("ada saves b");
    saved::set_saved(&pool, bob, a, true, 300)
        .await
        .expect("bob saves a");
    saved::set_saved(&pool, bob, a, false, 400)
        .await
        .expect("bob unsaves a");
    assert_eq!(list(&pool, ada).await, ["b", "a"]);
    assert!(list(&pool, bob).await.is_empty());
    assert!(saved::is_saved(&pool, ada, a).await.expect("ada"));
    assert!(!saved::is_saved(&pool, bob, a).await.expect("bob"));
    assert!(saved::saved_ids(&pool, bob, &[a, b])
        .await
        .expect("bob's ids")
        .is_empty());
});
