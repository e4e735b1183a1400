//! The registration mail: the token, and how to use it (the Dockerfile lines and the command
//! line), sent over SMTP (`--smtp-url smtp://` or `smtps://`, credentials in the URL) by lettre.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// Why the mailer could not be set up or a mail not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `--smtp-url` is not a usable SMTP URL.
    #[error("--smtp-url: {0}")]
    Url(String),
    /// `--mail-from` or the recipient is not an address.
    #[error("{field}: {message}")]
    Address {
        /// Which address.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// The message could not be built.
    #[error("building the mail: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused or could not be reached.
    #[error("sending the mail: {0}")]
    Send(#[from] lettre::transport::smtp::Error),
}

/// Sends registration mails.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: never print it.
        f.debug_struct("Mailer").field("from", &self.from).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `smtp_url` sending as `from`.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from.parse().map_err(|e: lettre::address::AddressError| MailError::Address {
            field: "--mail-from",
            message: e.to_string(),
        })?;
        Ok(Self { transport, from })
    }

    /// Mails `token` to `to`.
    pub async fn send_token(&self, to: &str, token: &str, public_url: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|e: lettre::address::AddressError| MailError::Address {
            field: "email",
            message: e.to_string(),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject("Your microscanner token")
            .header(ContentType::TEXT_PLAIN)
            .body(token_mail_text(token, public_url))?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Whether `email` is an address lettre would send to (and not absurdly long).
pub fn is_address(email: &str) -> bool {
    email.len() <= 254 && email.parse::<lettre::Address>().is_ok()
}

/// The mail's text: the token once, and how to use it.
pub fn token_mail_text(token: &str, public_url: &str) -> String {
    format!(
        "Your microscanner token is:\n\n    {token}\n\n\
Keep it secret: anyone holding it can use your daily scan quota. Registering again\n\
issues a new token and revokes this one.\n\n\
Scan an image while it is built (the scan fails the build on high-severity findings;\n\
pass the token as a BuildKit secret so it never lands in the image history):\n\n\
    # syntax=docker/dockerfile:1\n\
    COPY microscanner /microscanner\n\
    RUN --mount=type=secret,id=microscanner_token \\\n\
        /microscanner --token-file /run/secrets/microscanner_token && rm /microscanner\n\n\
    docker build --secret id=microscanner_token,env=MICROSCANNER_TOKEN .\n\n\
Or, with the token as a build argument (it stays in the image history):\n\n\
    ADD microscanner /\n\
    RUN /microscanner {token}\n\n\
Scan an image that is already built, from CI:\n\n\
    MICROSCANNER_TOKEN={token} microscanner scan myimage:1.0 --format json --output scan.json\n\n\
Only the list of packages is sent to {public_url}, never the image's files.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(is_address("dev@example.com"));
        assert!(!is_address("not an address"));
        assert!(!is_address("'; DROP TABLE tokens; --@x"));
        assert!(!is_address(&format!("{}@example.com", "a".repeat(1 << 20))));
    }

    #[test]
    fn mail_says_how_to_use_the_token() {
        let text = token_mail_text("msk_x_y", "https://scan.example");
        assert!(text.contains("RUN /microscanner msk_x_y"));
        assert!(text.contains("microscanner scan"));
        assert!(text.contains("--secret"));
    }
}
