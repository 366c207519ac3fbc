//! Bearer tokens and roles. Tokens are compared in constant time and never logged.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::backend::Role;

struct Entry {
    token: Zeroizing<String>,
    roles: Vec<Role>,
}

/// The tokens the daemon accepts, each with its roles.
#[derive(Default)]
pub struct Tokens {
    entries: Vec<Entry>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokens(<{} redacted>)", self.entries.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No token, or one we do not know: 401.
    Unauthenticated,
    /// A known token without the role: 403.
    Forbidden,
}

impl Tokens {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, token: String, roles: Vec<Role>) {
        self.entries.push(Entry { token: Zeroizing::new(token), roles });
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Roles of the token in an `Authorization: Bearer …` header value (the scheme in any
    /// case: RFC 9110 §11.1).
    pub fn roles(&self, authorization: Option<&[u8]>) -> Option<&[Role]> {
        let value = authorization?;
        let (scheme, presented) = value.split_at(value.iter().position(|b| *b == b' ')?);
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return None;
        }
        let presented = &presented[1..];
        let mut found: Option<&[Role]> = None;
        // Look at every entry, whatever matches, so timing does not tell which token is close.
        for e in &self.entries {
            let equal: bool = e.token.as_bytes().ct_eq(presented).into();
            if equal && found.is_none() {
                found = Some(&e.roles);
            }
        }
        found
    }

    /// The first token that has `role`: what the bench panel is given with `--mock` (see
    /// `kiosk_page`). Never for logs.
    pub(crate) fn first_with_role(&self, role: Role) -> Option<&str> {
        self.entries.iter().find(|e| e.roles.contains(&role)).map(|e| e.token.as_str())
    }

    /// The first token whose only role is kiosk: what the reference kiosk screen is given when
    /// it is loaded on the kiosk itself (see `kiosk_page`). Any process on the kiosk can ask for
    /// it, so a token that can do more (read results, confirm a visual check) is never handed
    /// out, even if it also has the kiosk role. Never for logs.
    pub(crate) fn kiosk_only(&self) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| !e.roles.is_empty() && e.roles.iter().all(|r| *r == Role::Kiosk))
            .map(|e| e.token.as_str())
    }

    /// Whether the presented token may act as one of `allowed`.
    pub fn authorize(&self, authorization: Option<&[u8]>, allowed: &[Role]) -> Result<(), AuthError> {
        let roles = self.roles(authorization).ok_or(AuthError::Unauthenticated)?;
        if roles.iter().any(|r| allowed.contains(r)) {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_map_to_roles() {
        let mut t = Tokens::new();
        t.add("kiosk-secret".into(), vec![Role::Kiosk]);
        t.add("front-desk".into(), vec![Role::Reception, Role::Staff]);
        assert_eq!(t.authorize(Some(b"Bearer kiosk-secret"), &[Role::Kiosk]), Ok(()));
        assert_eq!(t.authorize(Some(b"Bearer kiosk-secret"), &[Role::Reception]), Err(AuthError::Forbidden));
        assert_eq!(t.authorize(Some(b"Bearer front-desk"), &[Role::Staff]), Ok(()));
        assert_eq!(t.authorize(Some(b"Bearer kiosk-secre"), &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        // The scheme is case-insensitive; the token is not, and another scheme is no token.
        assert_eq!(t.authorize(Some(b"bearer kiosk-secret"), &[Role::Kiosk]), Ok(()));
        assert_eq!(t.authorize(Some(b"BEARER kiosk-secret"), &[Role::Kiosk]), Ok(()));
        assert_eq!(t.authorize(Some(b"Bearer KIOSK-SECRET"), &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        assert_eq!(t.authorize(Some(b"Basic kiosk-secret"), &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        assert_eq!(t.authorize(Some(b"Bearerkiosk-secret"), &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        assert_eq!(t.authorize(Some(b"kiosk-secret"), &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        assert_eq!(t.authorize(None, &[Role::Kiosk]), Err(AuthError::Unauthenticated));
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn the_screen_only_ever_gets_a_kiosk_only_token() {
        let mut t = Tokens::new();
        t.add("kiosk-and-more".into(), vec![Role::Kiosk, Role::Reception]);
        assert_eq!(t.kiosk_only(), None);
        t.add("just-the-kiosk".into(), vec![Role::Kiosk]);
        assert_eq!(t.kiosk_only(), Some("just-the-kiosk"));
    }
}
