"""The peer of the MCP benchmark (BENCHMARKS.md "MCP server (issue 9)"): FastMCP's
`from_openapi` serving Junction's Users OpenAPI, its base URL pointed at the loopback
upstream, the same API key header the naftiko capability sends.

    python fastmcp_users.py OPENAPI UPSTREAM_URL stdio
    python fastmcp_users.py OPENAPI UPSTREAM_URL http PORT   # stateless, JSON answers

Installed by tools/mcpbench.sh into target/fastmcp-venv (fastmcp pinned there).
"""
import json
import sys

import httpx2
from fastmcp import FastMCP


def main() -> None:
    spec_path, upstream, transport = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(spec_path) as f:
        spec = json.load(f)
    client = httpx2.AsyncClient(
        base_url=upstream,
        headers={"x-vital-api-key": "sk_bench"},
        timeout=30.0,
        limits=httpx2.Limits(max_connections=2000, max_keepalive_connections=128),
    )
    mcp = FastMCP.from_openapi(openapi_spec=spec, client=client, name="Vital Users (FastMCP)")
    if transport == "stdio":
        mcp.run("stdio", show_banner=False)
    else:
        mcp.run(
            "http",
            show_banner=False,
            host="127.0.0.1",
            port=int(sys.argv[4]),
            path="/mcp",
            log_level="warning",
            stateless_http=True,
            json_response=True,
        )


if __name__ == "__main__":
    main()
