//! Direct messages fans send an artist: short commands, each answered by a direct message.

use super::{
    posts::{self, Mention, Visibility},
    DomainError, Publisher,
};
use crate::db::{self, artists::Artist, remote_actors::RemoteActorRow, Db};

/// What a fan asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Leave me out of the public Top passers.
    HideMe,
    /// Show me there again.
    ShowMe,
    /// Tell me about shows near this place (the text after "alert me").
    AlertMe,
    /// No more show alerts.
    Stop,
    /// Yes to an alert request made on the web page.
    Confirm,
    /// Anything else: the answer is a short help text.
    Unknown,
}

/// The words of a message without markup or mentions.
fn plain_text(html: &str) -> String {
    ammonia::Builder::empty()
        .clean(html)
        .to_string()
        .replace("&nbsp;", " ")
        .split_whitespace()
        .filter(|w| !w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the command in a message's HTML: mentions and punctuation are ignored, case too.
pub fn parse_command(html: &str) -> Command {
    let text = ammonia::Builder::empty().clean(html).to_string();
    let text = text.replace("&nbsp;", " ");
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|w| !w.starts_with('@'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    match words
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["hide", "me"] => Command::HideMe,
        ["show", "me"] => Command::ShowMe,
        ["stop"] | ["stop", "alerts"] => Command::Stop,
        ["yes"] | ["yes", "please"] | ["confirm"] => Command::Confirm,
        ["alert", "me", "near", ..] => Command::AlertMe,
        _ => Command::Unknown,
    }
}

/// Carries out a fan's message to an artist and answers it privately. Returns the command.
pub async fn handle(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    fan: &RemoteActorRow,
    message_html: &str,
    message_id: &str,
) -> Result<Command, DomainError> {
    let command = parse_command(message_html);
    let handle = fan.handle().to_lowercase();
    let answer = match command {
        Command::HideMe => {
            db::passes::set_optout(db, artist.id, &handle, true).await?;
            format!(
                "Done: you are left out of {}'s public Top passers. Your points still count. Send \"show me\" to appear again.",
                artist.display_name
            )
        }
        Command::ShowMe => {
            db::passes::set_optout(db, artist.id, &handle, false).await?;
            format!("Done: you appear in {}'s Top passers again.", artist.display_name)
        }
        Command::AlertMe => {
            let text = plain_text(message_html);
            let lower = text.to_lowercase();
            let after = lower.find("alert me").map(|i| &text[i + "alert me".len()..]).unwrap_or_default();
            match super::alerts::parse_place(after) {
                Some((place, radius)) => super::alerts::subscribe(db, artist, fan, &place, radius).await?,
                None => "Tell me where, for example \"alert me near Leeds, UK within 80 km\".".to_owned(),
            }
        }
        Command::Stop => super::alerts::unsubscribe(db, artist, fan).await?,
        Command::Confirm => super::alerts::confirm(db, artist, fan).await?,
        Command::Unknown => format!(
            "Hi! I am {}'s automatic helper. You can send me:\n\n- \"alert me near CITY\" (or \"… near CITY, COUNTRY within 80 km\"): a message when a show is announced near you\n- \"stop\": no more show alerts\n- \"hide me\": leave me out of the public Top passers\n- \"show me\": show me there again",
            artist.display_name
        ),
    };
    posts::create_with(
        db,
        publisher,
        artist,
        &answer,
        Visibility::Direct,
        Some(message_id),
        &[Mention::of(fan)],
    )
    .await?;
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_found_among_mentions_and_markup() {
        let mention = r#"<span class="h-card"><a href="https://m.example/@band" class="u-url mention">@<span>band</span></a></span>"#;
        assert_eq!(
            parse_command(&format!("<p>{mention} Hide me!</p>")),
            Command::HideMe
        );
        assert_eq!(
            parse_command("<p>@band@music.example show&nbsp;me</p>"),
            Command::ShowMe
        );
        assert_eq!(parse_command("<p>hide me please</p>"), Command::Unknown);
        assert_eq!(parse_command(""), Command::Unknown);
        assert_eq!(parse_command("<p>@band Yes!</p>"), Command::Confirm);
        assert_eq!(parse_command("<p>yes but no</p>"), Command::Unknown);
    }
}
