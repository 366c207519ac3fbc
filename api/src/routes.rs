//! The route table: every method and path the API answers, what each one is, and who may call
//! it. The router, its 404/405 answers and the OpenAPI test all read this one table.

use http::Method;

use crate::backend::Role;
use crate::error::ApiError;
use crate::proto::SessionAction;

/// The checked-in OpenAPI document that describes these routes, served as is.
pub const OPENAPI: &str = include_str!("../openapi.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Session,
    Events,
    /// `POST /v1/session/<action>`.
    Command(SessionAction),
    Results,
    ResultById,
    AckResult,
    Metrics,
    BenchTap,
    BenchRemove,
}

/// `{id}` in a template stands for any one path segment.
static TABLE: [(Method, &str, Route); 19] = {
    use Route::*;
    use SessionAction as A;
    [
        (Method::GET, "/v1/health", Health),
        (Method::GET, "/v1/openapi.json", OpenApi),
        (Method::GET, "/v1/session", Session),
        (Method::GET, "/v1/events", Events),
        (Method::POST, "/v1/session/method", Command(A::Method)),
        (Method::POST, "/v1/session/pin", Command(A::Pin)),
        (Method::POST, "/v1/session/face/reference", Command(A::FaceReference)),
        (Method::POST, "/v1/session/face/verdict", Command(A::FaceVerdict)),
        (Method::POST, "/v1/session/visual", Command(A::Visual)),
        (Method::POST, "/v1/session/consent", Command(A::Consent)),
        (Method::POST, "/v1/session/cancel", Command(A::Cancel)),
        (Method::POST, "/v1/session/challenge", Command(A::Challenge)),
        (Method::POST, "/v1/session/extend", Command(A::Extend)),
        (Method::GET, "/v1/results", Results),
        (Method::GET, "/v1/results/{id}", ResultById),
        (Method::POST, "/v1/results/{id}/ack", AckResult),
        (Method::GET, "/metrics", Metrics),
        (Method::POST, "/v1/bench/card", BenchTap),
        (Method::DELETE, "/v1/bench/card", BenchRemove),
    ]
};

impl Route {
    /// Every route: method, path template, route.
    pub fn table() -> &'static [(Method, &'static str, Route)] {
        &TABLE
    }

    /// Who may call it; `None`: anyone, without a token.
    pub fn roles(self) -> Option<&'static [Role]> {
        use Role::*;
        use SessionAction as A;
        Some(match self {
            Route::Health | Route::OpenApi => return None,
            // The face module reads the session to know when to act and which session its
            // commands are for (If-Match); it gets no event stream.
            Route::Session => &[Kiosk, Reception, Staff, Face],
            Route::Events => &[Kiosk, Reception, Staff],
            Route::Command(A::Method | A::Pin | A::Consent) => &[Kiosk],
            Route::Command(A::FaceReference | A::FaceVerdict) => &[Face],
            Route::Command(A::Visual) => &[Staff],
            Route::Command(A::Cancel | A::Extend) => &[Kiosk, Staff],
            Route::Command(A::Challenge) => &[Reception],
            Route::Results | Route::ResultById | Route::AckResult => &[Reception],
            Route::Metrics => &[Reception, Staff],
            Route::BenchTap | Route::BenchRemove => &[Bench],
        })
    }

    /// The bench routes exist only with `--mock`.
    pub fn is_bench(self) -> bool {
        matches!(self, Route::BenchTap | Route::BenchRemove)
    }

    /// The route for `method` on a path (split on `/`, trimmed), and its `{id}` if it has one.
    /// A path that is only routed for other methods is 405, any other 404.
    pub fn parse<'p>(method: &Method, path: &[&'p str]) -> Result<(Route, Option<&'p str>), ApiError> {
        let mut allow: Vec<&str> = vec![];
        for (m, template, route) in &TABLE {
            let Some(id) = matches(template, path) else { continue };
            if m == method {
                return Ok((*route, id));
            }
            allow.push(m.as_str());
        }
        Err(if allow.is_empty() { ApiError::NotFound } else { ApiError::MethodNotAllowed { allow: allow.join(", ") } })
    }
}

/// `Some(id)` when `path` fits `template` (`Some(None)` for a template without `{id}`).
fn matches<'p>(template: &str, path: &[&'p str]) -> Option<Option<&'p str>> {
    let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
    if parts.len() != path.len() {
        return None;
    }
    let mut id = None;
    for (part, seg) in parts.iter().zip(path) {
        if *part == "{id}" {
            id = Some(*seg);
        } else if part != seg {
            return None;
        }
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(path: &str) -> Vec<&str> {
        path.trim_matches('/').split('/').collect()
    }

    #[test]
    fn every_route_parses_back_from_its_own_template() {
        for (method, template, route) in Route::table() {
            let path = template.replace("{id}", "s-1");
            let (parsed, id) = Route::parse(method, &split(&path)).unwrap();
            assert_eq!(parsed, *route, "{method} {template}");
            assert_eq!(id, template.contains("{id}").then_some("s-1"), "{template}");
        }
    }

    #[test]
    fn commands_sit_under_their_action_name() {
        for (_, template, route) in Route::table() {
            if let Route::Command(action) = route {
                assert_eq!(*template, format!("/v1/session/{}", action.as_str()));
            }
        }
        let commands = Route::table().iter().filter(|(_, _, r)| matches!(r, Route::Command(_))).count();
        assert_eq!(commands, SessionAction::ALL.len());
    }

    #[test]
    fn other_methods_are_405_and_other_paths_404() {
        fn parse(m: Method, p: &str) -> Result<(Route, Option<String>), u16> {
            let (route, id) = Route::parse(&m, &split(p)).map_err(|e| e.status().as_u16())?;
            Ok((route, id.map(str::to_string)))
        }
        assert_eq!(parse(Method::DELETE, "/v1/session"), Err(405));
        assert_eq!(parse(Method::GET, "/v1/results/x/ack"), Err(405));
        assert_eq!(parse(Method::GET, "/v1/bench/card"), Err(405));
        assert_eq!(parse(Method::GET, "/v1/session/face"), Err(404));
        assert_eq!(parse(Method::GET, "/v1/results/a/b"), Err(404));
        assert_eq!(parse(Method::POST, "/v2/health"), Err(404));
        // A trailing slash is the same path; an empty id is still a segment.
        assert_eq!(parse(Method::GET, "/v1/health/"), Ok((Route::Health, None)));
        assert_eq!(parse(Method::POST, "/v1/results//ack"), Ok((Route::AckResult, Some(String::new()))));
    }
}
