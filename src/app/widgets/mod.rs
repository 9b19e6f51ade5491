//! Building blocks every screen uses: the text input and the latest-request tracker.

pub mod input;
pub mod request;

pub use input::TextInput;
pub use request::Requests;
