//! Every way a request can fail, each with its status, code and ja/en text in one place.
//! [`crate::response::problem`] turns one into the problem+json answer.

use std::time::Duration;

use http::StatusCode;

use crate::backend::RefusalKind;
use crate::problem::Problem;
use crate::proto::Notice;

#[derive(Debug)]
pub enum ApiError {
    NotFound,
    /// The path exists for other methods: `allow` lists them (the `Allow` header, RFC 9110).
    MethodNotAllowed {
        allow: String,
    },
    /// A wrong or missing token; answered with `WWW-Authenticate: Bearer`.
    Unauthorized,
    /// A known token without the role.
    Forbidden,
    /// Too many bad tokens from one address; `retry_after` until the token is looked at again.
    TooManyAuthFailures {
        retry_after: Duration,
    },
    PinRateLimited,
    /// A session command without `If-Match` naming its session (one strong entity tag).
    SessionRequired,
    BadEventId,
    BadQuery,
    UnsupportedMediaType,
    BodyTimeout,
    BodyTooLarge,
    BodyUnreadable,
    /// Where the JSON went wrong, never what it said (it may be a PIN).
    BadRequestBody {
        line: usize,
        column: usize,
    },
    ScoreRange,
    NoCard,
    KioskScreenLocalOnly,
    Internal,
    /// The daemon said no, in its own words.
    Refused(RefusalKind, Notice),
    /// The daemon cannot serve this now (journal down, shutting down).
    Unavailable(Notice),
}

impl ApiError {
    /// One of each error that has its own text here (the others carry the daemon's catalogue
    /// entries): the OpenAPI document's code list is built from these and the catalogue.
    pub fn own() -> Vec<ApiError> {
        use ApiError::*;
        let own = vec![
            NotFound,
            MethodNotAllowed { allow: "GET".into() },
            Unauthorized,
            Forbidden,
            TooManyAuthFailures { retry_after: Duration::from_secs(60) },
            PinRateLimited,
            SessionRequired,
            BadEventId,
            BadQuery,
            UnsupportedMediaType,
            BodyTimeout,
            BodyTooLarge,
            BodyUnreadable,
            BadRequestBody { line: 1, column: 1 },
            ScoreRange,
            NoCard,
            KioskScreenLocalOnly,
            Internal,
        ];
        // A new variant with its own text fails to build here until it is listed above.
        for e in &own {
            match e {
                NotFound | MethodNotAllowed { .. } | Unauthorized | Forbidden | TooManyAuthFailures { .. } => {}
                PinRateLimited | SessionRequired | BadEventId | BadQuery | UnsupportedMediaType => {}
                BodyTimeout | BodyTooLarge | BodyUnreadable | BadRequestBody { .. } | ScoreRange | NoCard => {}
                KioskScreenLocalOnly | Internal | Refused(..) | Unavailable(_) => {}
            }
        }
        own
    }

    pub fn status(&self) -> StatusCode {
        self.describe().0
    }

    /// The problem+json body: `type`, `status`, `code`, `title`, `ja`, `en`.
    pub fn to_problem(&self) -> Problem {
        let (status, code, ja, en) = self.describe();
        Problem::new(status.as_u16(), code, &ja, &en)
    }

