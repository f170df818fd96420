//! Reading a [`LiveEvent`] in the browser.
//!
//! The enum's own `Deserialize` (internally tagged) buffers each message as untyped content
//! before choosing the variant: serde's content machinery, about 15 KB of WASM before
//! compression. The browser reads the same JSON into one flat struct, in one pass, instead;
//! the server writes it with the enum's `Serialize`, and the test below holds the two
//! together.

use serde::Deserialize;

use super::LiveEvent;

/// Every field of every kind of event, flat; those a kind lacks stay at their default.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Wire {
    #[serde(rename = "type")]
    kind: String,
    id: i64,
    parent_id: Option<i64>,
    total: i64,
    placeholder: bool,
    removed: Vec<i64>,
    count: i64,
    sum: i64,
    stars: [i64; 5],
    handle: String,
    comments: i64,
    likes: i64,
    rating_count: i64,
    rating_sum: i64,
    followers: i64,
}

/// The event in one message's `data`, or `None` for anything else (a kind this build does not
/// know, say, from a newer server).
pub(crate) fn parse(data: &str) -> Option<LiveEvent> {
    let w: Wire = leptos::serde_json::from_str(data).ok()?;
    Some(match w.kind.as_str() {
        "comment_posted" => LiveEvent::CommentPosted {
            id: w.id,
            parent_id: w.parent_id,
            total: w.total,
        },
        "comment_edited" => LiveEvent::CommentEdited { id: w.id },
        "comment_deleted" => LiveEvent::CommentDeleted {
            id: w.id,
            placeholder: w.placeholder,
            removed: w.removed,
            total: w.total,
        },
        "likes" => LiveEvent::Likes { count: w.count },
        "ratings" => LiveEvent::Ratings {
            count: w.count,
            sum: w.sum,
            stars: w.stars,
        },
        "followers" => LiveEvent::Followers {
            handle: w.handle,
            count: w.count,
        },
        "snapshot" => LiveEvent::Snapshot {
            comments: w.comments,
            likes: w.likes,
            rating_count: w.rating_count,
            rating_sum: w.rating_sum,
            stars: w.stars,
            followers: w.followers,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_as_the_server_writes_it() {
        let events = [
            LiveEvent::CommentPosted {
                id: 7,
                parent_id: Some(3),
                total: 12,
            },
            LiveEvent::CommentPosted {
                id: 8,
                parent_id: None,
                total: 13,
            },
            LiveEvent::CommentEdited { id: 7 },
            LiveEvent::CommentDeleted {
                id: 7,
                placeholder: false,
                removed: vec![7, 3],
                total: 11,
            },
            LiveEvent::Likes { count: 4 },
            LiveEvent::Ratings {
                count: 3,
                sum: 11,
                stars: [0, 0, 1, 1, 1],
            },
            LiveEvent::Followers {
                handle: "ada".to_owned(),
                count: 2,
            },
            LiveEvent::Snapshot {
                comments: 11,
                likes: 4,
                rating_count: 3,
                rating_sum: 11,
                stars: [0, 0, 1, 1, 1],
                followers: 2,
            },
        ];
        for event in events {
            let json = leptos::serde_json::to_string(&event).unwrap();
            assert_eq!(parse(&json), Some(event), "{json}");
        }
    }

    #[test]
    fn unknown_kinds_and_junk_are_ignored() {
        assert_eq!(parse(r#"{"type":"something_new","id":1}"#), None);
        assert_eq!(parse("not json"), None);
        assert_eq!(parse(r#"{"id":1}"#), None);
    }
}
