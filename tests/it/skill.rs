//! The skill adapter over real sockets: `SkillServer::router()` on 127.0.0.1:0, asked what
//! upstream's skill server answers (catalog, detail, contents, files, download) and what it
//! must refuse (unsafe segments, symlinks out of the folder, writes, unknown skills).

use serde_json::{json, Value};

const FIXTURE: &str = "tests/fixtures/skills/skills.yaml";

/// Serves the skill adapter of the capability at `file`; the base URL.
async fn serve(file: &str) -> String {
    let cap = naftiko::Capability::from_path(file).unwrap();
    let rt = naftiko::Runtime::builder(cap).build().unwrap();
    let app = naftiko::SkillServer::new(rt, None).unwrap().router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(url: String) -> (u16, String, Vec<u8>) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn get_json(url: String) -> (u16, Value) {
    let (status, _, body) = get(url).await;
    (status, serde_json::from_slice(&body).unwrap())
}

/// A GET of `target` exactly as written (no client-side path normalisation); the answer.
async fn raw_get(base: &str, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalog_lists_each_skill_with_its_tool_names() {
    let base = serve(FIXTURE).await;
    let (status, body) = get_json(format!("{base}/skills")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"count": 2, "skills": [
            {"name": "fleet-ops", "description": "Fleet management", "license": "Apache-2.0",
             "tools": ["list-ships", "list-ships-rest", "guide", "direct"]},
            {"name": "voyage-ops", "description": "Voyage planning", "tools": ["plan"]}
        ]})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skills_detail_says_how_to_invoke_each_tool() {
    let base = serve(FIXTURE).await;
    let (status, body) = get_json(format!("{base}/skills/fleet-ops")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({
            "name": "fleet-ops", "description": "Fleet management",
            "license": "Apache-2.0", "allowed-tools": "list-ships", "user-invocable": true,
            "metadata": {"owner": "fleet-team"},
            "tools": [
                {"name": "list-ships", "description": "List ships", "type": "derived",
                 "invocationRef": {"targetNamespace": "fleet-tools", "action": "list-ships", "mode": "mcp"}},
                {"name": "list-ships-rest", "description": null, "type": "derived",
                 "invocationRef": {"targetNamespace": "fleet-api", "action": "GET /ships", "mode": "rest"}},
                {"name": "guide", "description": "How to inspect a ship", "type": "instruction",
                 "instruction": "README.md"},
                {"name": "direct", "description": null, "type": "call", "call": "registry.list-ships"}
            ]
        })
    );
    let (_, voyage) = get_json(format!("{base}/skills/voyage-ops")).await;
    assert_eq!(voyage["tools"][0]["invocationRef"]["mode"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn contents_list_the_folder_and_files_come_with_their_media_type() {
    let base = serve(FIXTURE).await;
    let (status, body) = get_json(format!("{base}/skills/fleet-ops/contents")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"name": "fleet-ops", "files": [
            {"path": "README.md", "size": 35, "type": "text/markdown"},
            {"path": "examples/usage.md", "size": 27, "type": "text/markdown"}
        ]})
    );
    let (status, ct, bytes) = get(format!(
        "{base}/skills/fleet-ops/contents/examples/usage.md"
    ))
    .await;
    assert_eq!((status, ct.as_str()), (200, "text/markdown"));
    assert_eq!(bytes, b"list-ships, then get-ship.\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_download_is_a_zip_of_the_folder() {
    let base = serve(FIXTURE).await;
    let (status, ct, bytes) = get(format!("{base}/skills/fleet-ops/download")).await;
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["README.md", "examples/usage.md"]);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("README.md").unwrap(), &mut text).unwrap();
    assert_eq!(text, "# Fleet ops\n\nUse list-ships first.\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn unsafe_segments_are_400_and_unknown_things_404_with_a_problem() {
    let base = serve(FIXTURE).await;
    for (path, status, detail) in [
        (
            "/skills/fleet-ops/contents/..%2F..%2FCargo.toml",
            400,
            "unsafe path segment `../../Cargo.toml`",
        ),
        (
            "/skills/fleet-ops/contents/a%20b",
            400,
            "unsafe path segment `a b`",
        ),
        (
            "/skills/fleet-ops/contents/missing.md",
            404,
            "no file `missing.md`",
        ),
        (
            "/skills/nope",
            404,
            "no skill `nope`; skills: fleet-ops, voyage-ops",
        ),
        (
            "/skills/voyage-ops/contents",
            404,
            "skill `voyage-ops` has no `location`: it has no files",
        ),
        ("/elsewhere", 404, "no resource at `/elsewhere`"),
    ] {
        let (got, ct, body) = get(format!("{base}{path}")).await;
        assert_eq!(
            (got, ct.as_str()),
            (status, "application/problem+json"),
            "{path}"
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        let got = body["detail"].as_str().unwrap();
        assert!(got.starts_with(detail), "{path}: {got}");
    }
    // Clients resolve `..` before sending; a raw request does not.
    let raw = raw_get(&base, "/skills/fleet-ops/contents/../../skills.yaml").await;
    assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    assert!(raw.contains("unsafe path segment `..`"), "{raw}");
    let r = client()
        .post(format!("{base}/skills"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_symlink_out_of_the_folder_is_neither_listed_nor_served() {
    let dir = std::env::temp_dir().join(format!("naftiko-skill-{}", std::process::id()));
    let folder = dir.join("skill");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(dir.join("secret.txt"), "outside").unwrap();
    std::fs::write(folder.join("inside.txt"), "inside").unwrap();
    let _ = std::fs::remove_file(folder.join("escape.txt"));
    std::os::unix::fs::symlink(dir.join("secret.txt"), folder.join("escape.txt")).unwrap();
    let yaml = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replace("location: fleet-ops", "location: skill");
    let file = dir.join("skills.yaml");
    std::fs::write(&file, yaml).unwrap();
    let base = serve(file.to_str().unwrap()).await;
    let (_, listing) = get_json(format!("{base}/skills/fleet-ops/contents")).await;
    assert_eq!(
        listing["files"],
        json!([{"path": "inside.txt", "size": 6, "type": "text/plain"}])
    );
    let (status, _, body) = get(format!("{base}/skills/fleet-ops/contents/escape.txt")).await;
    assert_eq!(status, 404);
    assert!(!String::from_utf8_lossy(&body).contains("outside"));
    let (_, _, zip) = get(format!("{base}/skills/fleet-ops/download")).await;
    let zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names, ["inside.txt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_from_naming_no_sibling_adapter_is_a_located_warning() {
    let cap = naftiko::Capability::from_path(FIXTURE).unwrap();
    let warnings: Vec<String> = cap.diagnostics().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        warnings,
        ["tests/fixtures/skills/skills.yaml:63:15: warning: skill `voyage-ops`, tool `plan`: `from.sourceNamespace: nowhere` names no MCP or REST adapter of this capability (adapters: fleet-tools, fleet-api); its mode is `unknown`"]
    );
}
