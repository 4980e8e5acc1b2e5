//! Shared test harness.

pub mod app;
pub mod binary;
pub mod peer;
pub mod s3;
pub mod web;

pub use app::{Backend, TestApp};
pub use peer::{Peer, Reply, SignOptions};

/// For each async test function `name(backend)`, defines `mod name { sqlite(); postgres(); }`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        )*
    };
}
