//! The module artifact: one file holding a grading component, its conformance vectors and
//! its publisher's ed25519 signature over both.
//!
//! The file **is** the component: the vectors and the signature ride in two custom
//! sections appended to it (`qgrade-vectors`, `qgrade-signature`), which wasmtime and every
//! other WebAssembly tool ignore or list, so the artifact still runs, inspects and
//! validates as a plain component. Its SHA-256 (of the whole file) is its address.
//!
//! What is signed: `qgrade-artifact-v1\n`, then the SHA-256 of the component without the
//! two sections, then the SHA-256 of the vectors. Changing any byte anywhere therefore
//! breaks either the signature or the file's structure.

mod format;
mod keys;

pub use format::{Artifact, ArtifactError, SignatureRecord};
pub use keys::{SecretKey, generate_key};
