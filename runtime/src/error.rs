//! The one error type of the SDK.

/// Everything that can go wrong in a call, by where it went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (bad configuration, unserializable parameters, …).
    #[error("could not build the request: {0}")]
    Build(String),
    /// The response could not be decoded into the typed model.
    #[error("could not decode the response of {operation}: {message}")]
    Decode {
        operation: &'static str,
        message: String,
    },
}
