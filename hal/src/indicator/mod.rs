//! Status LEDs and buzzer (placeholder, filled in by the indicator work).

/// Interim copy of the semantic signals so the session engine compiles; replaced by the
/// indicator work (same variant names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Idle,
    CardDetected,
    Working,
    WaitingForPatient,
    WaitingForStaff,
    Success,
    Error,
    Attention,
    Offline,
}
