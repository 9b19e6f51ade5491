//! Building blocks every screen uses: the text input and the latest-request tracker.

pub mod input;
pub mod request;
pub mod scroll;

pub use input::TextInput;
pub use request::Requests;
pub use scroll::Scroll;