    fn describe(&self) -> (StatusCode, &str, Text<'_>, Text<'_>) {
        use ApiError::*;
        use StatusCode as S;
        match self {
            NotFound => fixed(S::NOT_FOUND, "NOT_FOUND", "見つかりません。", "Not found."),
            MethodNotAllowed { .. } => {
                fixed(S::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "この方法では使えません。", "Method not allowed.")
            }
            Unauthorized => fixed(
                S::UNAUTHORIZED,
                "UNAUTHORIZED",
                "認証が必要です。正しいトークンを指定してください。",
                "A valid bearer token is required.",
            ),
            Forbidden => fixed(
                S::FORBIDDEN,
                "FORBIDDEN",
                "このトークンではこの操作はできません。",
                "This token's roles do not allow this action.",
            ),
            TooManyAuthFailures { .. } => fixed(
                S::TOO_MANY_REQUESTS,
                "TOO_MANY_AUTH_FAILURES",
                "認証の失敗が続いたため、しばらくお待ちください。",
                "Too many failed authentications from this address: wait, then use a valid token.",
            ),
            PinRateLimited => fixed(
                S::TOO_MANY_REQUESTS,
                "PIN_RATE_LIMITED",
                "暗証番号の送信が多すぎます。しばらく待ってください。",
                "Too many PIN submissions; wait a moment.",
            ),
            SessionRequired => fixed(
                S::PRECONDITION_REQUIRED,
                "SESSION_REQUIRED",
                "どの受付に対する操作か指定してください（If-Match）。",
                "Name the session this command is for: If-Match: \"<session id>\" from GET /v1/session.",
            ),
            BadEventId => fixed(
                S::BAD_REQUEST,
                "BAD_EVENT_ID",
                "Last-Event-ID は数値です。",
                "Last-Event-ID must be a result sequence number.",
            ),
            BadQuery => fixed(
                S::BAD_REQUEST,
                "BAD_QUERY",
                "after は0以上の整数、limit は1〜1000の整数で指定してください。",
                "Use after=<non-negative integer> and limit=<1..1000>.",
            ),
            UnsupportedMediaType => fixed(
                S::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Content-Type: application/json で送ってください。",
                "Send the body as Content-Type: application/json.",
            ),
            BodyTimeout => fixed(
                S::REQUEST_TIMEOUT,
                "BODY_TIMEOUT",
                "リクエストの受信が時間内に終わりませんでした。",
                "The request body did not arrive in time.",
            ),
            BodyTooLarge => fixed(
                S::PAYLOAD_TOO_LARGE,
                "BODY_TOO_LARGE",
                "リクエストが大きすぎます（64KiBまで）。",
                "The request body is larger than 64 KiB.",
            ),
            BodyUnreadable => fixed(
                S::BAD_REQUEST,
                "BODY_UNREADABLE",
                "リクエストを読み取れませんでした。",
                "The request body could not be read.",
            ),
            BadRequestBody { line, column } => (
                S::BAD_REQUEST,
                "BAD_REQUEST_BODY",
                format!("リクエストの形式が正しくありません（{line}行 {column}列）。").into(),
                format!("The body is not valid JSON for this request (line {line}, column {column}).").into(),
            ),
            ScoreRange => fixed(S::BAD_REQUEST, "SCORE_RANGE", "score は0〜1です。", "score is between 0 and 1."),
            NoCard => fixed(S::CONFLICT, "NO_CARD", "カードが置かれていません。", "No card is on the reader."),
            KioskScreenLocalOnly => fixed(
                S::FORBIDDEN,
                "KIOSK_SCREEN_LOCAL_ONLY",
                "この画面はキオスク本体（ループバックまたはUnixソケット）からのみ利用できます。",
                "The kiosk token is given only to the kiosk's own screen (loopback or the Unix socket).",
            ),
            Internal => fixed(S::INTERNAL_SERVER_ERROR, "INTERNAL", "内部エラーです。", "Internal error."),
            Refused(kind, n) => (refusal_status(*kind), &n.code, n.ja.as_str().into(), n.en.as_str().into()),
            Unavailable(n) => (S::SERVICE_UNAVAILABLE, &n.code, n.ja.as_str().into(), n.en.as_str().into()),
        }
    }
}

fn refusal_status(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Invalid => StatusCode::BAD_REQUEST,
        RefusalKind::WrongState => StatusCode::CONFLICT,
        // Well-formed and in time, but the card could not do it.
        RefusalKind::PhotoUnavailable => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::SessionRequired => StatusCode::PRECONDITION_REQUIRED,
    }
}

type Text<'a> = std::borrow::Cow<'a, str>;

fn fixed(
    status: StatusCode,
    code: &'static str,
    ja: &'static str,
    en: &'static str,
) -> (StatusCode, &'static str, Text<'static>, Text<'static>) {
    (status, code, ja.into(), en.into())
}
