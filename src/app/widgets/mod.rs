//! Building blocks every screen uses: the text input, the request-id counter, and the
//! `Loadable` that holds each single-answer load of a screen (its latest request and how it
//! stands; stale answers are dropped).

pub mod input;
pub mod loadable;
pub mod request;
pub mod scroll;

pub use input::TextInput;
pub use loadable::{LoadState, Loadable};
pub use request::Requests;
pub use scroll::Scroll;
