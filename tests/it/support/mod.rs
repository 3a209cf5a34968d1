//! What the test modules share: the SDK oracle table ([`vital`]), the fault-injecting HTTP
//! server ([`fault_server`]), the capability it serves ([`items`]), representative arguments
//! ([`args`]), the runtime ([`runtime`]) and the binary ([`bin`]).

pub mod args;
pub mod bin;
pub mod fault_server;
pub mod items;
pub mod microcks;
pub mod vital;

/// Insta settings for a snapshot in `tests/snapshots/`: the files keep the names they had
/// when each module was its own test binary, so the caller writes that prefix into the
/// snapshot name (`cli__…`, `requests__…`) and the module path (`it::cli`) is not added.
pub fn snapshots() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The runtime builder every test starts from: `cap` with exactly `env` as its environment
/// (the process environment is never read) and, when given, the consumer `namespace` sent to
/// a test server at `uri` instead of its `baseUri`.
pub fn builder(
    cap: naftiko::Capability,
    env: &[(&str, &str)],
    base: Option<(&str, &str)>,
) -> naftiko::RuntimeBuilder {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut builder = naftiko::Runtime::builder(cap).env(env);
    if let Some((namespace, uri)) = base {
        builder = builder.base_uri(namespace, uri);
    }
    builder
}

/// [`builder`], built with the default policies.
pub fn runtime(
    cap: naftiko::Capability,
    env: &[(&str, &str)],
    base: Option<(&str, &str)>,
) -> naftiko::Runtime {
    builder(cap, env, base)
        .build()
        .expect("the test runtime builds")
}

/// A port on 127.0.0.1 where nothing listens (bound, then released): connections to it are
/// refused, until something binds it again.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("its address").port()
}

/// Serves the REST adapter `ns` of `rt` (`None`: the first) on 127.0.0.1:0; its base URL.
#[cfg(feature = "serve")]
pub async fn serve_rest(
    rt: naftiko::Runtime,
    ns: Option<&str>,
    options: naftiko::RestOptions,
) -> String {
    let server = naftiko::RestServer::new(rt, ns, options).expect("a REST adapter");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(async move { server.serve(listener).await });
    url
}
