//! Subcommands other than `run`: what an installer or a bench engineer types.

pub mod check_config;
pub mod indicators;
pub mod readers;
#[cfg(feature = "mock")]
pub mod soft_pwm_probe;
#[cfg(feature = "mock")]
pub mod virtual_card;
